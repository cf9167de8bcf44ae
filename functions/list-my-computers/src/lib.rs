//! `GET /me/computers`: the caller's computers, a page at a time.
//!
//! Who: any signed-in caller (their own). DynamoDB: one `Query`.

use lambda_http::{Body, Request, RequestExt, Response};
use shared::api::{Page, page};
use shared::model::ComputerId;
use shared::service::me;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-my-computers", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let query = req.query_string_parameters();
    let limit = page::limit(query.first("limit"), 100, 500)?;
    let after: Option<ComputerId> = query.first("nextToken").map(page::decode).transpose()?;
    let (items, next) = me::my_computers(deps, &caller, limit, after.as_ref()).await?;
    let next_token = next.map(|c| page::encode(&c)).transpose()?;
    http::json(200, &Page { items, next_token })
}
