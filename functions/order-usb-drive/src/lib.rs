//! `POST /groups/{groupId}/members/{accountId}/snapshots/{snapshotId}/usb-orders`:
//! orders a Ready snapshot on a USB hard drive: a record with the delivery
//! address and the payment reference, for fulfilment. Logged.
//!
//! Who: an admin of the member's managed group (everyone else: 404). Honours
//! `Idempotency-Key`. DynamoDB: one `BatchGetItem` (group, member), one
//! `GetItem` (snapshot), one `TransactWriteItems` (access conditions, Ready
//! check, order, audit entry, idempotency record).

use lambda_http::{Body, Request, Response};
use shared::api::UsbOrderRequest;
use shared::model::parse_uuid;
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("order-usb-drive", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let sid = http::path_param(req, "snapshotId", parse_uuid)?;
    let body = http::json_body::<UsbOrderRequest>(req)?;
    let idem = http::idempotency_request(req, &acting_for.caller)?;
    let reply = managed::order_usb(deps, acting, &sid, body, idem).await?;
    Ok(http::reply(&reply))
}
