//! `GET /groups/{groupId}/members/{accountId}/buckets/{name}/files?prefix=&limit=&nextToken=`:
//! one folder of a managed member's bucket: sub-folders and files with sizes
//! and times, a page at a time (`limit` 1–100, default 50). Logged.
//!
//! Who: an admin of the member's managed group (everyone else: 404).
//! DynamoDB: one `BatchGetItem` (group, member, bucket), one `PutItem` (audit
//! entry). S3: one `ListObjectsV2` (delimiter `/`).

use lambda_http::RequestExt;
use lambda_http::{Body, Request, Response};
use shared::model::{BucketName, parse_folder};
use shared::service::managed;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-member-files", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let acting_for = http::acting_for(req)?;
    let acting = acting_for.acting();
    let bucket = http::path_param(req, "name", BucketName::parse)?;
    let query = req.query_string_parameters();
    let folder = parse_folder("prefix", query.first("prefix").unwrap_or(""))
        .map_err(|e| shared::Error::Validation(vec![e]))?;
    let limit = http::page_limit(req)?;
    let page = managed::member_files(
        deps,
        acting,
        &bucket,
        folder,
        limit,
        query.first("nextToken"),
    )
    .await?;
    http::json(200, &page)
}
