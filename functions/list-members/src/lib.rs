//! `GET /groups/{groupId}/members`: a page of members (`limit` 1–100,
//! default 50; `nextToken`).
//!
//! Who: the group's admins (others: 404).
//! DynamoDB: one `GetItem` and one `Query`.

use lambda_http::{Body, Request, RequestExt, Response};
use shared::api::page;
use shared::model::{AccountId, GroupId, Member};
use shared::service::members;
use shared::{Deps, http};

/// One page; `nextToken` is absent on the last page.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct MemberPage {
    members: Vec<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<AccountId>,
}

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-members", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let query = req.query_string_parameters();
    let limit = page::limit(query.first("limit"), page::DEFAULT_LIMIT, page::MAX_LIMIT)?;
    let after = query
        .first("nextToken")
        .map(|t| AccountId::parse("nextToken", t))
        .transpose()
        .map_err(|e| shared::Error::Validation(vec![e]))?;
    let (members, next) = members::list_members(deps, &caller, &gid, limit, after.as_ref()).await?;
    http::json(
        200,
        &MemberPage {
            members,
            next_token: next,
        },
    )
}
