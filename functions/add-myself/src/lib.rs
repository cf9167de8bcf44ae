//! `POST /groups/{groupId}/members`: an admin joins their own group (Add Myself to the Group).
//!
//! Who: the group's admins (others: 404); same limits as a join. Honours `Idempotency-Key`.
//! DynamoDB: one `GetItem` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::api::AddMyselfRequest;
use shared::model::GroupId;
use shared::service::members;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("add-myself", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let body = http::json_body::<AddMyselfRequest>(req)?;
    let region = shared::api::region(&body.region)?;
    let idem = http::idempotency_request(req, &caller)?;
    let reply = members::add_myself(
        deps,
        &caller,
        &gid,
        region,
        body.accept_version_history,
        idem,
    )
    .await?;
    Ok(http::reply(&reply))
}
