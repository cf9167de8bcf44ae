//! `POST /groups/{groupId}/invitations`: invite up to 500 addresses by email; invalid ones are reported per address.
//!
//! Who: the group's admins (others: 404); honours `Idempotency-Key`; 429 past the daily cap.
//! DynamoDB: one `GetItem` and one `TransactWriteItems` per 20 addresses.

use lambda_http::{Body, Request, Response};
use shared::api::CreateInvitationsRequest;
use shared::model::GroupId;
use shared::service::invitations;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("create-invitations", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let body = http::json_body::<CreateInvitationsRequest>(req)?;
    let idem = http::idempotency_request(req, &caller)?;
    Ok(http::reply(
        &invitations::create_invitations(deps, &caller, &gid, &body, idem).await?,
    ))
}
