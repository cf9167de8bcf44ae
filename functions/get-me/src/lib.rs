//! `GET /me`: the caller's account, created from their token on first use.
//!
//! Who: any signed-in caller. DynamoDB: one `TransactWriteItems` (account
//! upsert and, for a verified email, its uniqueness claim) and one `GetItem`.

use lambda_http::{Body, Request, Response};
use shared::service::accounts;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-me", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let account = accounts::me(deps, &caller).await?;
    http::json(200, &account)
}
