//! `PUT /me/computers/{computerId}`: record a computer's backup status (the backup client's check-in).
//!
//! Who: the signed-in owner.
//! DynamoDB: one conditional `UpdateItem` for a routine check-in; one that
//! adds a computer or changes its alert count: that `UpdateItem` (refused),
//! one `GetItem` (the account) and one `TransactWriteItems` (computer,
//! account and group counters).

use lambda_http::{Body, Request, Response};
use shared::api::CheckInRequest;
use shared::model::ComputerId;
use shared::service::me;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("check-in-computer", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let cid = http::path_param(req, "computerId", ComputerId::parse)?;
    let body = http::json_body::<CheckInRequest>(req)?;
    let checked_in = me::check_in(deps, &caller, &cid, body).await?;
    http::json(
        if checked_in.created { 201 } else { 200 },
        &checked_in.computer,
    )
}
