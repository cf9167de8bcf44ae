//! `GET /me/audit`: what administrators did to the caller's account (browsed,
//! snapshots, downloads, USB orders, contact changes), over every group,
//! newest first, a page at a time (`limit` 1–100, default 50).
//!
//! Who: any signed-in caller, for their own account. DynamoDB: one `Query`
//! on GSI1.

use lambda_http::{Body, Request, Response};
use shared::service::audit;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-my-audit", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let limit = http::page_limit(req)?;
    let page = audit::my_log(deps, &caller, limit, http::page_position(req)?).await?;
    http::json(200, &page)
}
