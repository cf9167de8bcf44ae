//! `POST /groups/{groupId}/invitations/{email}/resend`: send an invitation again with a new token and expiry (the old token dies).
//!
//! Who: the group's admins (others: 404). Honours `Idempotency-Key`.
//! DynamoDB: one `BatchGetItem` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::model::{EmailAddress, GroupId};
use shared::service::invitations;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("resend-invitation", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let email = http::path_param(req, "email", EmailAddress::parse)?;
    let idem = http::idempotency_request(req, &caller)?;
    Ok(http::reply(
        &invitations::resend_invitation(deps, &caller, &gid, &email, idem).await?,
    ))
}
