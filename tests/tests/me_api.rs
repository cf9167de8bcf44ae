//! End-to-end: `PATCH /me`, a person's own settings (for now whether they
//! get their group's backup summary emails), over HTTP through the local
//! gateway, on the embedded DynamoDB.

use e2e::spawn_app;
use serde_json::{Value, json};

fn keys(body: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

#[tokio::test]
async fn a_member_opts_out_of_summary_emails_and_back_in() {
    let app = spawn_app().await;
    let ann = app.token("ann@initech.com");

    // The first call of all: the account is created and opted out in one write.
    let out = app
        .patch("/me", &ann, json!({"backupSummaryEmails": false}))
        .await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(out.content_type, "application/json");
    assert_eq!(out.body["backupSummaryEmails"], false);
    assert_eq!(out.body["email"], "ann@initech.com");
    assert_eq!(out.body["emailVerified"], true);

    // GET /me shows it, in the same shape, and signing in again (its
    // upsert) never resets it.
    let me = app.get("/me", &ann).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(keys(&me.body), keys(&out.body), "the same body as GET /me");
    assert_eq!(me.body, out.body, "GET /me answers what PATCH /me did");
    let again = app.get("/me", &ann).await;
    assert_eq!(again.body["backupSummaryEmails"], false, "{again:?}");
    assert_eq!(again.body["createdAt"], out.body["createdAt"]);

    // Other writes to the account leave it too (a bucket moves its counter).
    let bucket = app
        .post("/me/buckets", &ann, json!({"name": "ann-photos"}))
        .await;
    assert_eq!(bucket.status, 201, "{bucket:?}");
    let me = app.get("/me", &ann).await;
    assert_eq!(me.body["bucketCount"], 1);
    assert_eq!(me.body["backupSummaryEmails"], false, "{me:?}");

    // Back in: the counters and everything else stay as they were.
    let back = app
        .patch("/me", &ann, json!({"backupSummaryEmails": true}))
        .await;
    assert_eq!(back.status, 200, "{back:?}");
    assert_eq!(back.body["backupSummaryEmails"], true);
    assert_eq!(back.body["bucketCount"], 1);
    assert_eq!(back.body["createdAt"], out.body["createdAt"]);
    let me = app.get("/me", &ann).await;
    assert_eq!(me.body, back.body);

    // Setting it to what it is already is still a change, and answered.
    let same = app
        .patch("/me", &ann, json!({"backupSummaryEmails": true}))
        .await;
    assert_eq!(same.status, 200, "{same:?}");
    assert_eq!(same.body["backupSummaryEmails"], true);
}

#[tokio::test]
async fn summary_emails_are_on_until_turned_off_and_only_for_the_caller() {
    let app = spawn_app().await;
    let ann = app.sign_in("ann@initech.com").await;
    let ben = app.sign_in("ben@initech.com").await;
    assert_eq!(
        app.get("/me", &ann).await.body["backupSummaryEmails"],
        true,
        "on by default"
    );
    let out = app
        .patch("/me", &ann, json!({"backupSummaryEmails": false}))
        .await;
    assert_eq!(out.status, 200, "{out:?}");
    assert_eq!(
        app.get("/me", &ben).await.body["backupSummaryEmails"],
        true,
        "ben's account is untouched"
    );
    // The caller's identity comes from the token only: a body cannot name
    // another account.
    let ben_id = local::auth::local_subject("ben@initech.com");
    let other = app
        .patch(
            "/me",
            &ann,
            json!({"id": ben_id, "backupSummaryEmails": true}),
        )
        .await;
    assert_eq!(other.status, 400, "{other:?}");
    assert_eq!(other.body["errors"][0]["field"], "id");
    assert_eq!(
        app.get("/me", &ann).await.body["backupSummaryEmails"],
        false
    );
    assert_eq!(app.get("/me", &ben).await.body["backupSummaryEmails"], true);
}

#[tokio::test]
async fn bad_bodies_are_400_problems_naming_the_field_and_change_nothing() {
    let app = spawn_app().await;
    let ann = app.sign_in("ann@initech.com").await;
    let cases = [
        (json!({}), "backupSummaryEmails", "nothing to change"),
        (
            json!({"backupSummaryEmails": false, "newsletter": false}),
            "newsletter",
            "unknown field",
        ),
        (
            json!({"backupSummaryEmails": "false"}),
            "backupSummaryEmails",
            "invalid type",
        ),
        (
            json!({"backupSummaryEmails": 0}),
            "backupSummaryEmails",
            "invalid type",
        ),
        (
            json!({"backupSummaryEmails": null}),
            "backupSummaryEmails",
            "invalid type",
        ),
        (json!([false]), "body", "must be a JSON object"),
    ];
    for (body, field, reason) in cases {
        let reply = app.patch("/me", &ann, body.clone()).await;
        assert_eq!(reply.status, 400, "{body}: {reply:?}");
        assert_eq!(reply.content_type, "application/problem+json", "{body}");
        assert_eq!(reply.body["type"], "/problems/validation", "{body}");
        assert_eq!(reply.body["status"], 400, "{body}");
        let errors = reply.body["errors"].as_array().expect("field errors");
        assert_eq!(errors.len(), 1, "{body}: {errors:?}");
        assert_eq!(errors[0]["field"], field, "{body}");
        assert!(
            errors[0]["reason"]
                .as_str()
                .is_some_and(|r| r.contains(reason)),
            "{body}: {errors:?}"
        );
    }
    let none = app.call("PATCH", "/me", Some(&ann), None, &[]).await;
    assert_eq!(none.status, 400, "{none:?}");
    assert_eq!(none.body["errors"][0]["field"], "body");
    assert_eq!(
        app.get("/me", &ann).await.body["backupSummaryEmails"],
        true,
        "nothing was changed"
    );
}

#[tokio::test]
async fn without_a_valid_token_it_is_401() {
    let app = spawn_app().await;
    let forged = local::TokenKey::random()
        .mint("ann@initech.com", true, time::Duration::hours(1))
        .expect("mint");
    let body = json!({"backupSummaryEmails": false});
    for token in [None, Some("not-a-jwt"), Some(forged.as_str())] {
        let reply = app.call("PATCH", "/me", token, Some(&body), &[]).await;
        assert_eq!(reply.status, 401, "token {token:?}: {reply:?}");
        assert_eq!(reply.body["message"], "Unauthorized");
    }
    let ann = app.token("ann@initech.com");
    assert_eq!(
        app.get("/me", &ann).await.body["backupSummaryEmails"],
        true,
        "no account was changed"
    );
}
