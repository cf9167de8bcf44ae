//! `GET /groups/{groupId}/synopsis`: the Users/Computers synopsis: members, computers, alerts, bytes.
//!
//! Who: the group's admins, managed or not (others: 404). DynamoDB: one
//! `BatchGetItem` (group, counters).

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::users;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-synopsis", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(200, &users::synopsis(deps, &caller, &gid).await?)
}
