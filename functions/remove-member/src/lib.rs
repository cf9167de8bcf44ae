//! `DELETE /groups/{groupId}/members/{accountId}`: remove a member; they are emailed to add a payment method; the account stays.
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one `BatchGetItem` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::model::{AccountId, GroupId};
use shared::service::members;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("remove-member", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let aid = http::path_param(req, "accountId", AccountId::parse)?;
    members::remove_member(deps, &caller, &gid, &aid).await?;
    Ok(http::no_content())
}
