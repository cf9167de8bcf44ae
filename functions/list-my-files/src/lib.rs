//! `GET /me/buckets/{name}/files?prefix=&limit=&nextToken=`: one folder of
//! the caller's bucket (`prefix` empty or ending in `/`): sub-folders and
//! files with sizes and times, a page at a time (`limit` 1–100, default 50).
//!
//! Who: the bucket's owner (others: 404). DynamoDB: one `GetItem` (bucket).
//! S3: one `ListObjectsV2` (delimiter `/`).

use lambda_http::RequestExt;
use lambda_http::{Body, Request, Response};
use shared::model::{BucketName, parse_folder};
use shared::service::files;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-my-files", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let bucket = http::path_param(req, "name", BucketName::parse)?;
    let query = req.query_string_parameters();
    let folder = parse_folder("prefix", query.first("prefix").unwrap_or(""))
        .map_err(|e| shared::Error::Validation(vec![e]))?;
    let limit = http::page_limit(req)?;
    let page = files::my_files(
        deps,
        &caller,
        &bucket,
        folder,
        limit,
        query.first("nextToken"),
    )
    .await?;
    http::json(200, &page)
}
