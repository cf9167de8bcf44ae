//! `POST /groups/{groupId}/admins`: give an account admin rights, by email.
//!
//! Who: the group's admins (others: 404). Honours `Idempotency-Key`.
//! Logged in the group's audit log; every admin is emailed. DynamoDB: two
//! consistent `GetItem`s (email → account; the group, for the admins' addresses)
//! and one `TransactWriteItems` (with the audit entry and the email).

use lambda_http::{Body, Request, Response};
use shared::api::AddAdminRequest;
use shared::model::GroupId;
use shared::service::groups;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("add-admin", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let email = http::json_body::<AddAdminRequest>(req)?.email()?;
    let idem = http::idempotency_request(req, &caller)?;
    let reply = groups::add_admin(deps, &caller, &gid, &email, &http::origin(req), idem).await?;
    Ok(http::reply(&reply))
}
