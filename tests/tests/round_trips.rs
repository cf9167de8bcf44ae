//! Each operation costs exactly the DynamoDB round trips documented in
//! `docs/access-patterns.md` (counted by an SDK interceptor, not timed).

use e2e::spawn_app;
use serde_json::json;

#[tokio::test]
async fn every_operation_makes_its_documented_round_trips() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let bob = app.token("bob@contoso.com");
    let bob_id = local::auth::local_subject("bob@contoso.com");
    let trips = || app.requests.take();

    macro_rules! costs {
        ($call:expr, $expected:expr, $what:literal) => {{
            trips();
            let reply = $call.await;
            assert!(reply.status < 300, "{}: {reply:?}", $what);
            assert_eq!(trips(), $expected as [&str; _], "{}", $what);
            reply
        }};
    }

    let created = costs!(
        app.post(
            "/groups",
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false})
        ),
        ["TransactWriteItems"],
        "create group"
    );
    let gid = created.body["id"].as_str().expect("id").to_owned();
    let g = format!("/groups/{gid}");
    costs!(app.get(&g, &alice), ["GetItem"], "get group");
    costs!(
        app.get("/groups", &alice),
        ["Query", "BatchGetItem"],
        "list groups"
    );
    costs!(
        app.patch(&g, &alice, json!({"name": "Initech Staff"})),
        ["GetItem", "TransactWriteItems", "GetItem"],
        "edit group"
    );
    costs!(
        app.get("/me", &bob),
        ["GetItem", "TransactWriteItems"],
        "me"
    );
    costs!(
        app.patch("/me", &bob, json!({"backupSummaryEmails": false})),
        ["GetItem", "TransactWriteItems"],
        "update me"
    );
    costs!(
        app.post(
            &format!("{g}/admins"),
            &alice,
            json!({"email": "bob@contoso.com"})
        ),
        ["GetItem", "GetItem", "GetItem", "TransactWriteItems"],
        "add admin"
    );
    costs!(
        app.delete(&format!("{g}/admins/{bob_id}"), &alice),
        ["GetItem", "TransactWriteItems"],
        "remove admin"
    );

    let link = costs!(
        app.post(&format!("{g}/invite-link"), &alice, json!({})),
        ["GetItem", "TransactWriteItems"],
        "rotate link"
    );
    let token = link.body["token"].as_str().expect("token").to_owned();
    costs!(
        app.get(&format!("{g}/invite-link"), &alice),
        ["GetItem"],
        "link state"
    );
    costs!(
        app.call("GET", &format!("/invitations/{token}"), None, None, &[]),
        ["BatchGetItem"],
        "preview"
    );
    costs!(
        app.post(
            &format!("/invitations/{token}/join"),
            &bob,
            json!({"region": "us-west"})
        ),
        ["BatchGetItem", "TransactWriteItems"],
        "join (request)"
    );
    costs!(
        app.get(&format!("{g}/requests"), &alice),
        ["GetItem", "Query"],
        "list requests"
    );
    costs!(
        app.post(&format!("{g}/requests/{bob_id}/approve"), &alice, json!({})),
        ["BatchGetItem", "TransactWriteItems"],
        "approve"
    );
    costs!(
        app.get(&format!("{g}/members"), &alice),
        ["GetItem", "Query"],
        "list members"
    );
    costs!(
        app.delete(&format!("{g}/members/{bob_id}"), &alice),
        ["BatchGetItem", "TransactWriteItems"],
        "remove member"
    );
    costs!(
        app.post(
            &format!("{g}/members"),
            &alice,
            json!({"region": "us-west"})
        ),
        ["BatchGetItem", "TransactWriteItems"],
        "add myself"
    );
    costs!(
        app.post(
            &format!("{g}/invitations"),
            &alice,
            json!({"emails": ["c@contoso.com", "d@contoso.com"]})
        ),
        ["GetItem", "TransactWriteItems", "TransactWriteItems"],
        "invite by email (reserve the count, then write)"
    );
    costs!(
        app.get(&format!("{g}/invitations"), &alice),
        ["GetItem", "Query"],
        "list invitations"
    );
    app.clock.advance(time::Duration::hours(1)); // resends: at most hourly
    costs!(
        app.post(
            &format!("{g}/invitations/c@contoso.com/resend"),
            &alice,
            json!({})
        ),
        ["BatchGetItem", "TransactWriteItems"],
        "resend"
    );
    costs!(
        app.delete(&format!("{g}/invitations/c@contoso.com"), &alice),
        ["BatchGetItem", "TransactWriteItems"],
        "revoke"
    );
    costs!(
        app.delete(&format!("{g}/invite-link"), &alice),
        ["GetItem", "TransactWriteItems"],
        "disable link"
    );

    // Computers, buckets, Users/Computers, billing, dissolution.
    let computer = json!({"name": "pc", "os": "macOS", "clientVersion": "9", "selectedBytes": 1,
                          "filesRemaining": 0, "alerts": []});
    let put = |path: String, body: serde_json::Value| {
        let alice = alice.clone();
        let app = &app;
        async move { app.call("PUT", &path, Some(&alice), Some(&body), &[]).await }
    };
    costs!(
        put("/me/computers/pc-1".into(), computer.clone()),
        ["UpdateItem", "GetItem", "TransactWriteItems"],
        "check in a new computer"
    );
    costs!(
        put("/me/computers/pc-1".into(), computer.clone()),
        ["UpdateItem"],
        "routine check-in"
    );
    costs!(app.get("/me/computers", &alice), ["Query"], "my computers");
    costs!(
        app.get(&format!("{g}/synopsis"), &alice),
        ["BatchGetItem"],
        "synopsis"
    );
    costs!(
        app.get(&format!("{g}/computers"), &alice),
        ["GetItem", "Query", "Query"],
        "group computers (one member)"
    );
    let alice_id = local::auth::local_subject("alice@initech.com");
    costs!(
        app.get(&format!("{g}/members/{alice_id}/computers/pc-1"), &alice),
        ["BatchGetItem"],
        "computer details"
    );
    costs!(
        app.delete("/me/computers/pc-1", &alice),
        ["BatchGetItem", "TransactWriteItems"],
        "retire computer"
    );
    costs!(
        app.post("/me/buckets", &alice, json!({"name": "alice-photos"})),
        ["TransactWriteItems"],
        "create bucket"
    );
    costs!(app.get("/me/buckets", &alice), ["Query"], "my buckets");
    costs!(
        app.delete("/me/buckets/alice-photos", &alice),
        ["TransactWriteItems"],
        "delete bucket"
    );
    costs!(
        app.get(&format!("{g}/billing"), &alice),
        ["BatchGetItem", "Query"],
        "billing"
    );
    costs!(
        put(
            format!("{g}/billing/payment-method"),
            json!({"reference": "pm_123", "last4": "4242"})
        ),
        ["GetItem", "TransactWriteItems"],
        "set payment method"
    );
    let reports = format!("{g}/reports");
    let asked = costs!(
        app.post(&reports, &alice, json!({})),
        ["GetItem", "TransactWriteItems"],
        "ask for a report"
    );
    costs!(
        app.post(&reports, &alice, json!({})),
        ["GetItem", "TransactWriteItems", "GetItem"],
        "ask for a report being built"
    );
    costs!(
        app.get(&reports, &alice),
        ["GetItem", "Query"],
        "list reports"
    );
    app.run_jobs().await;
    let period = asked.body["period"].as_str().expect("period");
    costs!(
        app.post(&format!("{reports}/{period}/download"), &alice, json!({})),
        ["BatchGetItem"],
        "download a report"
    );
    let preview = costs!(
        app.post(&format!("{g}/dissolution"), &alice, json!({})),
        ["BatchGetItem", "Query", "TransactWriteItems"],
        "preview dissolution"
    );
    let token = preview.body["confirmationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    costs!(
        app.post(
            &format!("{g}/dissolution/confirm"),
            &alice,
            json!({"confirmationToken": token})
        ),
        ["GetItem", "TransactWriteItems"],
        "confirm dissolution"
    );
}

#[tokio::test]
async fn managed_access_operations_make_their_documented_round_trips() {
    let app = spawn_app().await;
    let (gid, alice) = app
        .group_with_members(true, &["ana@initech.com".to_owned()])
        .await;
    let ana = app.token("ana@initech.com");
    let ana_id = local::auth::local_subject("ana@initech.com");
    app.post("/me/buckets", &ana, json!({"name": "ana-files"}))
        .await;
    let trips = || app.requests.take();

    macro_rules! costs {
        ($call:expr, $expected:expr, $what:literal) => {{
            trips();
            let reply = $call.await;
            assert!(reply.status < 300, "{}: {reply:?}", $what);
            assert_eq!(trips(), $expected as [&str; _], "{}", $what);
            reply
        }};
    }

    let upload = costs!(
        app.post(
            "/me/buckets/ana-files/uploads",
            &ana,
            json!({"path": "a/b.txt", "size": 2})
        ),
        ["TransactWriteItems"],
        "upload URL"
    );
    let put = app
        .put_presigned(&upload.body["upload"], b"hi".to_vec())
        .await;
    assert!(put.is_success(), "{put}");
    let id = upload.body["uploadId"].as_str().expect("id");
    costs!(
        app.post(
            &format!("/me/buckets/ana-files/uploads/{id}/complete"),
            &ana,
            json!({})
        ),
        ["GetItem", "BatchGetItem", "TransactWriteItems"],
        "confirm upload"
    );
    costs!(
        app.get("/me/buckets/ana-files/files?prefix=a/", &ana),
        ["GetItem"],
        "my files (and one ListObjectsV2)"
    );
    let m = format!("/groups/{gid}/members/{ana_id}");
    costs!(
        app.get(&format!("{m}/buckets"), &alice),
        ["BatchGetItem", "PutItem", "Query"],
        "member buckets"
    );
    costs!(
        app.get(&format!("{m}/buckets/ana-files/files"), &alice),
        ["BatchGetItem", "PutItem"],
        "member files (and one ListObjectsV2)"
    );
    let snapshot = costs!(
        app.post(
            &format!("{m}/snapshots"),
            &alice,
            json!({"bucket": "ana-files", "paths": ["a/"]})
        ),
        ["BatchGetItem", "TransactWriteItems"],
        "ask for a snapshot"
    );
    app.run_jobs().await;
    let sid = snapshot.body["id"].as_str().expect("id");
    costs!(
        app.get(&format!("{m}/snapshots/{sid}"), &alice),
        ["BatchGetItem", "GetItem"],
        "one snapshot"
    );
    costs!(
        app.post(&format!("{m}/snapshots/{sid}/download"), &alice, json!({})),
        ["BatchGetItem", "GetItem", "TransactWriteItems"],
        "download a snapshot"
    );
    costs!(
        app.get(&format!("/groups/{gid}/audit"), &alice),
        ["GetItem", "Query"],
        "group audit"
    );
    costs!(app.get("/me/audit", &ana), ["Query"], "my audit");
    costs!(
        app.delete("/me/buckets/ana-files/files?path=a/b.txt", &ana),
        ["BatchGetItem", "TransactWriteItems"],
        "delete my file (and one DeleteObject)"
    );
}
