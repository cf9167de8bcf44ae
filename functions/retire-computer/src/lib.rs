//! `DELETE /me/computers/{computerId}`: retire a computer: it leaves the account's and group's counts.
//!
//! Who: the signed-in owner. DynamoDB: one `BatchGetItem` (computer, account)
//! and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::model::ComputerId;
use shared::service::me;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("retire-computer", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let cid = http::path_param(req, "computerId", ComputerId::parse)?;
    me::retire_computer(deps, &caller, &cid).await?;
    Ok(http::no_content())
}
