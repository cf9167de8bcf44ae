//! `DELETE /me/group`: the caller leaves their group; in a managed group this
//! is how consent to admin access is withdrawn. The admins are emailed, and
//! the member gets the same payment-method email as a removal; the account
//! stays.
//!
//! Who: any signed-in member (not in a group: 404).
//! DynamoDB: one `GetItem` (the account), one `BatchGetItem` (group and
//! member) and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::service::members;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("leave-group", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    members::leave_group(deps, &caller).await?;
    Ok(http::no_content())
}
