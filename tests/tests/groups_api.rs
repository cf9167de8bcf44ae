//! End-to-end: the product's group administration flows over HTTP through the
//! local gateway, on the embedded DynamoDB.

use e2e::spawn_app;
use serde_json::json;

fn initech() -> serde_json::Value {
    json!({"name": "Initech Staff", "products": ["computerBackup"], "managed": true})
}

#[tokio::test]
async fn an_admin_creates_edits_and_shares_a_group_and_outsiders_see_nothing() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");

    // Create: the caller becomes the first admin.
    let created = app.post("/groups", &alice, initech()).await;
    assert_eq!(created.status, 201, "{created:?}");
    let gid = created.body["id"].as_str().expect("id").to_owned();
    assert_eq!(created.body["admins"][0]["email"], "alice@initech.com");
    assert_eq!(created.body["joinPolicy"]["approval"], "restricted");
    assert_eq!(created.body["memberCount"], 0);

    // Edit: rename, add B2, auto-accept a domain, report CSVs monthly.
    let edited = app
        .patch(
            &format!("/groups/{gid}"),
            &alice,
            json!({
                "name": "Initech Everyone",
                "addProducts": ["b2"],
                "joinPolicy": {"autoAcceptDomains": ["Initech.COM."]},
                "sso": [],
                "adminReportEmails": {"cadence": "monthly", "attachCsv": true},
                "memberSummaryEmails": "off"
            }),
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    assert_eq!(edited.body["name"], "Initech Everyone");
    assert_eq!(edited.body["products"], json!(["computerBackup", "b2"]));
    assert_eq!(
        edited.body["joinPolicy"]["autoAcceptDomains"],
        json!(["initech.com"])
    );
    assert_eq!(edited.body["adminReportEmails"]["attachCsv"], true);
    assert_eq!(edited.body["version"], 2);

    // Add an admin by email: bob has signed in once.
    let bob = app.sign_in("bob@initech.com").await;
    let added = app
        .post(
            &format!("/groups/{gid}/admins"),
            &alice,
            json!({"email": "Bob@Initech.com"}),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    assert_eq!(added.body["email"], "bob@initech.com");

    // Bob now has equal rights: he sees and lists the group.
    let seen = app.get(&format!("/groups/{gid}"), &bob).await;
    assert_eq!(seen.status, 200, "{seen:?}");
    assert_eq!(seen.body["admins"].as_array().map(Vec::len), Some(2));
    let listed = app.get("/groups", &bob).await;
    assert_eq!(listed.body["groups"][0]["id"], gid.as_str());

    // An outsider gets exactly what a missing group gives.
    let mallory = app.token("mallory@evil.example.org");
    let missing = format!("/groups/{}", uuid::Uuid::now_v7());
    for (method, path, body) in [
        ("GET", format!("/groups/{gid}"), None),
        (
            "PATCH",
            format!("/groups/{gid}"),
            Some(json!({"name": "Pwned"})),
        ),
        (
            "POST",
            format!("/groups/{gid}/admins"),
            Some(json!({"email": "bob@initech.com"})),
        ),
        (
            "DELETE",
            format!(
                "/groups/{gid}/admins/{}",
                local::auth::local_subject("alice@initech.com")
            ),
            None,
        ),
    ] {
        let denied = app
            .call(method, &path, Some(&mallory), body.as_ref(), &[])
            .await;
        assert_eq!(denied.status, 404, "{method} {path}: {denied:?}");
        assert_eq!(denied.content_type, "application/problem+json");
        let absent = app
            .call(
                method,
                &path.replace(&format!("/groups/{gid}"), &missing),
                Some(&mallory),
                body.as_ref(),
                &[],
            )
            .await;
        assert_eq!(
            denied.body, absent.body,
            "{method}: outsider and missing group are indistinguishable"
        );
    }
    let listed = app.get("/groups", &mallory).await;
    assert_eq!(listed.body["groups"], json!([]));
    let unchanged = app.get(&format!("/groups/{gid}"), &alice).await;
    assert_eq!(
        unchanged.body["name"], "Initech Everyone",
        "outsider's PATCH changed nothing"
    );
}

#[tokio::test]
async fn requests_without_a_valid_token_never_reach_a_function() {
    let app = spawn_app().await;
    let forged = local::TokenKey::random()
        .mint("alice@initech.com", true, time::Duration::hours(1))
        .expect("mint");
    for token in [None, Some("not-a-jwt"), Some(forged.as_str())] {
        let reply = app
            .call("POST", "/groups", token, Some(&initech()), &[])
            .await;
        assert_eq!(reply.status, 401, "token {token:?}");
        assert_eq!(reply.body["message"], "Unauthorized");
    }
}

#[tokio::test]
async fn creating_a_group_needs_a_verified_email() {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/groups",
            &app.unverified_token("eve@initech.com"),
            initech(),
        )
        .await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(reply.body["type"], "/problems/forbidden");
}

#[tokio::test]
async fn invalid_input_is_reported_per_field_and_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let cases = [
        (
            json!({"name": " ", "products": [], "managed": true}),
            vec!["name", "products"],
        ),
        (json!({"name": "x", "products": ["b2"]}), vec!["body"]),
        (
            json!({"name": "x", "products": ["b2"], "managed": true, "owner": "me"}),
            vec!["owner"],
        ),
        (
            json!({"name": "x", "products": ["b2"], "managed": true, "joinPolicy": {"autoAcceptDomains": ["gmail.com", "co.uk", "ok.io"]}}),
            vec![
                "joinPolicy.autoAcceptDomains[0]",
                "joinPolicy.autoAcceptDomains[1]",
            ],
        ),
    ];
    for (body, fields) in cases {
        let reply = app.post("/groups", &alice, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.content_type, "application/problem+json");
        let got: Vec<&str> = reply.body["errors"]
            .as_array()
            .expect("field errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(got, fields, "{body}");
    }
    assert_eq!(
        app.get("/groups", &alice).await.body["groups"],
        json!([]),
        "nothing was created"
    );

    let gid = app.create_group(&alice, initech()).await;
    for (body, field) in [
        (json!({"managed": false}), "managed"),
        (json!({"products": ["b2"]}), "products"),
        (json!({}), "body"),
        (json!({"addProducts": ["tape"]}), "addProducts[0]"),
    ] {
        let reply = app
            .patch(&format!("/groups/{gid}"), &alice, body.clone())
            .await;
        assert_eq!(reply.status, 400, "{body}");
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}");
    }
    let bad_id = app.get("/groups/not-a-uuid", &alice).await;
    assert_eq!(bad_id.status, 400);
    assert_eq!(bad_id.body["errors"][0]["field"], "groupId");
}

#[tokio::test]
async fn the_last_admin_can_never_be_removed() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let alice_id = local::auth::local_subject("alice@initech.com");
    let gid = app.create_group(&alice, initech()).await;

    let alone = app
        .delete(&format!("/groups/{gid}/admins/{alice_id}"), &alice)
        .await;
    assert_eq!(alone.status, 409, "{alone:?}");
    assert_eq!(alone.body["type"], "/problems/last-admin");

    app.sign_in("bob@initech.com").await;
    let bob_id = local::auth::local_subject("bob@initech.com");
    let added = app
        .post(
            &format!("/groups/{gid}/admins"),
            &alice,
            json!({"email": "bob@initech.com"}),
        )
        .await;
    assert_eq!(added.status, 201);
    let again = app
        .post(
            &format!("/groups/{gid}/admins"),
            &alice,
            json!({"email": "bob@initech.com"}),
        )
        .await;
    assert_eq!(again.status, 409, "{again:?}");
    assert_eq!(again.body["type"], "/problems/already-admin");

    // Alice steps down; Bob, now alone, cannot.
    assert_eq!(
        app.delete(&format!("/groups/{gid}/admins/{alice_id}"), &alice)
            .await
            .status,
        204
    );
    assert_eq!(
        app.get(&format!("/groups/{gid}"), &alice).await.status,
        404,
        "alice lost access"
    );
    let bob = app.token("bob@initech.com");
    let last = app
        .delete(&format!("/groups/{gid}/admins/{bob_id}"), &bob)
        .await;
    assert_eq!(last.status, 409);
    let unknown = app
        .delete(&format!("/groups/{gid}/admins/{alice_id}"), &bob)
        .await;
    assert_eq!(unknown.status, 404, "removing a non-admin: {unknown:?}");
}

#[tokio::test]
async fn concurrent_removals_never_leave_a_group_without_an_admin() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, initech()).await;
    let mut admins = vec![("alice@initech.com".to_owned(), alice.clone())];
    for i in 0..5 {
        let email = format!("admin{i}@initech.com");
        let token = app.sign_in(&email).await;
        let added = app
            .post(
                &format!("/groups/{gid}/admins"),
                &alice,
                json!({"email": email}),
            )
            .await;
        assert_eq!(added.status, 201);
        admins.push((email, token));
    }
    // Every admin removes themselves at once: exactly one must remain.
    let removals = admins.iter().map(|(email, token)| {
        let path = format!("/groups/{gid}/admins/{}", local::auth::local_subject(email));
        let app = &app;
        async move { app.delete(&path, token).await.status }
    });
    let statuses = futures::future::join_all(removals).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        1,
        "{statuses:?}"
    );
    let group = app
        .deps
        .repo
        .get_group(&shared::model::GroupId::parse("g", &gid).expect("id"))
        .await;
    assert_eq!(group.expect("read").expect("exists").admins.len(), 1);
}

#[tokio::test]
async fn adding_an_admin_needs_an_account_with_that_verified_email() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, initech()).await;
    // Never signed in.
    let nobody = app
        .post(
            &format!("/groups/{gid}/admins"),
            &alice,
            json!({"email": "ghost@initech.com"}),
        )
        .await;
    assert_eq!(nobody.status, 400, "{nobody:?}");
    assert_eq!(nobody.body["errors"][0]["field"], "email");
    // Signed in, but the address was never verified: it cannot be claimed.
    let reply = app
        .get("/me", &app.unverified_token("squatter@initech.com"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["emailVerified"], false);
    let squat = app
        .post(
            &format!("/groups/{gid}/admins"),
            &alice,
            json!({"email": "squatter@initech.com"}),
        )
        .await;
    assert_eq!(squat.status, 400, "{squat:?}");
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response_and_refuse_other_bodies() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let key = [("idempotency-key", "create-initech-1")];
    let first = app
        .call("POST", "/groups", Some(&alice), Some(&initech()), &key)
        .await;
    let second = app
        .call("POST", "/groups", Some(&alice), Some(&initech()), &key)
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 201);
    assert_eq!(
        first.body, second.body,
        "the retry replays the original response"
    );
    assert_eq!(
        app.get("/groups", &alice).await.body["groups"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "one group"
    );

    let other = json!({"name": "Other", "products": ["b2"], "managed": false});
    let reused = app
        .call("POST", "/groups", Some(&alice), Some(&other), &key)
        .await;
    assert_eq!(reused.status, 422, "{reused:?}");
    assert_eq!(reused.body["type"], "/problems/idempotency-key-reused");

    // Keys are per caller: Bob's identical key is his own.
    let bob = app.token("bob@initech.com");
    let bobs = app
        .call("POST", "/groups", Some(&bob), Some(&initech()), &key)
        .await;
    assert_eq!(bobs.status, 201);
    assert_ne!(bobs.body["id"], first.body["id"]);

    // Concurrent retries of one key still make one group.
    let key = [("idempotency-key", "burst")];
    let burst = futures::future::join_all(
        (0..8).map(|_| app.call("POST", "/groups", Some(&bob), Some(&other), &key)),
    )
    .await;
    let ids: std::collections::BTreeSet<String> = burst
        .iter()
        .filter_map(|r| r.body["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), 1, "{burst:?}");
    assert_eq!(
        app.get("/groups", &bob).await.body["groups"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn dissolved_groups_accept_no_changes() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, initech()).await;
    app.mark_dissolved(&gid).await;
    let reply = app
        .patch(&format!("/groups/{gid}"), &alice, json!({"name": "Zombie"}))
        .await;
    assert_eq!(reply.status, 409, "{reply:?}");
    assert_eq!(reply.body["type"], "/problems/group-dissolved");
    assert_eq!(
        app.get(&format!("/groups/{gid}"), &alice).await.body["status"],
        "dissolved"
    );
}

#[tokio::test]
async fn a_patch_refuses_null_where_the_schema_has_a_value() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;
    for field in ["versionHistory30Days", "adminNotifications", "name", "sso"] {
        let reply = app
            .patch(&format!("/groups/{gid}"), &alice, json!({ field: null }))
            .await;
        assert_eq!(reply.status, 400, "{field}: {reply:?}");
        assert_eq!(reply.body["errors"][0]["field"], field, "{reply:?}");
    }
    let unchanged = app
        .patch(
            &format!("/groups/{gid}"),
            &alice,
            json!({"adminNotifications": false}),
        )
        .await;
    assert_eq!(
        unchanged.status, 200,
        "a value is still a change: {unchanged:?}"
    );
}

#[tokio::test]
async fn who_has_an_account_is_no_business_of_anyone_but_the_groups_admins() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, initech()).await;
    // Bob has an account (he signed in once); nobody@ has none.
    let bob = app.token("bob@contoso.com");
    assert_eq!(app.get("/me", &bob).await.status, 200);
    let admins = format!("/groups/{gid}/admins");

    // A stranger, and an admin of another group, get the same answer for
    // a known and an unknown address, and for a group that does not exist.
    let mallory = app.token("mallory@evil.example");
    app.create_group(&mallory, initech()).await;
    for (who, token) in [("a stranger", &bob), ("another group's admin", &mallory)] {
        let known = app
            .post(&admins, token, json!({"email": "bob@contoso.com"}))
            .await;
        let unknown = app
            .post(&admins, token, json!({"email": "nobody@contoso.com"}))
            .await;
        let missing = app
            .post(
                "/groups/01a2200d-0000-7000-8000-000000000000/admins",
                token,
                json!({"email": "bob@contoso.com"}),
            )
            .await;
        assert_eq!(known.status, 404, "{who}: {known:?}");
        assert_eq!(
            (known.status, &known.body),
            (unknown.status, &unknown.body),
            "{who}"
        );
        assert_eq!(
            (known.status, &known.body),
            (missing.status, &missing.body),
            "{who}"
        );
    }
    // The group's admin is told an address has no account (to ask them to
    // sign in first), and adds one that has.
    let unknown = app
        .post(&admins, &alice, json!({"email": "nobody@contoso.com"}))
        .await;
    assert_eq!(unknown.status, 400, "{unknown:?}");
    assert_eq!(unknown.body["errors"][0]["field"], "email");
    let added = app
        .post(&admins, &alice, json!({"email": "bob@contoso.com"}))
        .await;
    assert_eq!(added.status, 201, "{added:?}");
}

#[tokio::test]
async fn a_stale_email_claim_makes_nobody_an_admin() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, initech()).await;
    let bob = app.token("bob@contoso.com");
    assert_eq!(app.get("/me", &bob).await.status, 200);
    // Bob's account has since changed its email (the claim still names it).
    let bob_id = local::auth::local_subject("bob@contoso.com");
    app.set_attributes(
        &format!("ACCOUNT#{bob_id}"),
        "ACCOUNT",
        &[(
            "email",
            aws_sdk_dynamodb::types::AttributeValue::S("bob@elsewhere.example".into()),
        )],
    )
    .await;
    let added = app
        .post(
            &format!("/groups/{gid}/admins"),
            &alice,
            json!({"email": "bob@contoso.com"}),
        )
        .await;
    assert_eq!(
        added.status, 400,
        "the address's holder moved on: {added:?}"
    );
    assert_eq!(added.body["errors"][0]["field"], "email");
    let group = app.get(&format!("/groups/{gid}"), &alice).await;
    assert_eq!(group.body["admins"].as_array().map(Vec::len), Some(1));
}
