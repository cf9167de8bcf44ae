//! `POST /groups/{groupId}/domains/{domain}/verify`: looks up the domain's
//! DNS TXT record (`_groups-challenge.<domain>`) and, when it holds the
//! group's challenge (`groups-domain-verification=<challenge>`), marks the
//! domain verified: from then on its verified addresses join directly. A
//! suspended domain is verified again the same way. A domain listed before
//! domains had to be proven is given its challenge by its first call.
//!
//! Who: the group's admins (everyone else: 404); a domain the group does
//! not list: 404. Not found: 409 `domain-not-verified`, naming the record
//! and its value. A look-up that could not tell: 503 `dns-unavailable`.
//! Logged in the audit log.
//!
//! DynamoDB: one `BatchGetItem` (group, proof); for a domain without a
//! proof one conditional `PutItem`; verified, one `TransactWriteItems`
//! (admin check, proof, audit entry). DNS: one TXT look-up.

use lambda_http::{Body, Request, Response};
use shared::model::{EmailDomain, GroupId};
use shared::service::domains;
use shared::{Deps, http};

/// Handles the request in its span; failures are problem responses, never `Err`.
pub async fn handler(deps: &Deps, req: Request) -> Response<Body> {
    http::serve("verify-domain", &req, run(deps, &req)).await
}

async fn run(deps: &Deps, req: &Request) -> shared::Result<Response<Body>> {
    let caller = http::caller(req)?;
    let gid = http::path_param(req, "groupId", GroupId::parse)?;
    let domain = http::path_param(req, "domain", EmailDomain::parse)?;
    let view = domains::verify_domain(deps, &caller, &gid, &domain, &http::origin(req)).await?;
    http::json(200, &view)
}
