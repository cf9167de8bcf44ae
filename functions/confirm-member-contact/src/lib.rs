//! `POST /groups/{groupId}/members/{accountId}/contact-verification`: confirms
//! a phone or email change with the code sent to the new number or address
//! (6 digits, 10 minutes, 5 tries); it is then set, verified. Logged.
//!
//! Who: an admin of the member's managed group (everyone else: 404).
//! DynamoDB: one `BatchGetItem`, one `GetItem`, then one `UpdateItem` (a
//! wrong code) or one `TransactWriteItems` (code spent, audit entry).
//! Cognito: one `AdminUpdateUserAttributes`.

use lambda_http::{Body, Request, Response};
use shared::api::ContactCodeRequest;
use shared::service::contact;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("confirm-member-contact", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let body = http::json_body::<ContactCodeRequest>(req)?;
    http::json(
        200,
        &contact::confirm_contact(deps, acting, &body.code).await?,
    )
}
