//! Computers, buckets and the Users/Computers view over HTTP through the
//! local gateway: check-ins and the counters they keep, the account limits
//! under concurrency, bad input, and what admins (and only they) see.

use std::collections::BTreeSet;

use e2e::{TestApp, spawn_app};
use futures::StreamExt;
use serde_json::{Value, json};

fn check_in(alerts: usize) -> Value {
    let alerts: Vec<Value> = (0..alerts)
        .map(|i| json!({"kind": "backupOverdue", "since": "2026-11-01T00:00:00Z", "detail": format!("alert {i}")}))
        .collect();
    json!({
        "name": "Ana's MacBook",
        "os": "macOS 15.1",
        "clientVersion": "9.1.0.812",
        "lastBackupAt": "2026-11-20T08:00:00Z",
        "selectedBytes": 512_000_000_000u64,
        "filesRemaining": 42,
        "alerts": alerts,
    })
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> e2e::Reply {
    app.call("PUT", path, Some(token), Some(&body), &[]).await
}

/// A group of alice's that ana joins.
async fn group_with_member(app: &TestApp, managed: bool) -> (String, String, String) {
    let (gid, alice) = app
        .group_with_members(managed, &["ana@initech.com".to_owned()])
        .await;
    (gid, alice, app.token("ana@initech.com"))
}

async fn synopsis(app: &TestApp, gid: &str, admin: &str) -> Value {
    let reply = app.get(&format!("/groups/{gid}/synopsis"), admin).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    reply.body
}

#[tokio::test]
async fn check_ins_move_the_synopsis_counters_and_a_routine_one_touches_one_item() {
    let app = spawn_app().await;
    let (gid, alice, ana) = group_with_member(&app, true).await;
    assert_eq!(
        synopsis(&app, &gid, &alice).await,
        json!({"members": 1, "computers": 0, "alerts": 0, "storedBytes": 0})
    );

    let first = put(&app, "/me/computers/laptop-1", &ana, check_in(2)).await;
    assert_eq!(first.status, 201, "a new computer: {first:?}");
    assert_eq!(first.body["alertCount"], 2);
    assert_eq!(synopsis(&app, &gid, &alice).await["computers"], 1);
    assert_eq!(synopsis(&app, &gid, &alice).await["alerts"], 2);

    app.requests.take();
    let routine = put(&app, "/me/computers/laptop-1", &ana, check_in(2)).await;
    assert_eq!(routine.status, 200, "{routine:?}");
    assert_eq!(
        app.requests.take(),
        ["UpdateItem"],
        "a check-in that changes no count is one write to one item"
    );

    let cleared = put(&app, "/me/computers/laptop-1", &ana, check_in(0)).await;
    assert_eq!(cleared.status, 200, "{cleared:?}");
    let second = put(&app, "/me/computers/desktop", &ana, check_in(1)).await;
    assert_eq!(second.status, 201, "{second:?}");
    assert_eq!(
        synopsis(&app, &gid, &alice).await,
        json!({"members": 1, "computers": 2, "alerts": 1, "storedBytes": 0})
    );

    let retired = app.delete("/me/computers/desktop", &ana).await;
    assert_eq!(retired.status, 204, "{retired:?}");
    let gone = app.delete("/me/computers/desktop", &ana).await;
    assert_eq!(gone.status, 404, "{gone:?}");
    assert_eq!(
        synopsis(&app, &gid, &alice).await,
        json!({"members": 1, "computers": 1, "alerts": 0, "storedBytes": 0})
    );

    // What a member holds leaves with them, and comes with a new member.
    let ana_id = local::auth::local_subject("ana@initech.com");
    let removed = app
        .delete(&format!("/groups/{gid}/members/{ana_id}"), &alice)
        .await;
    assert_eq!(removed.status, 204, "{removed:?}");
    assert_eq!(
        synopsis(&app, &gid, &alice).await,
        json!({"members": 0, "computers": 0, "alerts": 0, "storedBytes": 0})
    );
    let mine = app.get("/me/computers", &ana).await;
    assert_eq!(
        mine.body["items"].as_array().map(Vec::len),
        Some(1),
        "the account keeps its computer"
    );
    let rejoined = app
        .post(
            &format!("/groups/{gid}/members"),
            &alice,
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(rejoined.status, 201, "{rejoined:?}");
    put(&app, "/me/computers/alice-pc", &alice, check_in(3)).await;
    assert_eq!(
        synopsis(&app, &gid, &alice).await,
        json!({"members": 1, "computers": 1, "alerts": 3, "storedBytes": 0})
    );
}

#[tokio::test]
async fn an_account_backs_up_at_most_1000_computers_even_when_they_check_in_at_once() {
    let app = spawn_app().await;
    let ana = app.token("ana@initech.com");
    let outcomes: Vec<(usize, u16)> = futures::stream::iter(0..1030)
        .map(|i| {
            let ana = ana.clone();
            let app = &app;
            async move {
                let path = format!("/me/computers/pc-{i:04}");
                (i, put(app, &path, &ana, check_in(i % 2)).await.status)
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let replies: Vec<u16> = outcomes.iter().map(|(_, status)| *status).collect();
    let alerts_stored: usize = outcomes
        .iter()
        .filter(|(_, status)| *status == 201)
        .map(|(i, _)| i % 2)
        .sum();
    let created = replies.iter().filter(|s| **s == 201).count();
    let refused = replies.iter().filter(|s| **s == 409).count();
    assert_eq!(created, 1000, "exactly the limit is stored");
    assert_eq!(refused, 30, "the rest are refused: {replies:?}");
    assert!(replies.iter().all(|s| *s < 500), "no 5xx");

    let refusal = put(&app, "/me/computers/one-more", &ana, check_in(0)).await;
    assert_eq!(
        refusal.body["type"], "/problems/computer-limit",
        "{refusal:?}"
    );
    let me = app.get("/me", &ana).await;
    assert_eq!(me.body["computerCount"], 1000);
    assert_eq!(
        me.body["alertCount"], alerts_stored,
        "the alerts of exactly the stored computers"
    );

    let mut listed = BTreeSet::new();
    let mut next: Option<String> = None;
    loop {
        let path = match &next {
            Some(token) => format!("/me/computers?limit=300&nextToken={token}"),
            None => "/me/computers?limit=300".to_owned(),
        };
        let page = app.get(&path, &ana).await;
        assert_eq!(page.status, 200, "{page:?}");
        for item in page.body["items"].as_array().expect("items") {
            listed.insert(item["id"].as_str().expect("id").to_owned());
        }
        match page.body["nextToken"].as_str() {
            Some(token) => next = Some(token.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed.len(), 1000, "every stored computer is listed once");
}

#[tokio::test]
async fn an_account_has_at_most_100_buckets_with_names_unique_across_the_service() {
    let app = spawn_app().await;
    let ana = app.token("ana@initech.com");
    let replies: Vec<u16> = futures::stream::iter(0..110)
        .map(|i| {
            let ana = ana.clone();
            let app = &app;
            async move {
                app.post(
                    "/me/buckets",
                    &ana,
                    json!({"name": format!("ana-bucket-{i:03}")}),
                )
                .await
                .status
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert_eq!(replies.iter().filter(|s| **s == 201).count(), 100);
    assert_eq!(
        replies.iter().filter(|s| **s == 409).count(),
        10,
        "{replies:?}"
    );
    let listed = app.get("/me/buckets", &ana).await;
    assert_eq!(listed.body["buckets"].as_array().map(Vec::len), Some(100));

    let bo = app.token("bo@contoso.com");
    let taken = app
        .post("/me/buckets", &bo, json!({"name": "ANA-BUCKET-000"}))
        .await;
    assert_eq!(taken.status, 409, "{taken:?}");
    assert_eq!(taken.body["type"], "/problems/bucket-name-taken");
    let mine = app
        .post("/me/buckets", &bo, json!({"name": "bo-photos"}))
        .await;
    assert_eq!(mine.status, 201, "{mine:?}");
    assert_eq!(mine.body["storedBytes"], 0);

    let deleted = app.delete("/me/buckets/ana-bucket-000", &ana).await;
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let reused = app
        .post("/me/buckets", &bo, json!({"name": "ana-bucket-000"}))
        .await;
    assert_eq!(reused.status, 201, "a freed name can be taken: {reused:?}");
    let not_mine = app.delete("/me/buckets/bo-photos", &ana).await;
    assert_eq!(not_mine.status, 404, "{not_mine:?}");
}

#[tokio::test]
async fn a_bucket_holding_files_is_not_deleted() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let app = spawn_app().await;
    let ana = app.token("ana@initech.com");
    app.post("/me/buckets", &ana, json!({"name": "ana-photos"}))
        .await;
    // What confirmed uploads leave behind (files arrive with managed access).
    app.set_attributes(
        &format!("ACCOUNT#{}", local::auth::local_subject("ana@initech.com")),
        "BUCKET#ana-photos",
        &[
            ("storedBytes", AttributeValue::N("2048".into())),
            ("fileCount", AttributeValue::N("2".into())),
        ],
    )
    .await;
    let refused = app.delete("/me/buckets/ana-photos", &ana).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert_eq!(refused.body["type"], "/problems/bucket-not-empty");
    let listed = app.get("/me/buckets", &ana).await;
    assert_eq!(listed.body["buckets"][0]["storedBytes"], 2048);
}

#[tokio::test]
async fn bad_check_ins_and_bucket_names_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (gid, alice, ana) = group_with_member(&app, false).await;
    let mut too_many = check_in(21);
    too_many["name"] = json!("x");
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/me/computers/bad%20id", check_in(0), "computerId"),
        (
            "/me/computers/ok",
            {
                let mut b = check_in(0);
                b["selectedBytes"] = json!(-5);
                b
            },
            "selectedBytes",
        ),
        (
            "/me/computers/ok",
            {
                let mut b = check_in(0);
                b["selectedBytes"] = json!(100_000_000_000_000_000u64);
                b
            },
            "selectedBytes",
        ),
        ("/me/computers/ok", too_many, "alerts"),
        (
            "/me/computers/ok",
            {
                let mut b = check_in(0);
                b["lastBackupAt"] = json!("2999-01-01T00:00:00Z");
                b
            },
            "lastBackupAt",
        ),
        (
            "/me/computers/ok",
            {
                let mut b = check_in(1);
                b["alerts"][0]["kind"] = json!("meteorStrike");
                b
            },
            "alerts[0].kind",
        ),
        (
            "/me/computers/ok",
            {
                let mut b = check_in(0);
                b["name"] = json!("  ");
                b
            },
            "name",
        ),
    ];
    for (path, body, field) in cases {
        let reply = put(&app, path, &ana, body).await;
        assert_eq!(reply.status, 400, "{field}: {reply:?}");
        assert_eq!(reply.body["type"], "/problems/validation", "{field}");
        let text = reply.body.to_string();
        assert!(text.contains(field), "{field} is named: {text}");
    }
    for name in ["short", "has space", "b2-reserved", &"x".repeat(64)] {
        let reply = app.post("/me/buckets", &ana, json!({ "name": name })).await;
        assert_eq!(reply.status, 400, "{name:?}: {reply:?}");
    }
    assert_eq!(
        synopsis(&app, &gid, &alice).await,
        json!({"members": 1, "computers": 0, "alerts": 0, "storedBytes": 0}),
        "nothing was counted"
    );
    assert_eq!(
        app.get("/me/buckets", &ana).await.body["buckets"],
        json!([])
    );
}

#[tokio::test]
async fn admins_page_through_every_member_computer_and_see_one_in_detail() {
    let app = spawn_app().await;
    let (gid, alice, ana) = group_with_member(&app, false).await;
    let added = app
        .post(
            &format!("/groups/{gid}/members"),
            &alice,
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(added.status, 201);
    for i in 0..5 {
        put(
            &app,
            &format!("/me/computers/ana-{i}"),
            &ana,
            check_in(i % 3),
        )
        .await;
    }
    for i in 0..3 {
        put(
            &app,
            &format!("/me/computers/alice-{i}"),
            &alice,
            check_in(0),
        )
        .await;
    }
    let mut rows = Vec::new();
    let mut next: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &next {
            Some(t) => format!("/groups/{gid}/computers?limit=2&nextToken={t}"),
            None => format!("/groups/{gid}/computers?limit=2"),
        };
        let page = app.get(&path, &alice).await;
        assert_eq!(page.status, 200, "{page:?}");
        pages += 1;
        rows.extend(page.body["items"].as_array().expect("items").clone());
        match page.body["nextToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    assert!(pages >= 4, "pages of two: {pages}");
    let ids: BTreeSet<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{}/{}",
                r["memberEmail"].as_str().unwrap_or(""),
                r["computerId"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(ids.len(), 8, "every computer once: {ids:?}");
    assert!(ids.contains("ana@initech.com/ana-4"));
    assert!(ids.contains("alice@initech.com/alice-2"));
    assert!(
        rows.iter()
            .all(|r| r.get("selectedBytes").is_some() && r.get("alertCount").is_some())
    );

    let ana_id = local::auth::local_subject("ana@initech.com");
    let detail = app
        .get(
            &format!("/groups/{gid}/members/{ana_id}/computers/ana-2"),
            &alice,
        )
        .await;
    assert_eq!(detail.status, 200, "{detail:?}");
    assert_eq!(detail.body["alerts"].as_array().map(Vec::len), Some(2));
    assert_eq!(detail.body["alerts"][0]["kind"], "backupOverdue");

    // Members and outsiders see none of it; a forged token is a 400.
    let bo = app.token("bo@contoso.com");
    for (who, token) in [("member", &ana), ("outsider", &bo)] {
        for path in [
            format!("/groups/{gid}/synopsis"),
            format!("/groups/{gid}/computers"),
            format!("/groups/{gid}/members/{ana_id}/computers/ana-2"),
        ] {
            let reply = app.get(&path, token).await;
            assert_eq!(reply.status, 404, "{who} {path}: {reply:?}");
        }
    }
    let missing = app
        .get(
            &format!("/groups/{gid}/members/{ana_id}/computers/nope"),
            &alice,
        )
        .await;
    assert_eq!(missing.status, 404);
    let forged = app
        .get(
            &format!("/groups/{gid}/computers?nextToken=not-a-token"),
            &alice,
        )
        .await;
    assert_eq!(forged.status, 400, "{forged:?}");
}
