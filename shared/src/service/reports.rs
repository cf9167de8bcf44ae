//! User Stats reports on demand: an admin asks for one (built by the
//! `build-report` job), lists the group's reports, and downloads one
//! through a presigned URL that expires.

use crate::api::{Page, page};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::jobs::Job;
use crate::model::{GroupId, Report, ReportPeriod, administered_by};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;
use crate::repo::Position;

/// Asks for the group's report of today: Pending now, Ready once its job
/// ran. Asking again while it is being built answers that same report (no
/// second build); asking again once it is Ready (or stale) builds it anew,
/// replacing it. Admins only, from a session the group's SSO setting
/// admits. DynamoDB: one `GetItem` (the group, for the session's rule), one
/// `TransactWriteItems`, plus one `GetItem` when it was already being built.
pub async fn request_report(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<Report> {
    administered_by(deps.repo.get_group(gid).await?, caller)?;
    let now = deps.clock.now();
    let period = ReportPeriod::Day(now.date());
    let report = Report::pending(*gid, period, Some(caller.account_id.clone()), now);
    let job = OutboxItem::job(
        Job::BuildReport {
            group_id: *gid,
            period,
        },
        now,
    );
    match deps
        .repo
        .request_report(
            &report,
            &caller.account_id,
            &job,
            deps.settings.report_retention_days,
        )
        .await
    {
        Ok(()) => Ok(report),
        Err(e) if e.kind() == ProblemKind::ReportNotReady => deps
            .repo
            .get_report(gid, &period)
            .await?
            .ok_or_else(|| Error::unexpected("a pending report vanished")),
        Err(e) => Err(e),
    }
}

/// A page of the group's reports, newest period first. Admins only.
/// DynamoDB: one `GetItem` (group), one `Query`.
pub async fn list_reports(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: usize,
    after: Option<Position>,
) -> Result<Page<Report>> {
    administered_by(deps.repo.get_group(gid).await?, caller)?;
    let (reports, next) = deps.repo.list_reports(gid, limit, after.as_ref()).await?;
    Ok(Page {
        items: reports,
        next_token: next.as_ref().map(page::encode).transpose()?,
    })
}

/// A presigned URL that downloads a Ready report; it expires. Admins only;
/// a report still being built is 409 `report-not-ready`. DynamoDB: one
/// `BatchGetItem` (group, report). S3: none (signed locally).
#[cfg(feature = "files")]
pub async fn download_report(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    period: &ReportPeriod,
) -> Result<crate::storage::SignedUrl> {
    let (group, report) = deps.repo.group_and_report(gid, period).await?;
    administered_by(group, caller)?;
    let report = report.ok_or(Error::NotFound("report"))?;
    if report.state != crate::model::ReportState::Ready {
        return Err(Error::refused(
            ProblemKind::ReportNotReady,
            "the report is still being built",
        ));
    }
    let files = deps.files()?;
    files
        .presign_report_download(
            &report.object_key(),
            &report.file_name(),
            files.download_url_ttl,
            deps.clock.now(),
        )
        .await
}
