//! `PUT /groups/{groupId}/billing/payment-method`: set or replace the group's payment method (a processor's reference, never card data).
//!
//! Who: the group's admins (others: 404). DynamoDB: one `GetItem` and one
//! `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::api::PaymentMethodRequest;
use shared::model::GroupId;
use shared::service::billing;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("set-payment-method", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let body = http::json_body::<PaymentMethodRequest>(req)?;
    http::json(
        200,
        &billing::set_payment_method(deps, &caller, &gid, &body).await?,
    )
}
