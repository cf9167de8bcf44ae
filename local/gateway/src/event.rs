//! Builds the API Gateway HTTP API (payload 2.0) event for a request and
//! parses it with `lambda_http`, the same path a deployed Lambda takes.

use std::collections::HashMap;

use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// The `lambda_http::Request` the function would receive behind API Gateway.
pub fn lambda_request(
    parts: &Parts,
    body: &[u8],
    route_key: &str,
    path_parameters: HashMap<String, String>,
    claims: Option<HashMap<String, String>>,
) -> Result<lambda_http::Request, serde_json::Error> {
    let mut headers: HashMap<String, String> = HashMap::new();
    for (name, value) in &parts.headers {
        // Every header reaches the function, as API Gateway passes them on:
        // one with bytes beyond ASCII is not dropped (an `Idempotency-Key`
        // silently lost would make a retried write run twice) but handed on
        // as text, for the function to judge (it refuses such a key with 400).
        let v = String::from_utf8_lossy(value.as_bytes());
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&v);
            })
            .or_insert_with(|| v.into_owned());
    }
    let raw_query = parts.uri.query().unwrap_or_default();
    let query: HashMap<String, String> = form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let (body, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (Value::String(text.to_owned()), false),
        Err(_) => (Value::String(STANDARD.encode(body)), true),
    };
    let now = time::OffsetDateTime::now_utc();
    let event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "queryStringParameters": if query.is_empty() { Value::Null } else { json!(query) },
        "pathParameters": if path_parameters.is_empty() { Value::Null } else { json!(path_parameters) },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "authorizer": claims.map(|c| json!({ "jwt": { "claims": c, "scopes": null } })),
            "domainName": headers.get("host").cloned().unwrap_or_else(|| "127.0.0.1".into()),
            "domainPrefix": "local",
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.to_string(),
            "timeEpoch": now.unix_timestamp() * 1000,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    });
    lambda_http::request::from_str(&event.to_string())
}
