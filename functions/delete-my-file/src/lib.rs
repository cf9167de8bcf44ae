//! `DELETE /me/buckets/{name}/files?path=`: deletes one confirmed file of
//! the caller's bucket: its size leaves the bucket's, account's and group's
//! stored bytes, then the object leaves S3.
//!
//! Who: the bucket's owner (others: 404). DynamoDB: one `BatchGetItem`
//! (file, account), one `TransactWriteItems`. S3: one `DeleteObject`.

use lambda_http::RequestExt;
use lambda_http::{Body, Request, Response};
use shared::model::{BucketName, FilePath};
use shared::service::files;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("delete-my-file", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let bucket = http::path_param(req, "name", BucketName::parse)?;
    let query = req.query_string_parameters();
    let path = FilePath::parse("path", query.first("path").unwrap_or(""))
        .map_err(|e| shared::Error::Validation(vec![e]))?;
    files::delete_file(deps, &caller, &bucket, &path).await?;
    Ok(http::no_content())
}
