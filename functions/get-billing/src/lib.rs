//! `GET /groups/{groupId}/billing`: renewal date, payment method, licenses and the unbilled estimate.
//!
//! Who: the group's admins (others: 404). DynamoDB: one `BatchGetItem` (group,
//! billing, counters) and one `Query` (usage since the last renewal).

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::billing;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("get-billing", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(200, &billing::billing(deps, &caller, &gid).await?)
}
