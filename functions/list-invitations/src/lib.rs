//! `GET /groups/{groupId}/invitations`: pending email invitations.
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one `GetItem` and one `Query`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::invitations;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-invitations", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let invitations = invitations::list_invitations(deps, &caller, &gid).await?;
    http::json(200, &serde_json::json!({ "invitations": invitations }))
}
