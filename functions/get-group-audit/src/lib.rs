//! `GET /groups/{groupId}/audit`: the group's audit log, newest first, a page
//! at a time (`limit` 1–100, default 50): every admin action on a member's
//! account and every admin or settings change, with who, when and from where.
//!
//! Who: the group's admins (others: 404). DynamoDB: one `GetItem`, one `Query`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::audit;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-group-audit", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let limit = http::page_limit(req)?;
    let page = audit::group_log(deps, &caller, &gid, limit, http::page_position(req)?).await?;
    http::json(200, &page)
}
