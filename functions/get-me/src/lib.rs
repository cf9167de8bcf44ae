//! `GET /me`: signing in. The caller's account, created from their token on
//! first use; after an email change, the address's claim moves (see
//! `shared::service::accounts`).
//!
//! Who: any signed-in caller. DynamoDB: usually one `GetItem` and one
//! `TransactWriteItems` (account upsert and, for a verified email, its
//! uniqueness claim); after an email change up to three more `GetItem`, one
//! `Query` and one Cognito `ListUsers` (docs/access-patterns.md).

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
