//! HTTP glue shared by every API Lambda, written once: identity from the JWT
//! authorizer's claims, JSON bodies, idempotency keys and problem responses.

pub(crate) mod body;
mod idempotency;
mod problem;

use std::future::Future;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument;

pub use body::{MAX_BODY_BYTES, json_body};
pub use idempotency::idempotency_request;
pub use problem::{PROBLEM_CONTENT_TYPE, problem_response};

use crate::error::{Error, FieldError, Result};
use crate::identity::Caller;
use crate::model::GroupId;
use crate::reply::Reply;
use crate::span;

/// The caller, from the claims API Gateway's JWT authorizer verified.
/// Nothing else in a request can establish identity.
pub fn caller(req: &Request) -> Result<Caller> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    };
    let claims = claims.ok_or(Error::Unauthenticated("no verified token on the request"))?;
    let caller = Caller::from_claims(claims)?;
    span::record_account(&caller.account_id);
    Ok(caller)
}

/// Where the request came from (source IP and user agent, as API Gateway
/// saw them), for the audit log.
pub fn origin(req: &Request) -> crate::model::Origin {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => crate::model::Origin::new(
            ctx.http.source_ip.as_deref(),
            ctx.http.user_agent.as_deref(),
        ),
        _ => crate::model::Origin::default(),
    }
}

/// Who acts for which member on a managed-access route
/// (`/groups/{groupId}/members/{accountId}/...`): the caller from the
/// verified claims, the two path parameters, and the request's origin.
pub fn acting_for(req: &Request) -> Result<crate::service::managed::ActingFor> {
    Ok(crate::service::managed::ActingFor {
        caller: caller(req)?,
        group: path_param(req, "groupId", GroupId::parse)?,
        member: path_param(req, "accountId", crate::model::AccountId::parse)?,
        origin: origin(req),
    })
}

/// A page token from the query, decoded; absent is the first page.
pub fn page_position<T: serde::de::DeserializeOwned>(req: &Request) -> Result<Option<T>> {
    req.query_string_parameters()
        .first("nextToken")
        .map(crate::api::page::decode)
        .transpose()
}

/// The `limit` query parameter of the lists whose OpenAPI parameter is `Limit`.
pub fn page_limit(req: &Request) -> Result<usize> {
    crate::api::page::limit(
        req.query_string_parameters().first("limit"),
        crate::api::page::DEFAULT_LIMIT,
        crate::api::page::MAX_LIMIT,
    )
}

/// A path parameter that the route guarantees, parsed by `parse`.
pub fn path_param<T>(
    req: &Request,
    name: &str,
    parse: impl FnOnce(&str, &str) -> std::result::Result<T, FieldError>,
) -> Result<T> {
    let params = req.path_parameters();
    let raw = params
        .first(name)
        .ok_or_else(|| Error::invalid(name, "missing path parameter"))?;
    parse(name, raw).map_err(|e| Error::Validation(vec![e]))
}

/// A JSON response.
pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response<Body>> {
    Ok(reply(&Reply::json(status, value)?))
}

/// A response with no body.
pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(204)
        .body(Body::Empty)
        .unwrap_or_default()
}

/// A stored (or freshly produced) JSON reply as a response.
pub fn reply(stored: &Reply) -> Response<Body> {
    if stored.body.is_empty() {
        return Response::builder()
            .status(stored.status)
            .body(Body::Empty)
            .unwrap_or_else(|_| problem_response(&Error::unexpected("invalid stored status")));
    }
    Response::builder()
        .status(stored.status)
        .header("content-type", "application/json")
        .body(Body::Text(stored.body.clone()))
        .unwrap_or_else(|_| problem_response(&Error::unexpected("invalid stored status")))
}

/// Serves one API request: runs the handler's work inside the request's
/// span (the operation, and the group when the route names one), turns an
/// expected failure into its problem response (so the Lambda itself never
/// errors, which API Gateway would show as a 502), and logs how it ended,
/// so any production refusal is findable by group, account or problem kind.
pub async fn serve(
    operation: &'static str,
    req: &Request,
    work: impl Future<Output = Result<Response<Body>>>,
) -> Response<Body> {
    let request_span = span::request(operation);
    async {
        let gid = req
            .path_parameters()
            .first("groupId")
            .and_then(|raw| GroupId::parse("groupId", raw).ok());
        if let Some(gid) = gid {
            span::record_group(&gid);
        }
        let (response, problem) = match work.await {
            Ok(response) => (response, None),
            Err(error) => (problem_response(&error), Some(error.kind())),
        };
        let status = response.status().as_u16();
        span::record_outcome(status, problem);
        if status >= 500 {
            tracing::error!(status, "request failed");
        } else {
            tracing::info!(
                status,
                problem = problem.map(|k| k.slug()),
                "request handled"
            );
        }
        response
    }
    .instrument(request_span)
    .await
}
