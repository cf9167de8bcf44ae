//! `PATCH /me`: the caller changes their own settings: whether they get the
//! backup summary emails their group sends (`backupSummaryEmails`). The
//! account is created from their token on first use, as `GET /me` does, and
//! answered like `GET /me`.
//!
//! Who: any signed-in caller, on their own account only. DynamoDB: as
//! `GET /me` (it signs in the same way), the transaction also making the
//! change: usually one `GetItem` and one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::api::UpdateMeRequest;
use shared::model::AccountChanges;
use shared::service::accounts;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("update-me", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let changes = AccountChanges::try_from(http::json_body::<UpdateMeRequest>(req)?)?;
    let account = accounts::update_me(deps, &caller, changes).await?;
    http::json(200, &account)
}
