//! `GET /groups/{groupId}/domains`: every automatically accepted domain the
//! group lists, by name, with its state (`pending`, `verified`,
//! `suspended`, or `unverified` for one listed before domains had to be
//! proven) and the DNS TXT record an admin publishes to prove it. Only a
//! `verified` domain lets its addresses join directly. At most 40 domains:
//! one page.
//!
//! Who: the group's admins (others: 404). DynamoDB: one `GetItem`, one `Query`.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::domains;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("list-domains", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(200, &domains::list_domains(deps, &caller, &gid).await?)
}
