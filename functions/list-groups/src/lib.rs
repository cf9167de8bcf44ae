//! `GET /groups`: the groups the caller administers.
//!
//! Who: any signed-in caller (sees only their own groups).
//! DynamoDB: one `Query` on GSI1 plus one `BatchGetItem` per 100 groups.

use lambda_http::{Body, Request, Response};
use serde::Serialize;
use shared::api::GroupView;
use shared::service::groups;
use shared::{Deps, http};

#[derive(Serialize)]
struct GroupList {
    groups: Vec<GroupView>,
}

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-groups", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let groups = groups::list_groups(deps, &caller).await?;
    http::json(
        200,
        &GroupList {
            groups: groups.iter().map(GroupView::from).collect(),
        },
    )
}
