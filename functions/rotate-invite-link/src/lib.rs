//! `POST /groups/{groupId}/invite-link`: create or replace the invite link; the token is shown only in this response.
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one `GetItem` and one `TransactWriteItems` (group, new token, old token deleted).

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::invitations;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("rotate-invite-link", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(
        201,
        &invitations::rotate_invite_link(deps, &caller, &gid).await?,
    )
}
