//! `GET /me/buckets`: the caller's B2 buckets with their stored bytes.
//!
//! Who: any signed-in caller (their own). DynamoDB: one `Query` (100 buckets at most).

use lambda_http::{Body, Request, Response};
use shared::service::me;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-my-buckets", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let buckets = me::my_buckets(deps, &caller).await?;
    http::json(200, &serde_json::json!({ "buckets": buckets }))
}
