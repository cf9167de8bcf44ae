//! `GET /groups/{groupId}/computers`: every member computer, a page at a time.
//!
//! Who: the group's admins, managed or not (others: 404). DynamoDB: one
//! `GetItem`, one `Query` per 100 members walked and one per member visited.

use lambda_http::{Body, Request, RequestExt, Response};
use shared::api::page;
use shared::model::GroupId;
use shared::service::users;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-group-computers", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let query = req.query_string_parameters();
    let limit = page::limit(query.first("limit"), 100, 500)?;
    let rows = users::group_computers(deps, &caller, &gid, limit, query.first("nextToken")).await?;
    http::json(200, &rows)
}
