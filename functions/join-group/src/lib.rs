//! `POST /invitations/{token}/join`: join, or file a membership request, by the group's policy.
//!
//! Who: any signed-in caller holding a live token. Honours `Idempotency-Key`.
//! DynamoDB: one `BatchGetItem` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::api::JoinRequest;
use shared::service::joining;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("join-group", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let token = http::path_param(req, "token", |_, raw| Ok(raw.to_owned()))?;
    let body = http::json_body::<JoinRequest>(req)?;
    let idem = http::idempotency_request(req, &caller)?;
    Ok(http::reply(
        &joining::join(deps, &caller, &token, &body, idem).await?,
    ))
}
