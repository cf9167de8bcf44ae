//! A group's User Stats reports (one item per period in the group's
//! partition) and the group's places on the report and summary schedules.

use time::OffsetDateTime;

use super::billing::ScheduleEntry;
use super::groups::admin_guard;
use super::pages::{PageQuery, Position};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Repository, n, s, sdk_error};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{
    AccountId, EmailCadence, Group, GroupId, Mailing, Report, ReportPeriod, STALE_PENDING,
};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// The refusal of a report asked for while the same period's is still
/// being built: the service answers with that report instead.
pub(crate) fn already_pending() -> Error {
    Error::refused(
        ProblemKind::ReportNotReady,
        "this period's report is already being built",
    )
}

impl Repository {
    /// Puts a group on `mailing`'s schedule of `cadence`, or takes it off
    /// (`Off`): the entry's sparse-index partition names the schedule, so
    /// changing the cadence moves it with one `Put`.
    pub(crate) fn add_mailing_entry(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        mailing: Mailing,
        cadence: EmailCadence,
    ) -> Result<()> {
        let key = keys::schedule_entry(gid, mailing.slot());
        match mailing.schedule(cadence) {
            Some(schedule) => tx.put(
                &key,
                "ScheduleEntry",
                &ScheduleEntry::new(gid, &schedule),
                None,
            ),
            None => tx.delete(&key, None),
        }
    }

    /// Records a Pending report asked for by an admin of the active group,
    /// with its build job. Refused with [`already_pending`] when the same
    /// period's report is Pending and not stale. One `TransactWriteItems`.
    pub async fn request_report(
        &self,
        report: &Report,
        caller: &AccountId,
        job: &OutboxItem,
        retention_days: u32,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.check(&keys::group(&report.group_id), admin_guard(caller))?;
        let mut item = super::to_item(
            &keys::report(&report.group_id, &report.period),
            "Report",
            report,
        )?;
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            n(expires_at(report.requested_at, retention_days)),
        );
        tx.put_item(
            item,
            Some(Guard::new(
                Expr::new("attribute_not_exists(PK) OR #state = :ready OR requestedAt < :stale")
                    .name("#state", "state")
                    .value(":ready", s("ready"))
                    .value(
                        ":stale",
                        s(crate::model::rfc3339(report.requested_at - STALE_PENDING)),
                    ),
                Refusal::always(already_pending),
            )),
        )?;
        self.add_outbox(&mut tx, std::slice::from_ref(job))?;
        tx.commit().await.map(drop)
    }

    /// One report. One consistent `GetItem`.
    pub async fn get_report(&self, gid: &GroupId, period: &ReportPeriod) -> Result<Option<Report>> {
        self.get(&keys::report(gid, period)).await
    }

    /// The group and one of its reports. One `BatchGetItem`.
    pub async fn group_and_report(
        &self,
        gid: &GroupId,
        period: &ReportPeriod,
    ) -> Result<(Option<Group>, Option<Report>)> {
        let [group, report] = self
            .get_n([keys::group(gid), keys::report(gid, period)])
            .await?;
        Ok((
            group.map(super::from_item).transpose()?,
            report.map(super::from_item).transpose()?,
        ))
    }

    /// A page of a group's reports, newest period first. One consistent `Query`.
    pub async fn list_reports(
        &self,
        gid: &GroupId,
        limit: usize,
        after: Option<&Position>,
    ) -> Result<(Vec<Report>, Option<Position>)> {
        self.page_of(PageQuery {
            on_index: false,
            pk: keys::group_pk(gid),
            prefix: keys::REPORT_PREFIX,
            limit,
            after,
            descending: true,
        })
        .await
    }

    /// Starts a scheduled report's build: creates it Pending unless it
    /// exists. Returns the report as it now stands (a Ready one needs no
    /// build). One conditional `PutItem`, plus one consistent `GetItem`
    /// when it existed.
    pub async fn begin_scheduled_report(
        &self,
        report: &Report,
        retention_days: u32,
    ) -> Result<Report> {
        let mut item = super::to_item(
            &keys::report(&report.group_id, &report.period),
            "Report",
            report,
        )?;
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            n(expires_at(report.requested_at, retention_days)),
        );
        let put = self
            .client
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        if super::condition_held(put)? {
            return Ok(report.clone());
        }
        self.get_report(&report.group_id, &report.period)
            .await?
            .ok_or_else(|| Error::unexpected("a report vanished while it was begun"))
    }

    /// Marks a report Ready with what was written, and keeps it for
    /// `retention_days` from now (the bucket's lifecycle rule counts from
    /// the object's last write, which is now). `false` when the report is
    /// gone (its group was dissolved meanwhile). One conditional `UpdateItem`.
    pub async fn finish_report(
        &self,
        gid: &GroupId,
        period: &ReportPeriod,
        rows: u64,
        size_bytes: u64,
        now: OffsetDateTime,
        retention_days: u32,
    ) -> Result<bool> {
        let out = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(super::key_map(&keys::report(gid, period))))
            .update_expression(
                "SET #state = :ready, readyAt = :now, #rows = :rows, sizeBytes = :size, #ttl = :ttl REMOVE uploadId",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#rows", "rows")
            .expression_attribute_names("#ttl", keys::EXPIRES_AT)
            .expression_attribute_values(":ready", s("ready"))
            .expression_attribute_values(":now", s(crate::model::rfc3339(now)))
            .expression_attribute_values(":rows", n(rows))
            .expression_attribute_values(":size", n(size_bytes))
            .expression_attribute_values(":ttl", n(expires_at(now, retention_days)))
            .send()
            .await;
        super::condition_held(out)
    }

    /// Notes the multipart upload a build started (`None`: it is over), so
    /// a retried build aborts it first. One `UpdateItem`.
    pub async fn set_report_upload(
        &self,
        gid: &GroupId,
        period: &ReportPeriod,
        upload_id: Option<&str>,
    ) -> Result<()> {
        let request = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(super::key_map(&keys::report(gid, period))))
            .condition_expression("attribute_exists(PK)");
        let request = match upload_id {
            Some(id) => request
                .update_expression("SET uploadId = :upload")
                .expression_attribute_values(":upload", s(id)),
            None => request.update_expression("REMOVE uploadId"),
        };
        request.send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// A page of the groups on a mailing's schedule (see
    /// [`Repository::groups_on_schedule`]). One `Query` on GSI1.
    pub async fn groups_on_mailing(
        &self,
        mailing: Mailing,
        cadence: EmailCadence,
        after: Option<&GroupId>,
        limit: i32,
    ) -> Result<(Vec<GroupId>, bool)> {
        let Some(schedule) = mailing.schedule(cadence) else {
            return Ok((Vec::new(), false));
        };
        self.groups_on_schedule_at(&schedule, mailing.slot(), after, limit)
            .await
    }

    /// Writes an outbox item unless one with its id exists: the
    /// deterministic ids of scheduled emails make each one per group,
    /// period and recipient, however often its job runs. `false` when it
    /// existed. One conditional `PutItem`.
    pub async fn put_outbox_item_once(&self, item: &OutboxItem) -> Result<bool> {
        super::condition_held(self.send_outbox_put(item).await?)
    }
}

/// A report item's TTL (epoch seconds).
fn expires_at(from: OffsetDateTime, retention_days: u32) -> i64 {
    (from + time::Duration::days(i64::from(retention_days))).unix_timestamp()
}
