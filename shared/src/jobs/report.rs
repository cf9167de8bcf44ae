//! Reports and summaries (DESIGN §6): the schedule's jobs and the ones an
//! admin asks for.
//!
//! * [`schedule`] (the `weekly-report` Lambda) finds the groups on a
//!   mailing's schedule through the sparse index and writes one job per
//!   group and period for each mailing.
//! * [`build`] builds a group's report of a period (once: a Ready report is
//!   not built again) and, for a scheduled period, emails it to the admins.
//! * [`summarise`] emails each member who has not opted out a summary of
//!   their own backups.
//!
//! Every email of a scheduled period has an id derived from the group, the
//! period and the recipient, and is written only if that id is new, so a
//! schedule delivered twice or late, or a job run again, sends each email
//! once. One group's failure is its own job's: the others go on.

use futures::StreamExt;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Job;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::model::{
    Account, AccountId, EmailCadence, Group, GroupId, GroupStatus, Mailing, Report, ReportPeriod,
    ReportState,
};
use crate::notify;
use crate::outbox::{OutboxItem, ReportMail};
use crate::repo::MembersFrom;
use crate::report::{DEFAULT_PART_SIZE, OnUploadStarted, write_group_report_noting};

/// Groups read per page of a schedule's index.
const GROUPS_PER_PAGE: i32 = 500;
/// Members read per page for summaries.
const MEMBERS_PER_PAGE: i32 = 100;
/// Members whose summaries are read and written at once.
const SUMMARIES_AT_ONCE: usize = 8;

/// Jobs a schedule run wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheduled {
    /// Report jobs (groups whose admins get the report).
    pub reports: usize,
    /// Summary jobs (groups whose members get summaries).
    pub summaries: usize,
}

/// Writes the jobs of the `cadence` schedule that was due at `due`: one
/// per group on each mailing's schedule, for the period containing `due`
/// (so a late or repeated delivery names the same period). DynamoDB per
/// mailing: one `Query` on GSI1 per 500 groups, one `BatchWriteItem` per
/// 25 jobs.
pub async fn schedule(
    deps: &Deps,
    cadence: EmailCadence,
    due: OffsetDateTime,
) -> Result<(ReportPeriod, Scheduled)> {
    let period = ReportPeriod::of_cadence(cadence, due.date())
        .ok_or_else(|| Error::invalid("schedule", "no schedule runs for cadence off"))?;
    let now = deps.clock.now();
    let mut scheduled = Scheduled::default();
    for mailing in Mailing::ALL {
        let mut after: Option<GroupId> = None;
        loop {
            let (groups, more) = deps
                .repo
                .groups_on_mailing(mailing, cadence, after.as_ref(), GROUPS_PER_PAGE)
                .await?;
            let jobs: Vec<OutboxItem> = groups
                .iter()
                .map(|gid| {
                    let job = match mailing {
                        Mailing::AdminReports => Job::BuildReport {
                            group_id: *gid,
                            period,
                        },
                        Mailing::MemberSummaries => Job::SendSummaries {
                            group_id: *gid,
                            period,
                        },
                    };
                    OutboxItem::job(job, now)
                })
                .collect();
            deps.repo.put_outbox_items(&jobs).await?;
            match mailing {
                Mailing::AdminReports => scheduled.reports += jobs.len(),
                Mailing::MemberSummaries => scheduled.summaries += jobs.len(),
            }
            match (more, groups.last()) {
                (true, Some(last)) => after = Some(*last),
                _ => break,
            }
        }
    }
    Ok((period, scheduled))
}

/// Builds group `gid`'s report of `period` unless it is Ready, and for a
/// scheduled period emails it to the admins (once per group and period).
/// DynamoDB: one `GetItem` (group); for a scheduled period one conditional
/// `PutItem` (plus a `GetItem` if it existed), for one asked for a
/// `GetItem`; the report's reads (see `shared::report`); one `UpdateItem`;
/// one conditional `PutItem` for the email.
pub async fn build(deps: &Deps, gid: &GroupId, period: &ReportPeriod) -> Result<()> {
    let settings = &deps.settings;
    let Some(group) = deps
        .repo
        .get_group(gid)
        .await?
        .filter(|g| g.status != GroupStatus::Dissolved)
    else {
        tracing::info!(group_id = %gid, %period, "no report: the group is gone");
        return Ok(());
    };
    let scheduled = period.cadence().is_some();
    let report = if scheduled {
        if !Mailing::AdminReports.is_due(&group, period) {
            tracing::info!(group_id = %gid, %period, "no report: the group's admins no longer get this one");
            return Ok(());
        }
        let pending = Report::pending(*gid, *period, None, deps.clock.now());
        deps.repo
            .begin_scheduled_report(&pending, settings.report_retention_days)
            .await?
    } else {
        match deps.repo.get_report(gid, period).await? {
            Some(report) => report,
            None => {
                tracing::info!(group_id = %gid, %period, "no report: it is gone");
                return Ok(());
            }
        }
    };
    let (rows, size_bytes) = match report.state {
        ReportState::Ready => {
            tracing::info!(group_id = %gid, %period, "report already built");
            (
                report.rows.unwrap_or_default(),
                report.size_bytes.unwrap_or_default(),
            )
        }
        ReportState::Pending => {
            let files = deps.files()?;
            if let Some(stale) = &report.upload_id {
                // A build that crashed left its upload open: abort it first.
                crate::multipart::abort_upload(
                    files.s3(),
                    files.reports_bucket()?,
                    &report.object_key(),
                    stale,
                )
                .await
                .map_err(Error::unexpected)?;
                deps.repo.set_report_upload(gid, period, None).await?;
            }
            let noted: OnUploadStarted<'_> = Box::new(|upload_id| {
                Box::pin(async move {
                    deps.repo
                        .set_report_upload(gid, period, Some(&upload_id))
                        .await
                })
            });
            let written = write_group_report_noting(
                &deps.repo,
                files.s3(),
                files.reports_bucket()?,
                gid,
                period,
                DEFAULT_PART_SIZE,
                Some(noted),
            )
            .await
            .map_err(Error::unexpected)?;
            let now = deps.clock.now();
            if !deps
                .repo
                .finish_report(
                    gid,
                    period,
                    written.rows,
                    written.bytes,
                    now,
                    settings.report_retention_days,
                )
                .await?
            {
                tracing::info!(group_id = %gid, %period, "report built, but its group was dissolved meanwhile");
                return Ok(());
            }
            tracing::info!(group_id = %gid, %period, rows = written.rows, bytes = written.bytes, parts = written.parts, "report built");
            (written.rows, written.bytes)
        }
    };
    if scheduled {
        email_admins(deps, &group, period, rows, size_bytes).await?;
    }
    Ok(())
}

/// The admins' email of a scheduled report, once per group and period.
async fn email_admins(
    deps: &Deps,
    group: &Group,
    period: &ReportPeriod,
    rows: u64,
    size_bytes: u64,
) -> Result<()> {
    let attach = group.admin_report_emails.attach_csv
        && size_bytes <= deps.settings.report_attachment_max_bytes;
    let report = Report::pending(group.id, *period, None, deps.clock.now());
    let email = notify::admin_report(
        group.admin_emails(),
        &group.name,
        period,
        rows,
        size_bytes,
        ReportMail {
            key: report.object_key(),
            file_name: report.file_name(),
            attach,
        },
    );
    let mut item = OutboxItem::email(email, deps.clock.now());
    item.id = once_id(&format!("report-email/{}/{period}", group.id));
    if deps.repo.put_outbox_item_once(&item).await? {
        tracing::info!(group_id = %group.id, %period, attach, "report emailed to the admins");
    } else {
        tracing::info!(group_id = %group.id, %period, "report email already written");
    }
    Ok(())
}

/// Emails each member of group `gid` who has not opted out a summary of
/// their own computers and buckets for `period`, once per member and
/// period; members with neither get none. DynamoDB: one `GetItem`
/// (group); per 100 members one `Query` and one `BatchGetItem` (accounts);
/// per member summarised two `Query`s (computers, buckets) and one
/// conditional `PutItem`.
pub async fn summarise(deps: &Deps, gid: &GroupId, period: &ReportPeriod) -> Result<u64> {
    let Some(group) = deps.repo.get_group(gid).await? else {
        return Ok(0);
    };
    if !Mailing::MemberSummaries.is_due(&group, period) {
        tracing::info!(group_id = %gid, %period, "no summaries: the group's members no longer get them");
        return Ok(0);
    }
    let mut written = 0;
    let mut last: Option<AccountId> = None;
    loop {
        let from = last.as_ref().map_or(MembersFrom::Start, MembersFrom::After);
        let (members, more) = deps.repo.members_from(gid, from, MEMBERS_PER_PAGE).await?;
        let ids: Vec<AccountId> = members.iter().map(|m| m.account_id.clone()).collect();
        let accounts: Vec<Account> = deps
            .repo
            .accounts(&ids)
            .await?
            .into_iter()
            .filter(|a| {
                // Opted in, still this group's, and an address the identity
                // provider verified (no mail to an address that may be anybody's).
                a.backup_summary_emails && a.email_verified && a.group_id.as_ref() == Some(gid)
            })
            .collect();
        let outcomes: Vec<Result<bool>> = futures::stream::iter(&accounts)
            .map(|account| summarise_one(deps, &group, period, account))
            .buffer_unordered(SUMMARIES_AT_ONCE)
            .collect()
            .await;
        for outcome in outcomes {
            written += u64::from(outcome?);
        }
        match ids.last() {
            Some(aid) if more => last = Some(aid.clone()),
            _ => break,
        }
    }
    tracing::info!(group_id = %gid, %period, written, "summaries written");
    Ok(written)
}

/// One member's summary; `false` when there was nothing to summarise or it
/// was already written.
async fn summarise_one(
    deps: &Deps,
    group: &Group,
    period: &ReportPeriod,
    account: &Account,
) -> Result<bool> {
    let aid = &account.id;
    let (buckets, (computers, _)) = tokio::try_join!(
        deps.repo.list_buckets(aid),
        deps.repo
            .list_computers(aid, crate::model::MAX_COMPUTERS_PER_ACCOUNT as i32, None)
    )?;
    if computers.is_empty() && buckets.is_empty() {
        return Ok(false);
    }
    let email = notify::backup_summary(&account.email, &group.name, period, &computers, &buckets);
    let mut item = OutboxItem::email(email, deps.clock.now());
    item.id = once_id(&format!("summary/{}/{period}/{aid}", group.id));
    deps.repo.put_outbox_item_once(&item).await
}

/// The id of a scheduled email: the same for the same group, period and
/// recipient, whichever run writes it.
fn once_id(name: &str) -> Uuid {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("groups:{name}").as_bytes());
    let mut bytes = [0; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}
