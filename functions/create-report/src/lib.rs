//! `POST /groups/{groupId}/reports`: asks for the group's User Stats report
//! now. Answers 202 with the report, Pending; the `build-report` job makes
//! it Ready. The report of a day is one: asking again while it is being
//! built answers the same report, and asking once it is Ready builds it
//! anew, replacing it.
//!
//! Who: the group's admins (everyone else: 404), from a session the group's
//! SSO setting admits (else 403 `sso-required`). DynamoDB: one `GetItem`
//! (the group, for the session's rule), one `TransactWriteItems` (admin
//! check, report, job), plus one `GetItem` when it was already being built.

use lambda_http::{Body, Request, Response};
use shared::model::GroupId;
use shared::service::reports;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("create-report", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    http::json(202, &reports::request_report(deps, &caller, &gid).await?)
}
