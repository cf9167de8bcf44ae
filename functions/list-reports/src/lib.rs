//! `GET /groups/{groupId}/reports`: the group's User Stats reports, newest
//! period first, a page at a time (`limit` 1–100, default 50): scheduled
//! ones (weekly `2026-W48`, monthly `2026-11`) and those asked for
//! (`2026-11-28`), each Pending or Ready.
//!
//! Who: the group's admins (everyone else: 404). DynamoDB: one `GetItem`
//! (group), one `Query`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::reports;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-reports", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let limit = http::page_limit(req)?;
    let page = reports::list_reports(deps, &caller, &gid, limit, http::page_position(req)?).await?;
    http::json(200, &page)
}
