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
use axum::extract::{Path, Request as AxumRequest};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{MethodFilter, on};
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use shared::Deps;

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
}

/// Builds the router for every template route. Fails if the template names a
/// function this gateway has no handler for.
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
                move |Path(params): Path<HashMap<String, String>>, req: AxumRequest| {
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
    Ok(router.fallback(|| async {
        (
            axum::http::StatusCode::NOT_FOUND,
            [("content-type", "application/json")],
            r#"{"message":"Not Found"}"#,
        )
    }))
}

async fn invoke(
    deps: Arc<Deps>,
    key: Option<TokenKey>,
    function: Arc<str>,
    handler: Handler,
    route_key: String,
    params: HashMap<String, String>,
    req: AxumRequest,
) -> AxumResponse {
    let (parts, body) = req.into_parts();
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
    let body = match axum::body::to_bytes(body, 10 * 1024 * 1024).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return (
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"message":"Request Entity Too Large"}"#,
            )
                .into_response();
        }
    };
    let request = match event::lambda_request(&parts, &body, &route_key, params, claims) {
        Ok(request) => request,
        Err(e) => {
            tracing::error!(error = %e, "could not build the API Gateway event");
            return (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"message":"Internal Server Error"}"#,
            )
                .into_response();
        }
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
