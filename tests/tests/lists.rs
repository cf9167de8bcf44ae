//! Every list is paginated with the page size the OpenAPI states (`limit`
//! 1–100, default 50, anything else a 400) and an opaque `nextToken`.

use e2e::{TestApp, spawn_app};
use serde_json::{Value, json};

/// Follows `nextToken` through `path` (`?limit=2`), returning every page's
/// `field` entries' `key`, and the number of pages.
async fn walk(
    app: &TestApp,
    token: &str,
    path: &str,
    field: &str,
    key: &str,
) -> (Vec<String>, usize) {
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut next: Option<String> = None;
    loop {
        let url = match &next {
            Some(t) => format!("{path}?limit=2&nextToken={t}"),
            None => format!("{path}?limit=2"),
        };
        let page = app.get(&url, token).await;
        assert_eq!(page.status, 200, "{url}: {page:?}");
        let items = page.body[field].as_array().expect("items");
        assert!(items.len() <= 2, "a page holds at most `limit`: {page:?}");
        seen.extend(
            items
                .iter()
                .filter_map(|i| i[key].as_str().map(str::to_owned)),
        );
        pages += 1;
        match page.body["nextToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => return (seen, pages),
        }
    }
}

fn restricted() -> Value {
    json!({"name": "Initech", "products": ["b2"], "managed": false,
           "joinPolicy": {"approval": "restricted"}})
}

#[tokio::test]
async fn invitations_and_requests_are_listed_a_page_at_a_time() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted()).await;
    let emails: Vec<String> = (1..=5).map(|n| format!("p{n}@contoso.com")).collect();
    let sent = app
        .post(
            &format!("/groups/{gid}/invitations"),
            &alice,
            json!({"emails": emails}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    let (invited, pages) = walk(
        &app,
        &alice,
        &format!("/groups/{gid}/invitations"),
        "invitations",
        "email",
    )
    .await;
    assert_eq!(invited, emails, "every invitation once, in address order");
    assert_eq!(pages, 3);

    let link = app
        .post(&format!("/groups/{gid}/invite-link"), &alice, json!({}))
        .await;
    let token = link.body["token"].as_str().expect("token").to_owned();
    for n in 1..=3 {
        let asked = app
            .post(
                &format!("/invitations/{token}/join"),
                &app.token(&format!("r{n}@contoso.com")),
                json!({"region": "us-west"}),
            )
            .await;
        assert_eq!(asked.status, 202, "{asked:?}");
    }
    let (requested, pages) = walk(
        &app,
        &alice,
        &format!("/groups/{gid}/requests"),
        "requests",
        "email",
    )
    .await;
    assert_eq!(requested.len(), 3, "{requested:?}");
    assert_eq!(pages, 2);
    let all = app.get(&format!("/groups/{gid}/requests"), &alice).await;
    assert_eq!(all.body["requests"].as_array().map(Vec::len), Some(3));
    assert!(
        all.body.get("nextToken").is_none(),
        "one page by default: {all:?}"
    );
}

#[tokio::test]
async fn page_sizes_outside_one_to_a_hundred_and_forged_tokens_are_refused() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted()).await;
    for list in ["members", "invitations", "requests"] {
        let path = format!("/groups/{gid}/{list}");
        for bad in ["0", "101", "1000", "-1", "ten"] {
            let reply = app.get(&format!("{path}?limit={bad}"), &alice).await;
            assert_eq!(reply.status, 400, "{list} limit={bad}: {reply:?}");
            assert_eq!(reply.body["errors"][0]["field"], "limit", "{list}");
        }
        let full = app.get(&format!("{path}?limit=100"), &alice).await;
        assert_eq!(full.status, 200, "{list}: {full:?}");
    }
    for list in ["invitations", "requests"] {
        // A token naming another kind of item in the group's partition.
        let forged = shared::api::page::encode(&"MEMBER#someone").expect("encode");
        let reply = app
            .get(&format!("/groups/{gid}/{list}?nextToken={forged}"), &alice)
            .await;
        assert_eq!(reply.status, 400, "{list}: {reply:?}");
        assert_eq!(reply.body["errors"][0]["field"], "nextToken");
        let garbage = app
            .get(&format!("/groups/{gid}/{list}?nextToken=%21%21"), &alice)
            .await;
        assert_eq!(garbage.status, 400, "{list}: {garbage:?}");
    }
}
