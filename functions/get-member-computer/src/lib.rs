//! `GET /groups/{groupId}/members/{accountId}/computers/{computerId}`: one member computer's details and alerts.
//!
//! Who: the group's admins, managed or not (others: 404). DynamoDB: one
//! `BatchGetItem` (group, member, computer).

use lambda_http::{Body, Request, Response};
use shared::model::{AccountId, ComputerId, GroupId};
use shared::service::users;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-member-computer", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let aid = http::path_param(req, "accountId", AccountId::parse)?;
    let cid = http::path_param(req, "computerId", ComputerId::parse)?;
    http::json(
        200,
        &users::computer_details(deps, &caller, &gid, &aid, &cid).await?,
    )
}
