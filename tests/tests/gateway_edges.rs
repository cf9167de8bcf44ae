//! The local gateway's own answers, before or instead of a function: no such
//! route, a method the path is not served with, bad percent-encoding, an
//! oversized body, and an `Idempotency-Key` that is not plain ASCII. Each is
//! problem+json with the service's own problem types, as a function's
//! refusal would be. And the token signing secret it keeps on disk is
//! private to its owner.

use e2e::{Reply, TestApp, spawn_app};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Asserts `reply` is a problem+json of `kind` with its status, title and a
/// detail, as the service's own problems are.
fn assert_problem(case: &str, reply: &Reply, status: u16, kind: &str) {
    assert_eq!(reply.status, status, "{case}: {reply:?}");
    assert_eq!(
        reply.content_type, "application/problem+json",
        "{case}: {reply:?}"
    );
    assert_eq!(reply.body["type"], kind, "{case}: {reply:?}");
    assert_eq!(reply.body["status"], status, "{case}: {reply:?}");
    assert!(
        reply.body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{case}: a title: {reply:?}"
    );
    assert!(
        reply.body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{case}: a detail: {reply:?}"
    );
}

/// The `field` of a validation problem's first field error.
fn first_field(reply: &Reply) -> &str {
    reply.body["errors"][0]["field"]
        .as_str()
        .unwrap_or_default()
}

/// Sends `head` (request line and headers, without the blank line) and
/// `body` over a raw connection, so a test can send what an HTTP client
/// library would refuse or repair (a bad escape, a non-ASCII header byte).
/// The body is written beside the read, as a client streaming an upload
/// does: the gateway may answer before it has all of it.
async fn raw(app: &TestApp, head: &[u8], body: Vec<u8>) -> Reply {
    let addr = app.base_url.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the gateway");
    let (mut read, mut write) = stream.into_split();
    let mut request = head.to_vec();
    request.extend_from_slice(
        format!(
            "\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    );
    write.write_all(&request).await.expect("send the head");
    let upload = tokio::spawn(async move {
        // The gateway may close once it has refused: later writes may fail.
        let _ = write.write_all(&body).await;
        write
    });
    let mut response = Vec::new();
    let _ = read.read_to_end(&mut response).await;
    let _ = upload.await;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let header = |wanted: &str| {
        head.lines().find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case(wanted)
                .then(|| value.trim().to_owned())
        })
    };
    Reply {
        status,
        content_type: header("content-type").unwrap_or_default(),
        body: serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())),
        retry_after: header("retry-after"),
    }
}

fn bearer(token: &str) -> String {
    format!("\r\nAuthorization: Bearer {token}")
}

#[tokio::test]
async fn an_unknown_route_is_a_not_found_problem() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    for (case, reply) in [
        (
            "unknown path, signed in",
            app.get("/nothing/here", &alice).await,
        ),
        (
            "unknown path, anonymous",
            app.call("GET", "/nothing/here", None, None, &[]).await,
        ),
        (
            "one segment too many",
            app.get("/groups/x/admins/y/z", &alice).await,
        ),
    ] {
        assert_problem(case, &reply, 404, "/problems/not-found");
    }
}

#[tokio::test]
async fn a_method_the_path_is_not_served_with_is_a_not_found_problem_as_api_gateway_answers() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    for method in ["PUT", "DELETE", "OPTIONS", "FROB"] {
        let reply = app.call(method, "/groups", Some(&alice), None, &[]).await;
        assert_problem(
            &format!("{method} /groups"),
            &reply,
            404,
            "/problems/not-found",
        );
    }
    // Nothing was created by any of them.
    let listed = app.get("/groups", &alice).await;
    assert_eq!(listed.body["groups"], json!([]), "{listed:?}");
}

#[tokio::test]
async fn bad_percent_encoding_is_a_validation_problem_naming_where() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;
    let auth = bearer(&alice);
    for (case, target, field) in [
        // %FF decodes to a byte that is not UTF-8.
        ("path parameter", "/groups/%FF".to_owned(), "groupId"),
        (
            "public route's parameter",
            "/invitations/ab%C3%28".to_owned(),
            "token",
        ),
        // A `%` without two hex digits after it.
        (
            "malformed escape in the path",
            format!("/groups/{gid}%zz"),
            "path",
        ),
        (
            "malformed escape in the query",
            format!("/groups/{gid}/computers?nextToken=%2"),
            "query",
        ),
        (
            "query decoding to no UTF-8",
            format!("/groups/{gid}/computers?nextToken=%FF%FE"),
            "query",
        ),
    ] {
        let head = format!("GET {target} HTTP/1.1{auth}");
        let reply = raw(&app, head.as_bytes(), Vec::new()).await;
        assert_problem(case, &reply, 400, "/problems/validation");
        assert_eq!(first_field(&reply), field, "{case}: {reply:?}");
    }
    // Well-formed escapes still reach the function decoded.
    let head = format!("GET /groups/{} HTTP/1.1{auth}", gid.replace('-', "%2D"));
    let reply = raw(&app, head.as_bytes(), Vec::new()).await;
    assert_eq!(reply.status, 200, "escaped group id: {reply:?}");
    assert_eq!(reply.body["id"], gid.as_str());
}

#[tokio::test]
async fn a_body_over_api_gateways_limit_is_a_payload_too_large_problem() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let limit = local::MAX_REQUEST_BYTES;
    let head = format!(
        "POST /groups HTTP/1.1{}\r\nContent-Type: application/json",
        bearer(&alice)
    );
    let reply = raw(&app, head.as_bytes(), vec![b' '; limit + 1]).await;
    assert_problem("one byte over", &reply, 413, "/problems/payload-too-large");
    let listed = app.get("/groups", &alice).await;
    assert_eq!(listed.body["groups"], json!([]), "{listed:?}");
}

#[tokio::test]
async fn an_idempotency_key_that_is_not_visible_ascii_is_refused_not_dropped() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let body = br#"{"name": "Initech", "products": ["b2"], "managed": false}"#.to_vec();
    let auth = bearer(&alice);
    let long = "k".repeat(256);
    for (case, key) in [
        ("UTF-8 beyond ASCII", "cl\u{e9}-1".as_bytes().to_vec()),
        ("a Latin-1 byte", b"cl\xe9-2".to_vec()),
        ("a space inside", b"two words".to_vec()),
        ("longer than 255", long.as_bytes().to_vec()),
    ] {
        let mut head = format!(
            "POST /groups HTTP/1.1{auth}\r\nContent-Type: application/json\r\nIdempotency-Key: "
        )
        .into_bytes();
        head.extend_from_slice(&key);
        // Twice, as a client retrying: neither may create a group.
        for attempt in 1..=2 {
            let reply = raw(&app, &head, body.clone()).await;
            assert_problem(
                &format!("{case}, attempt {attempt}"),
                &reply,
                400,
                "/problems/validation",
            );
            assert_eq!(first_field(&reply), "Idempotency-Key", "{case}: {reply:?}");
        }
    }
    let listed = app.get("/groups", &alice).await;
    assert_eq!(listed.body["groups"], json!([]), "no write ran: {listed:?}");

    // A plain key still makes the write safe to retry.
    let key = [("idempotency-key", "plain-ascii-key")];
    let body = json!({"name": "Initech", "products": ["b2"], "managed": false});
    let first = app
        .call("POST", "/groups", Some(&alice), Some(&body), &key)
        .await;
    let retry = app
        .call("POST", "/groups", Some(&alice), Some(&body), &key)
        .await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(retry.body, first.body, "same key, same group");
    let listed = app.get("/groups", &alice).await;
    assert_eq!(listed.body["groups"].as_array().map(Vec::len), Some(1));
}

#[test]
fn the_token_signing_secret_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("state");
    let key = local::TokenKey::load_or_create(&data).expect("created");
    let path = data.join("jwt-secret");
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "a new secret is 0600");
    let files: Vec<_> = std::fs::read_dir(&data)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(files, ["jwt-secret"], "no temporary file is left behind");

    // The same secret next time: a token minted before still verifies.
    let token = key
        .mint("alice@initech.com", true, time::Duration::hours(1))
        .expect("mint");
    let again = local::TokenKey::load_or_create(&data).expect("loaded");
    assert!(
        again.verify(&token).is_some(),
        "same secret after a restart"
    );

    // One left world-readable (by an older gateway) is narrowed on load.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let loaded = local::TokenKey::load_or_create(&data).expect("loaded");
    assert!(loaded.verify(&token).is_some());
    assert_eq!(mode(&path), 0o600, "an old 0644 secret becomes 0600");
}
