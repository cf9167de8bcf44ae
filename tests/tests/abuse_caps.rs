//! What one hostile but signed-in account can make the service do is capped:
//! groups created and invitations sent per day, resends of one invitation.
//! Each cap is enforced by the database, refused with a clear problem and
//! `Retry-After`, and a bulk invitation is all or nothing against it.

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{TestApp, spawn_app_with};
use serde_json::{Value, json};
use shared::deps::Settings;

fn group(name: &str) -> Value {
    json!({"name": name, "products": ["b2"], "managed": false})
}

/// Seconds (rounded up) from the app's clock to the next midnight UTC.
fn until_midnight(app: &TestApp) -> String {
    let now = shared::clock::Clock::now(&app.clock);
    let wait = shared::model::until_tomorrow(now);
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).to_string()
}

fn retry_after_secs(reply: &e2e::Reply) -> u64 {
    reply
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a Retry-After in seconds: {reply:?}"))
}

#[tokio::test]
async fn an_account_creates_a_bounded_number_of_groups_a_day() {
    let app = spawn_app_with(Settings {
        groups_per_account_per_day: 2,
        ..Default::default()
    })
    .await;
    let mallory = app.token("mallory@initech.com");
    let key = [("idempotency-key", "second-group")];
    app.create_group(&mallory, group("One")).await;
    let second = app
        .call("POST", "/groups", Some(&mallory), Some(&group("Two")), &key)
        .await;
    assert_eq!(second.status, 201, "{second:?}");

    let third = app.post("/groups", &mallory, group("Three")).await;
    assert_eq!(third.status, 429, "{third:?}");
    assert_eq!(third.body["type"], "/problems/group-limit");
    assert_eq!(
        third.retry_after.as_deref(),
        Some(until_midnight(&app).as_str())
    );
    let replay = app
        .call("POST", "/groups", Some(&mallory), Some(&group("Two")), &key)
        .await;
    assert_eq!(
        (replay.status, &replay.body),
        (201, &second.body),
        "a retry of a group made before the cap is its first reply"
    );
    let others = app
        .post("/groups", &app.token("ann@initech.com"), group("Ann's"))
        .await;
    assert_eq!(others.status, 201, "the cap is per account: {others:?}");

    app.clock.advance(time::Duration::days(1));
    let tomorrow = app.post("/groups", &mallory, group("Three")).await;
    assert_eq!(
        tomorrow.status, 201,
        "a new day, a new allowance: {tomorrow:?}"
    );
}

/// The invitation items of the table, by address.
async fn invitations(app: &TestApp) -> Vec<std::collections::HashMap<String, AttributeValue>> {
    app.items()
        .await
        .into_iter()
        .filter(|i| i.get("entity") == Some(&AttributeValue::S("Invitation".into())))
        .collect()
}

#[tokio::test]
async fn an_account_sends_a_bounded_number_of_invitations_a_day_over_all_its_groups() {
    let app = spawn_app_with(Settings {
        invites_per_account_per_day: 3,
        ..Default::default()
    })
    .await;
    let mallory = app.token("mallory@initech.com");
    let first = app.create_group(&mallory, group("One")).await;
    let second = app.create_group(&mallory, group("Two")).await;
    let sent = app
        .post(
            &format!("/groups/{first}/invitations"),
            &mallory,
            json!({"emails": ["a@contoso.com", "b@contoso.com"]}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");

    // Two more do not fit: neither goes, all or nothing.
    let over = app
        .post(
            &format!("/groups/{second}/invitations"),
            &mallory,
            json!({"emails": ["c@contoso.com", "d@contoso.com"]}),
        )
        .await;
    assert_eq!(over.status, 429, "{over:?}");
    assert_eq!(over.body["type"], "/problems/invite-limit");
    assert!(
        over.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("one account")),
        "{over:?}"
    );
    assert_eq!(retry_after_secs(&over).to_string(), until_midnight(&app));
    assert_eq!(
        invitations(&app).await.len(),
        2,
        "nothing written past the cap"
    );
    assert!(app.inbox("c@contoso.com").await.is_empty());

    let last = app
        .post(
            &format!("/groups/{second}/invitations"),
            &mallory,
            json!({"emails": ["c@contoso.com"]}),
        )
        .await;
    assert_eq!(last.status, 200, "the last one of the day fits: {last:?}");
}

#[tokio::test]
async fn a_bulk_invitation_reserves_its_count_gives_back_refusals_and_replays_exactly() {
    let app = spawn_app_with(Settings {
        invites_per_day: 4,
        ..Default::default()
    })
    .await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, group("Initech")).await;
    let path = format!("/groups/{gid}/invitations");
    let sent = app
        .post(&path, &alice, json!({"emails": ["a@contoso.com"]}))
        .await;
    assert_eq!(sent.status, 200);

    let body = json!({"emails": ["a@contoso.com", "b@contoso.com", "c@contoso.com"]});
    let key = [("idempotency-key", "bulk-1")];
    let first = app
        .call("POST", &path, Some(&alice), Some(&body), &key)
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    let invited: Vec<&str> = first.body["invited"]
        .as_array()
        .expect("invited")
        .iter()
        .filter_map(|v| v["email"].as_str())
        .collect();
    assert_eq!(invited, ["b@contoso.com", "c@contoso.com"]);
    assert_eq!(first.body["rejected"][0]["email"], "a@contoso.com");

    let replay = app
        .call("POST", &path, Some(&alice), Some(&body), &key)
        .await;
    assert_eq!(
        (replay.status, &replay.body),
        (first.status, &first.body),
        "the replay is exactly the first reply, refusals included"
    );
    assert_eq!(app.inbox("b@contoso.com").await.len(), 1, "sent once");

    // a, b, c are three of four: the refused duplicate was given back.
    let fourth = app
        .post(&path, &alice, json!({"emails": ["d@contoso.com"]}))
        .await;
    assert_eq!(fourth.status, 200, "{fourth:?}");
    let fifth = app
        .post(&path, &alice, json!({"emails": ["e@contoso.com"]}))
        .await;
    assert_eq!(fifth.status, 429, "{fifth:?}");
    assert_eq!(fifth.body["type"], "/problems/invite-limit");
}

#[tokio::test]
async fn an_invitation_is_resent_at_most_hourly_and_three_times() {
    let app = spawn_app_with(Settings::default()).await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, group("Initech")).await;
    let sent = app
        .post(
            &format!("/groups/{gid}/invitations"),
            &alice,
            json!({"emails": ["ivy@contoso.com"]}),
        )
        .await;
    assert_eq!(sent.status, 200);
    let resend = format!("/groups/{gid}/invitations/ivy@contoso.com/resend");

    let soon = app.post(&resend, &alice, json!({})).await;
    assert_eq!(soon.status, 429, "{soon:?}");
    assert_eq!(soon.body["type"], "/problems/resend-limit");
    assert_eq!(soon.retry_after.as_deref(), Some("3600"));

    for n in 1..=3 {
        app.clock.advance(time::Duration::minutes(61));
        let again = app.post(&resend, &alice, json!({})).await;
        assert_eq!(again.status, 200, "resend {n}: {again:?}");
    }
    app.clock.advance(time::Duration::hours(2));
    let spent = app.post(&resend, &alice, json!({})).await;
    assert_eq!(spent.status, 429, "{spent:?}");
    assert_eq!(spent.body["type"], "/problems/resend-limit");
    assert!(
        spent.retry_after.is_none(),
        "no wait lifts the total: {spent:?}"
    );
    assert_eq!(
        app.inbox("ivy@contoso.com").await.len(),
        4,
        "the first send and three resends"
    );
}

#[tokio::test]
async fn an_expired_invitation_is_replaced_and_every_invitation_has_a_numeric_ttl() {
    let app = spawn_app_with(Settings::default()).await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, group("Initech")).await;
    let path = format!("/groups/{gid}/invitations");
    // 1.0 is JSON Schema's integer 1, as the OpenAPI says.
    let body = json!({"emails": ["ivy@contoso.com"], "expiresInDays": 1.0});
    assert_eq!(app.post(&path, &alice, body.clone()).await.status, 200);
    let live = app.post(&path, &alice, body.clone()).await;
    assert_eq!(
        live.body["rejected"][0]["email"], "ivy@contoso.com",
        "a live invitation is not replaced: {live:?}"
    );

    app.clock.advance(time::Duration::days(2));
    let again = app.post(&path, &alice, body).await;
    assert_eq!(
        again.body["invited"][0]["email"], "ivy@contoso.com",
        "{again:?}"
    );
    assert_eq!(again.body["invited"][0]["status"], "pending");

    let stored = invitations(&app).await;
    assert_eq!(stored.len(), 1);
    let ttl = match stored[0].get("expiresAt") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().expect("epoch seconds"),
        other => panic!("expiresAt must be a number for DynamoDB's TTL, got {other:?}"),
    };
    let valid_until = match stored[0].get("validUntil") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().expect("epoch seconds"),
        other => panic!("validUntil: {other:?}"),
    };
    assert_eq!(
        ttl - valid_until,
        30 * 24 * 3600,
        "kept a month after expiry"
    );
}
