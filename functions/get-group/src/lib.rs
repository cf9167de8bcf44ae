//! `GET /groups/{groupId}`: one group, as its admins see it.
//!
//! Who: the group's admins; anyone else gets the same 404 as for a missing group.
//! DynamoDB: one consistent `GetItem`.

use lambda_http::{Body, Request, Response};
use shared::api::GroupView;
use shared::model::GroupId;
use shared::service::groups;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-group", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let group = groups::get_group(deps, &caller, &gid).await?;
    http::json(200, &GroupView::from(&group))
}
