//! `POST /groups/{groupId}/members/{accountId}/snapshots/{snapshotId}/download`:
//! a presigned GET URL for a Ready snapshot's zip; it expires (409
//! `snapshot-not-ready` while Pending or after a failure). Logged.
//!
//! Who: an admin of the member's managed group (everyone else: 404).
//! DynamoDB: one `BatchGetItem` (group, member), one `GetItem` (snapshot),
//! one `TransactWriteItems` (access conditions, Ready check, audit entry).
//! S3: none (the URL is signed locally).

use lambda_http::{Body, Request, Response};
use shared::model::parse_uuid;
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("download-snapshot", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let sid = http::path_param(req, "snapshotId", parse_uuid)?;
    http::json(200, &managed::download_snapshot(deps, acting, &sid).await?)
}
