//! `POST /me/buckets/{name}/uploads/{uploadId}/complete`: confirms an
//! upload: the object must be in S3 with the declared size (else 409
//! `upload-incomplete`); its size is then added to the bucket's, account's
//! and group's stored bytes (an overwritten file counts the difference).
//!
//! Who: the uploader (others: 404). Honours `Idempotency-Key`. DynamoDB: one
//! `GetItem` (upload), one `BatchGetItem` (file, account), one
//! `TransactWriteItems`. S3: one `HeadObject`.

use lambda_http::{Body, Request, Response};
use shared::model::{BucketName, parse_uuid};
use shared::service::files;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("complete-upload", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let bucket = http::path_param(req, "name", BucketName::parse)?;
    let upload = http::path_param(req, "uploadId", parse_uuid)?;
    let idem = http::idempotency_request(req, &caller)?;
    let reply = files::complete_upload(deps, &caller, &bucket, &upload, idem).await?;
    Ok(http::reply(&reply))
}
