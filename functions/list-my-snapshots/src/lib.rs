//! `GET /me/snapshots`: the snapshots administrators made of the caller's
//! data, newest first, a page at a time (`limit` 1–100, default 50).
//!
//! Who: any signed-in caller, for their own data. DynamoDB: one `Query`.

use lambda_http::{Body, Request, Response};
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-my-snapshots", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let limit = http::page_limit(req)?;
    let page = managed::my_snapshots(deps, &caller, limit, http::page_position(req)?).await?;
    http::json(200, &page)
}
