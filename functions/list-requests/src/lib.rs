//! `GET /groups/{groupId}/requests`: pending membership requests.
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one `GetItem` and one `Query`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::membership;
use shared::{Deps, http};

/// Handles the request; failures are problem responses, never `Err`.
#[tracing::instrument(name = "list_requests", skip_all)]
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(run(deps, &req).await)
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let requests = membership::list_requests(deps, &caller, &gid).await?;
    http::json(200, &serde_json::json!({ "requests": requests }))
}
