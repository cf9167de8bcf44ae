//! `GET /groups/{groupId}/invitations`: pending email invitations, a page at a time
//! (`limit` 1–100, default 50; `nextToken` from the previous page).
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one `GetItem` and one `Query`.

use lambda_http::{Body, Request, RequestExt, Response};
use shared::api::page;
use shared::model::GroupId;
use shared::service::invitations;
use shared::{Deps, http};

/// One page; `nextToken` is absent on the last page.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed {
    invitations: Vec<shared::api::InvitationView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-invitations", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let query = req.query_string_parameters();
    let limit = page::limit(query.first("limit"), page::DEFAULT_LIMIT, page::MAX_LIMIT)?;
    let (invitations, next_token) =
        invitations::list_invitations(deps, &caller, &gid, limit, query.first("nextToken")).await?;
    http::json(
        200,
        &Listed {
            invitations,
            next_token,
        },
    )
}
