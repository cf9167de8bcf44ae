//! `POST /me/buckets/{name}/uploads`: a presigned PUT URL for one file of
//! the caller's bucket, of exactly the declared size; confirmed afterwards
//! with `.../uploads/{uploadId}/complete`. The URL expires.
//!
//! Who: any signed-in caller, for their own bucket (else 404). Honours
//! `Idempotency-Key`. DynamoDB: one `TransactWriteItems` (bucket check,
//! upload item, idempotency record). S3: none (the URL is signed locally).

use lambda_http::{Body, Request, Response};
use shared::api::CreateUploadRequest;
use shared::model::{BucketName, FilePath};
use shared::service::files;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("create-upload", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let bucket = http::path_param(req, "name", BucketName::parse)?;
    let body = http::json_body::<CreateUploadRequest>(req)?;
    let path =
        FilePath::parse("path", &body.path).map_err(|e| shared::Error::Validation(vec![e]))?;
    let idem = http::idempotency_request(req, &caller)?;
    let reply = files::create_upload(deps, &caller, bucket, path, body.size, idem).await?;
    Ok(http::reply(&reply))
}
