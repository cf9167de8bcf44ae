//! The local API gateway: every HTTP Lambda handler mounted behind its route
//! from `infra/template.yaml`, requests turned into API Gateway v2 events
//! (with verified JWT claims in the request context) exactly as the deployed
//! API hands them to Lambda.

pub mod auth;
mod event;
pub mod routes;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::path::ErrorKind as PathErrorKind;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request as AxumRequest};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{MethodFilter, on};
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use shared::{Deps, Error};

pub use auth::TokenKey;
pub use axum::Router;
pub use routes::Route;

/// A mounted function handler.
pub type Handler =
    Arc<dyn Fn(Arc<Deps>, Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;

macro_rules! handlers {
    ($($binary:literal => $krate:ident),* $(,)?) => {
        /// Every HTTP function this gateway can serve, by binary name.
        pub fn handlers() -> HashMap<&'static str, Handler> {
            HashMap::from([
                $((
                    $binary,
                    Arc::new(|deps: Arc<Deps>, req: Request| -> BoxFuture<'static, Response<Body>> {
                        Box::pin(async move { $krate::handler(&deps, req).await })
                    }) as Handler,
                ),)*
            ])
        }
    };
}

handlers! {
    "add-myself" => add_myself,
    "approve-request" => approve_request,
    "create-invitations" => create_invitations,
    "deny-request" => deny_request,
    "disable-invite-link" => disable_invite_link,
    "get-invite-link" => get_invite_link,
    "join-group" => join_group,
    "list-invitations" => list_invitations,
    "list-members" => list_members,
    "list-requests" => list_requests,
    "preview-invitation" => preview_invitation,
    "remove-member" => remove_member,
    "leave-group" => leave_group,
    "resend-invitation" => resend_invitation,
    "revoke-invitation" => revoke_invitation,
    "rotate-invite-link" => rotate_invite_link,
    "add-admin" => add_admin,
    "create-group" => create_group,
    "get-group" => get_group,
    "get-me" => get_me,
    "update-me" => update_me,
    "list-groups" => list_groups,
    "remove-admin" => remove_admin,
    "update-group" => update_group,
    "check-in-computer" => check_in_computer,
    "retire-computer" => retire_computer,
    "list-my-computers" => list_my_computers,
    "create-bucket" => create_bucket,
    "list-my-buckets" => list_my_buckets,
    "delete-bucket" => delete_bucket,
    "get-synopsis" => get_synopsis,
    "list-group-computers" => list_group_computers,
    "get-member-computer" => get_member_computer,
    "get-billing" => get_billing,
    "set-payment-method" => set_payment_method,
    "preview-dissolution" => preview_dissolution,
    "confirm-dissolution" => confirm_dissolution,
    "create-upload" => create_upload,
    "complete-upload" => complete_upload,
    "list-my-files" => list_my_files,
    "delete-my-file" => delete_my_file,
    "list-my-snapshots" => list_my_snapshots,
    "get-my-audit" => get_my_audit,
    "get-group-audit" => get_group_audit,
    "list-member-buckets" => list_member_buckets,
    "list-member-files" => list_member_files,
    "create-snapshot" => create_snapshot,
    "list-member-snapshots" => list_member_snapshots,
    "get-member-snapshot" => get_member_snapshot,
    "download-snapshot" => download_snapshot,
    "order-usb-drive" => order_usb_drive,
    "change-member-account" => change_member_account,
    "confirm-member-contact" => confirm_member_contact,
    "create-report" => create_report,
    "list-reports" => list_reports,
    "download-report" => download_report,
    "list-domains" => list_domains,
    "verify-domain" => verify_domain,
}

/// Largest request body the gateway passes on: API Gateway HTTP API's
/// payload limit (10 MB). Each function then applies its own, smaller one.
pub const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

/// Builds the router for every template route. Fails if the template names a
/// function this gateway has no handler for.
///
/// The gateway's own refusals (no such route, a method the path is not
/// served with, bad percent-encoding, an oversized body) are problem+json
/// with the service's problem types, so a client handles one error shape.
/// Only the authorizer's 401 keeps API Gateway's own body.
pub fn app(deps: Arc<Deps>, key: TokenKey) -> anyhow::Result<Router> {
    let routes = routes::from_template(routes::TEMPLATE)?;
    let handlers = handlers();
    let mut router = Router::new();
    for route in routes {
        let handler = handlers
            .get(route.function.as_str())
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("no local handler for function {}", route.function))?;
        let method =
            MethodFilter::try_from(axum::http::Method::from_bytes(route.method.as_bytes())?)?;
        let deps = deps.clone();
        let key = (!route.public).then(|| key.clone());
        let route_key = route.key();
        let function: Arc<str> = Arc::from(route.function.as_str());
        router = router.route(
            &route.path,
            on(
                method,
                move |params: Result<Path<HashMap<String, String>>, PathRejection>,
                      req: AxumRequest| {
                    invoke(
                        deps.clone(),
                        key.clone(),
                        function.clone(),
                        handler.clone(),
                        route_key.clone(),
                        params,
                        req,
                    )
                },
            ),
        );
    }
    // API Gateway matches a route on method and path together: a path served
    // with other methods is as unknown as any other (404, no 405).
    Ok(router
        .method_not_allowed_fallback(no_route)
        .fallback(no_route))
}

async fn no_route() -> AxumResponse {
    problem(&Error::NotFound("route"))
}

/// The service's problem+json rendering of `error`.
fn problem(error: &Error) -> AxumResponse {
    to_axum(shared::http::problem_response(error))
}

/// Path parameters and query string as API Gateway decodes them, or the 400
/// it would answer: every `%` starts two hex digits, and what they decode to
/// is UTF-8. (Left alone, `%zz` would reach a function as those three
/// characters, and a bad query byte as U+FFFD.)
fn decoded(
    uri: &axum::http::Uri,
    params: Result<Path<HashMap<String, String>>, PathRejection>,
) -> Result<HashMap<String, String>, Error> {
    const REASON: &str = "is not valid percent-encoded UTF-8";
    let params = match params {
        Ok(Path(params)) => params,
        Err(PathRejection::FailedToDeserializePathParams(e)) => {
            let field = match e.kind() {
                PathErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                _ => "path".to_owned(),
            };
            return Err(Error::invalid(field, REASON));
        }
        Err(other) => return Err(Error::invalid("path", other.body_text())),
    };
    if !percent_decodes_to_utf8(uri.path()) {
        return Err(Error::invalid("path", REASON));
    }
    if !percent_decodes_to_utf8(uri.query().unwrap_or_default()) {
        return Err(Error::invalid("query", REASON));
    }
    Ok(params)
}

/// Every `%` in `text` is followed by two hex digits, and the bytes they
/// stand for, with the rest, are UTF-8.
fn percent_decodes_to_utf8(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let Some(byte) = bytes
                .get(i + 1..i + 3)
                .and_then(|hex| std::str::from_utf8(hex).ok())
                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            else {
                return false;
            };
            decoded.push(byte);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

async fn invoke(
    deps: Arc<Deps>,
    key: Option<TokenKey>,
    function: Arc<str>,
    handler: Handler,
    route_key: String,
    params: Result<Path<HashMap<String, String>>, PathRejection>,
    req: AxumRequest,
) -> AxumResponse {
    let (parts, body) = req.into_parts();
    let params = match decoded(&parts.uri, params) {
        Ok(params) => params,
        Err(error) => return problem(&error),
    };
    let claims = match &key {
        // A public route: API Gateway runs no authorizer and passes no claims.
        None => Some(None),
        Some(key) => parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.strip_prefix("Bearer ").unwrap_or(v).trim())
            .and_then(|token| key.verify(token))
            .map(Some),
    };
    let Some(claims) = claims else {
        // What API Gateway's JWT authorizer answers; the function never runs.
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            [
                ("content-type", "application/json"),
                ("www-authenticate", "Bearer"),
            ],
            r#"{"message":"Unauthorized"}"#,
        )
            .into_response();
    };
    let body = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return problem(&Error::PayloadTooLarge {
                limit: MAX_REQUEST_BYTES,
            });
        }
    };
    let request = match event::lambda_request(&parts, &body, &route_key, params, claims) {
        Ok(request) => request,
        // Logged with its cause by the problem rendering; shown as a plain 500.
        Err(e) => return problem(&Error::unexpected(e)),
    };
    // The function's AWS requests are attributed to it, so tests can hold
    // them to its IAM policy (standins::calls).
    let response = standins::calls::as_function(&function, handler(deps, request)).await;
    to_axum(response)
}

fn to_axum(response: Response<Body>) -> AxumResponse {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(t) => Bytes::from(t),
        Body::Binary(b) => Bytes::from(b),
        _ => Bytes::new(),
    };
    AxumResponse::from_parts(parts, axum::body::Body::from(bytes))
}

/// Serves a router until the listener fails (tests; `local serve` adds a graceful shutdown).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
) -> std::io::Result<()> {
    axum::serve(listener, router).await
}
