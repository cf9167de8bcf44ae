//! `GET /groups/{groupId}/members/{accountId}/snapshots`: the snapshots this
//! group's admins made of a managed member's data, newest first, a page at a
//! time (`limit` 1–100, default 50; a page may hold fewer when the member's
//! earlier groups made snapshots too).
//!
//! Who: an admin of the member's managed group (everyone else: 404).
//! DynamoDB: one `BatchGetItem` (group, member), one `Query`.

use lambda_http::{Body, Request, Response};
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-member-snapshots", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let limit = http::page_limit(req)?;
    let page = managed::member_snapshots(deps, acting, limit, http::page_position(req)?).await?;
    http::json(200, &page)
}
