//! `PATCH /groups/{groupId}`: edit name, products (add only), SSO, domains,
//! approval policy and email settings.
//!
//! Who: the group's admins (others: 404), from a session the group's SSO
//! setting admits (else 403 `sso-required`); a new `sso` must admit the
//! sender's own session (else 400 on `sso`). Not after dissolution (409).
//! Logged in the audit log. DynamoDB: one consistent `GetItem` (the
//! session's rule), one `TransactWriteItems` (the conditional update and
//! the audit entry), then one consistent `GetItem`.

use lambda_http::{Body, Request, Response};
use shared::api::{GroupView, UpdateGroupRequest};
use shared::model::{GroupChanges, GroupId};
use shared::service::groups;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("update-group", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let changes = GroupChanges::try_from(http::json_body::<UpdateGroupRequest>(req)?)?;
    let group = groups::update_group(deps, &caller, &gid, &changes, &http::origin(req)).await?;
    http::json(200, &GroupView::from(&group))
}
