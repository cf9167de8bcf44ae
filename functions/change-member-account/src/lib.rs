//! `POST /groups/{groupId}/members/{accountId}/account-changes`: changes a
//! managed member's email, phone, password or sign-in settings (exactly one
//! per request), only with the member's current password. A phone or email
//! answers 202 and takes effect once the code sent to it is confirmed at
//! `.../contact-verification`. Wrong passwords are limited to 5 per member
//! account and hour, texted codes to 3 (429). Logged. Nothing here removes
//! the member or deletes the account.
//!
//! Who: an admin of the member's managed group (everyone else: 404).
//! DynamoDB: one `BatchGetItem` (group, member), one or two `UpdateItem`
//! (the reserved password check), for a phone one more `UpdateItem` (codes
//! this hour), one `TransactWriteItems` (audit entry; for a phone, the
//! pending change). Cognito: `AdminInitiateAuth` and one
//! admin update; SNS: one `Publish` for a phone.

use lambda_http::{Body, Request, Response};
use shared::api::AccountChangeRequest;
use shared::service::contact;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("change-member-account", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let body = http::json_body::<AccountChangeRequest>(req)?;
    let outcome = contact::change_account(deps, acting, &body).await?;
    let status = if outcome.status == "pending" {
        202
    } else {
        200
    };
    http::json(status, &outcome)
}
