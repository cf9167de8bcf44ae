//! `POST /groups/{groupId}/members/{accountId}/snapshots`: asks for a
//! snapshot (a zip) of files and folders of one of a managed member's
//! buckets. Answers 202 with the Pending snapshot; the `build-snapshot` job
//! makes it Ready or Failed. Logged.
//!
//! Who: an admin of the member's managed group (everyone else: 404), from a
//! session the group's SSO setting admits (else 403 `sso-required`).
//! Honours `Idempotency-Key`. DynamoDB: one `BatchGetItem` (the access rule,
//! read for the session's part), one `TransactWriteItems` (access
//! conditions, bucket check, snapshot, audit entry, build job, idempotency
//! record).

use lambda_http::{Body, Request, Response};
use shared::api::CreateSnapshotRequest;
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("create-snapshot", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let body = http::json_body::<CreateSnapshotRequest>(req)?;
    let idem = http::idempotency_request(req, &acting_for.caller)?;
    let reply =
        managed::create_snapshot(deps, acting, body, managed::retention_days(), idem).await?;
    Ok(http::reply(&reply))
}
