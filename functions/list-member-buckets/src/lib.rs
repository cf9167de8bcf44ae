//! `GET /groups/{groupId}/members/{accountId}/buckets`: a managed member's
//! buckets with their stored bytes and file counts. Logged.
//!
//! Who: an admin of the member's managed group, the member having accepted
//! managed access (everyone else: 404). DynamoDB: one `BatchGetItem` (group,
//! member), one `PutItem` (audit entry), one `Query`.

use lambda_http::{Body, Request, Response};
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-member-buckets", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let buckets = managed::member_buckets(deps, acting).await?;
    http::json(200, &serde_json::json!({ "buckets": buckets }))
}
