//! `GET /groups/{groupId}/members/{accountId}/snapshots/{snapshotId}`: one
//! snapshot: Pending, Ready (size, file count) or Failed (why).
//!
//! Who: an admin of the member's managed group (everyone else: 404).
//! DynamoDB: one `BatchGetItem` (group, member), one `GetItem`.

use lambda_http::{Body, Request, Response};
use shared::model::parse_uuid;
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-member-snapshot", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let sid = http::path_param(req, "snapshotId", parse_uuid)?;
    http::json(200, &managed::member_snapshot(deps, acting, &sid).await?)
}
