//! `POST /groups/{groupId}/reports/{reportId}/download`: a presigned GET URL
//! for a Ready report's CSV; it expires (`DownloadUrlSeconds`). 409
//! `report-not-ready` while it is being built. A report's id is its period.
//!
//! Who: the group's admins (everyone else: 404). DynamoDB: one
//! `BatchGetItem` (group, report). S3: none (the URL is signed locally).

use lambda_http::{Body, Request, Response};
use shared::model::{GroupId, ReportPeriod};
use shared::service::reports;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("download-report", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let period = http::path_param(req, "reportId", ReportPeriod::parse_field)?;
    http::json(
        200,
        &reports::download_report(deps, &caller, &gid, &period).await?,
    )
}
