//! `POST /groups/{groupId}/requests/{accountId}/approve`: approve a request (same limits as a join; at most once).
//!
//! Who: the group's admins (others: 404). Honours `Idempotency-Key`.
//! DynamoDB: one `BatchGetItem` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::model::{AccountId, GroupId};
use shared::service::requests::{self, Decision};
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("approve-request", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let aid = http::path_param(req, "accountId", AccountId::parse)?;
    let idem = http::idempotency_request(req, &caller)?;
    Ok(http::reply(
        &requests::decide(deps, &caller, &gid, &aid, Decision::Approve, idem).await?,
    ))
}
