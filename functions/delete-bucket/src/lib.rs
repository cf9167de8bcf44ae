//! `DELETE /me/buckets/{name}`: delete an empty B2 bucket and free its name.
//!
//! Who: the bucket's owner. DynamoDB: one `TransactWriteItems`.

use lambda_http::{Body, Request, Response};
use shared::model::BucketName;
use shared::service::me;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("delete-bucket", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let name = http::path_param(req, "name", BucketName::parse)?;
    me::delete_bucket(deps, &caller, &name).await?;
    Ok(http::no_content())
}
