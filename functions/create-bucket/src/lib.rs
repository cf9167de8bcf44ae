//! `POST /me/buckets`: create a B2 bucket (name unique across the service; 100 per account).
//!
//! Who: any signed-in caller. Honours `Idempotency-Key`. DynamoDB: one
//! `TransactWriteItems` (name claim, bucket, account counter under its limit,
//! idempotency record).

use lambda_http::{Body, Request, Response};
use shared::api::CreateBucketRequest;
use shared::model::BucketName;
use shared::service::me;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("create-bucket", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let body = http::json_body::<CreateBucketRequest>(req)?;
    let name =
        BucketName::parse("name", &body.name).map_err(|e| shared::Error::Validation(vec![e]))?;
    let idem = http::idempotency_request(req, &caller)?;
    Ok(http::reply(
        &me::create_bucket(deps, &caller, name, idem).await?,
    ))
}
