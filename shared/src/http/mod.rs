//! HTTP glue shared by every API Lambda, written once: identity from the JWT
//! authorizer's claims, JSON bodies, idempotency keys and problem responses.

pub(crate) mod body;
mod idempotency;
mod problem;

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

pub use body::{MAX_BODY_BYTES, json_body};
pub use idempotency::{IdempotencyRequest, idempotency_request};
pub use problem::{PROBLEM_CONTENT_TYPE, problem_response};

use crate::error::{Error, FieldError, Result};
use crate::identity::Caller;
use crate::repo::StoredResponse;

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
    Caller::from_claims(claims)
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
    let body = serde_json::to_string(value).map_err(Error::unexpected)?;
    Ok(reply(&StoredResponse { status, body }))
}

/// A response with no body.
pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(204)
        .body(Body::Empty)
        .unwrap_or_default()
}

/// A stored (or freshly produced) JSON reply as a response.
pub fn reply(stored: &StoredResponse) -> Response<Body> {
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

/// Turns a handler's outcome into the response API Gateway returns: expected
/// failures become problem responses, so the Lambda itself never errors.
pub fn respond(outcome: Result<Response<Body>>) -> Response<Body> {
    outcome.unwrap_or_else(|e| problem_response(&e))
}
