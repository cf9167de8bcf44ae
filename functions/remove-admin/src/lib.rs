//! `DELETE /groups/{groupId}/admins/{accountId}`: remove admin rights.
//!
//! Who: the group's admins (others: 404); an admin may remove themselves.
//! The last admin can never be removed (409). Logged in the audit log; every
//! admin is emailed. DynamoDB: one consistent `GetItem` (the admins' addresses)
//! and one `TransactWriteItems` (with the audit entry and the email).

use lambda_http::{Body, Request, Response};
use shared::model::{AccountId, GroupId};
use shared::service::groups;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("remove-admin", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let target = http::path_param(req, "accountId", AccountId::parse)?;
    groups::remove_admin(deps, &caller, &gid, &target, &http::origin(req)).await?;
    Ok(http::no_content())
}
