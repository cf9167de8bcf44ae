//! `POST /groups/{groupId}/dissolution/confirm`: confirm a previewed dissolution: the group stops at once, a job detaches its members (202).
//!
//! Who: the group's admins (others: 404), from a session the group's SSO
//! setting admits (else 403 `sso-required`), with the latest preview's
//! token. Honours `Idempotency-Key`. DynamoDB: one `GetItem` (the group, for
//! the session's rule) and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::api::ConfirmDissolutionRequest;
use shared::model::GroupId;
use shared::service::dissolution;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("confirm-dissolution", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let body = http::json_body::<ConfirmDissolutionRequest>(req)?;
    let idem = http::idempotency_request(req, &caller)?;
    Ok(http::reply(
        &dissolution::confirm(deps, &caller, &gid, &body, idem).await?,
    ))
}
