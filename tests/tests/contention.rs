//! What real DynamoDB does under a burst, which the emulator never does:
//! transactions cancelled by `TransactionConflict` and throttled requests,
//! injected into the handlers' client. Both end in a 503 `busy` with
//! `Retry-After`, never a 500, and leave nothing half-written.

use e2e::spawn_app_with_fault;
use serde_json::json;
use standins::faults::Fault;

#[tokio::test]
async fn a_join_that_keeps_conflicting_is_busy_and_writes_nothing() {
    let fault = Fault::transaction_conflict();
    let app = spawn_app_with_fault(fault.clone()).await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["computerBackup"], "managed": false,
                   "joinPolicy": {"approval": "autoApproveAll"}}),
        )
        .await;
    let link = app
        .post(&format!("/groups/{gid}/invite-link"), &alice, json!({}))
        .await;
    let token = link.body["token"].as_str().expect("link token").to_owned();
    let bob = app.token("bob@initech.com");
    let path = format!("/invitations/{token}/join");
    let body = json!({"region": "us-west"});

    fault.arm();
    let busy = app.post(&path, &bob, body.clone()).await;
    assert_eq!(busy.status, 503, "{busy:?}");
    assert_eq!(busy.content_type, "application/problem+json");
    assert_eq!(busy.body["type"], "/problems/busy");
    assert_eq!(busy.retry_after.as_deref(), Some("1"));
    assert_eq!(
        fault.injected(),
        5,
        "the transaction is tried five times (full jitter between) before giving up"
    );

    fault.disarm();
    let members = app.get(&format!("/groups/{gid}/members"), &alice).await;
    assert_eq!(
        members.body["members"].as_array().map(Vec::len),
        Some(0),
        "nothing half-written: {members:?}"
    );
    let joined = app.post(&path, &bob, body).await;
    assert_eq!(
        joined.status, 201,
        "the retry the client is told to make succeeds: {joined:?}"
    );
}

#[tokio::test]
async fn a_throttled_read_is_busy_after_the_sdk_retries() {
    let fault = Fault::throttling("GetItem");
    let app = spawn_app_with_fault(fault.clone()).await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;

    fault.arm();
    let busy = app.get(&format!("/groups/{gid}"), &alice).await;
    assert_eq!(busy.status, 503, "{busy:?}");
    assert_eq!(busy.body["type"], "/problems/busy");
    assert_eq!(busy.retry_after.as_deref(), Some("1"));
    assert_eq!(fault.injected(), 3, "the SDK's standard retries ran first");

    fault.disarm();
    let group = app.get(&format!("/groups/{gid}"), &alice).await;
    assert_eq!(group.status, 200, "{group:?}");
}
