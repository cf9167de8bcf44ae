//! `POST /groups/{groupId}/dissolution`: preview dissolving a group: licenses, unbilled estimate, members affected, confirmation token.
//!
//! Who: the group's admins (others: 404). No `Idempotency-Key`: the reply
//! carries a secret token, never stored; a retry previews again. DynamoDB:
//! one `BatchGetItem`, one `Query` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::dissolution;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("preview-dissolution", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(200, &dissolution::preview(deps, &caller, &gid).await?)
}
