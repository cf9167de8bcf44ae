//! `GET /groups/{groupId}/invite-link`: whether the group's invite link is enabled.
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one consistent `GetItem`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::membership;
use shared::{Deps, http};

/// Handles the request; failures are problem responses, never `Err`.
#[tracing::instrument(name = "get_invite_link", skip_all)]
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(run(deps, &req).await)
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(200, &membership::invite_link(deps, &caller, &gid).await?)
}
