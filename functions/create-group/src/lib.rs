//! `POST /groups`: create a group; the caller becomes its first admin.
//!
//! Who: any caller with a verified email. Honours `Idempotency-Key`.
//! DynamoDB: one `TransactWriteItems` (group, admin link, account, email claim, idempotency record).

use lambda_http::{Body, Request, Response};
use shared::api::CreateGroupRequest;
use shared::model::NewGroup;
use shared::service::groups;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("create-group", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let new = NewGroup::try_from(http::json_body::<CreateGroupRequest>(req)?)?;
    let idem = http::idempotency_request(req, &caller)?;
    let reply = groups::create_group(deps, &caller, new, idem).await?;
    Ok(http::reply(&reply))
}
