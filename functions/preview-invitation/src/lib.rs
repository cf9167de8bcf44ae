//! `GET /invitations/{token}`: what a joiner will accept (group name, managed access, version history, regions, join or request).
//!
//! Who: anyone holding the token (no sign-in: the route has no authorizer).
//! DynamoDB: one `BatchGetItem` (group and token).

use lambda_http::{Body, Request, Response};
use shared::service::joining;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("preview-invitation", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let token = http::path_param(req, "token", |_, raw| Ok(raw.to_owned()))?;
    http::json(200, &joining::preview(deps, &token).await?)
}
