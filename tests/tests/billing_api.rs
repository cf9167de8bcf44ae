//! Daily usage, billing and dissolving a group, over HTTP through the local
//! gateway and the job runners the deployed job Lambdas use.

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::{TestApp, spawn_app};
use serde_json::{Value, json};
use shared::clock::Clock;
use shared::jobs::{Budget, Job, dissolve, usage};
use shared::model::GroupId;

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> e2e::Reply {
    app.call("PUT", path, Some(token), Some(&body), &[]).await
}

fn computer() -> Value {
    json!({"name": "pc", "os": "Windows 11", "clientVersion": "9.1", "selectedBytes": 1, "filesRemaining": 0})
}

/// Sets what an account stores (files arrive with managed access; this is
/// the state their confirmed uploads leave).
async fn set_stored_bytes(app: &TestApp, email: &str, bytes: u64) {
    app.set_attributes(
        &format!("ACCOUNT#{}", local::auth::local_subject(email)),
        "ACCOUNT",
        &[("storedBytes", AttributeValue::N(bytes.to_string()))],
    )
    .await;
}

/// A group of alice's with `members` members.
async fn group_of(app: &TestApp, members: usize) -> (String, String, Vec<String>) {
    let emails: Vec<String> = (0..members)
        .map(|i| format!("member{i}@initech.com"))
        .collect();
    let (gid, alice) = app.group_with_members(false, &emails).await;
    (gid, alice, emails)
}

fn gid(raw: &str) -> GroupId {
    GroupId::parse("gid", raw).expect("group id")
}

#[tokio::test]
async fn the_unbilled_estimate_matches_hand_computed_usage() {
    let app = spawn_app().await;
    let (g, alice, members) = group_of(&app, 2).await;
    // Two computers for member 0, one for member 1; member 0 stores 1 TB +
    // the free 10 GB, member 1 stays within the free 10 GB.
    put(&app, "/me/computers/a", &app.token(&members[0]), computer()).await;
    put(&app, "/me/computers/b", &app.token(&members[0]), computer()).await;
    put(&app, "/me/computers/c", &app.token(&members[1]), computer()).await;
    set_stored_bytes(&app, &members[0], 1_010_000_000_000).await;
    set_stored_bytes(&app, &members[1], 5_000_000_000).await;

    // Record three days since the last renewal.
    let today = app.clock.now().date();
    let billing = app.get(&format!("/groups/{g}/billing"), &alice).await;
    assert_eq!(billing.status, 200, "{billing:?}");
    let since = billing.body["unbilledEstimate"]["since"]
        .as_str()
        .expect("since")
        .to_owned();
    for back in 0..3 {
        let day = today - time::Duration::days(back);
        if day.to_string() < since {
            continue;
        }
        usage::record(&app.deps, &gid(&g), day)
            .await
            .expect("usage");
    }
    let recorded_days = (0..3)
        .filter(|b| (today - time::Duration::days(*b)).to_string() >= since)
        .count() as u64;
    // Recording a day again keeps one record.
    usage::record(&app.deps, &gid(&g), today)
        .await
        .expect("again");

    let billing = app.get(&format!("/groups/{g}/billing"), &alice).await;
    let estimate = &billing.body["unbilledEstimate"];
    assert_eq!(estimate["days"], recorded_days);
    assert_eq!(estimate["computerDays"], 3 * recorded_days);
    // Per day: 3 computers × 900 / 30 = 90 cents, and 1 TB beyond the free
    // allowance × 600 / 30 = 20 cents: 110 cents a day, exactly.
    assert_eq!(estimate["amountCents"], 110 * recorded_days, "{estimate}");
    assert_eq!(billing.body["licenses"]["computerBackup"], 3);
    assert_eq!(billing.body["paymentMethod"]["kind"], "freeTrial");

    let card = put(
        &app,
        &format!("/groups/{g}/billing/payment-method"),
        &alice,
        json!({"reference": "pm_1NxYz2AbC", "last4": "4242"}),
    )
    .await;
    assert_eq!(card.status, 200, "{card:?}");
    assert_eq!(
        card.body,
        json!({"kind": "card", "last4": "4242", "setAt": card.body["setAt"]})
    );
    let pan = put(
        &app,
        &format!("/groups/{g}/billing/payment-method"),
        &alice,
        json!({"reference": "4242424242424242", "last4": "4242"}),
    )
    .await;
    assert_eq!(pan.status, 400, "a card number is never accepted: {pan:?}");
    let after = app.get(&format!("/groups/{g}/billing"), &alice).await;
    assert_eq!(after.body["paymentMethod"]["last4"], "4242");
    let member = app
        .get(&format!("/groups/{g}/billing"), &app.token(&members[0]))
        .await;
    assert_eq!(member.status, 404, "members do not see billing");
}

#[tokio::test]
async fn the_daily_schedule_writes_one_job_per_group_and_a_day_stays_one_record() {
    let app = spawn_app().await;
    let (first, _, _) = group_of(&app, 1).await;
    let bo = app.token("bo@contoso.com");
    let second = app
        .create_group(
            &bo,
            json!({"name": "Contoso", "products": ["b2"], "managed": false}),
        )
        .await;
    app.queued_jobs().await;

    let day = app.clock.now().date();
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        usage::schedule(&app.deps, day, now)
            .await
            .expect("schedule"),
        2
    );
    // Delivered twice (a retried schedule): the jobs run twice.
    assert_eq!(
        usage::schedule(&app.deps, day, now).await.expect("again"),
        2
    );
    let ran = app.run_jobs().await;
    assert_eq!(
        ran.iter()
            .filter(|j| matches!(j, Job::RecordUsage { .. }))
            .count(),
        4
    );
    for g in [&first, &second] {
        let records = app
            .repo()
            .group_usage_between(&gid(g), day, day)
            .await
            .expect("usage");
        assert_eq!(records.len(), 1, "one record per group and day");
    }
}

#[tokio::test]
async fn one_failing_group_does_not_stop_the_others() {
    let app = spawn_app().await;
    let (good, _, _) = group_of(&app, 1).await;
    let bo = app.token("bo@contoso.com");
    let broken = app
        .create_group(
            &bo,
            json!({"name": "Contoso", "products": ["b2"], "managed": false}),
        )
        .await;
    // A billing item that no longer reads: its group's job fails.
    app.set_attributes(
        &format!("GROUP#{broken}"),
        "BILLING",
        &[("prices", AttributeValue::S("junk".into()))],
    )
    .await;
    let day = app.clock.now().date();
    usage::schedule(&app.deps, day, time::OffsetDateTime::now_utc())
        .await
        .expect("schedule");
    let jobs = app.queued_jobs().await;
    assert_eq!(jobs.len(), 2);
    let mut failed = 0;
    for job in &jobs {
        if shared::jobs::runner::run(&app.deps, job, Budget::steps(1000))
            .await
            .is_err()
        {
            failed += 1;
        }
    }
    assert_eq!(failed, 1, "only the broken group's job fails");
    let recorded = app
        .repo()
        .group_usage_between(&gid(&good), day, day)
        .await
        .expect("usage");
    assert_eq!(recorded.len(), 1, "the other group is recorded");
}

#[tokio::test]
async fn a_dissolution_is_previewed_confirmed_once_and_detaches_every_member() {
    let app = spawn_app().await;
    let (g, alice, members) = group_of(&app, 3).await;
    put(&app, "/me/computers/a", &app.token(&members[0]), computer()).await;
    let invited = app
        .post(
            &format!("/groups/{g}/invitations"),
            &alice,
            json!({"emails": ["late@initech.com"]}),
        )
        .await;
    assert_eq!(invited.status, 200);

    let preview = app
        .post(&format!("/groups/{g}/dissolution"), &alice, json!({}))
        .await;
    assert_eq!(preview.status, 200, "{preview:?}");
    assert_eq!(preview.body["membersAffected"], 3);
    assert_eq!(preview.body["licenses"]["computerBackup"], 1);
    let token = preview.body["confirmationToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let confirm = format!("/groups/{g}/dissolution/confirm");
    let wrong = app
        .post(&confirm, &alice, json!({"confirmationToken": "nope"}))
        .await;
    assert_eq!(wrong.status, 409, "{wrong:?}");
    assert_eq!(wrong.body["type"], "/problems/dissolution-token-invalid");
    let outsider = app
        .post(
            &confirm,
            &app.token("eve@evil.example"),
            json!({"confirmationToken": token}),
        )
        .await;
    assert_eq!(outsider.status, 404, "{outsider:?}");

    let confirmed = app
        .post(&confirm, &alice, json!({"confirmationToken": token}))
        .await;
    assert_eq!(confirmed.status, 202, "{confirmed:?}");
    assert_eq!(confirmed.body["status"], "dissolving");
    let again = app
        .post(&confirm, &alice, json!({"confirmationToken": token}))
        .await;
    assert_eq!(again.status, 409, "a second confirmation: {again:?}");

    // At once: no edits, invitations or joins.
    let edit = app
        .patch(&format!("/groups/{g}"), &alice, json!({"name": "X"}))
        .await;
    assert_eq!(edit.status, 409, "{edit:?}");
    assert_eq!(edit.body["type"], "/problems/group-dissolved");
    let invite = app
        .post(
            &format!("/groups/{g}/invitations"),
            &alice,
            json!({"emails": ["n@initech.com"]}),
        )
        .await;
    assert_eq!(invite.status, 409, "{invite:?}");

    let ran = app.run_jobs().await;
    assert!(
        ran.iter().any(|j| matches!(j, Job::DissolveGroup { .. })),
        "{ran:?}"
    );

    let listed = app.get("/groups", &alice).await;
    assert_eq!(listed.body["groups"], json!([]), "gone from every list");
    for email in &members {
        let me = app.get("/me", &app.token(email)).await;
        assert_eq!(me.status, 200, "the account is kept");
        assert!(me.body.get("groupId").is_none(), "detached: {}", me.body);
        let inbox = app.inbox(email).await;
        assert!(
            inbox.iter().any(|m| m.subject.contains("was dissolved")),
            "{email} is told to add a payment method"
        );
    }
    assert!(
        app.inbox("alice@initech.com")
            .await
            .iter()
            .any(|m| m.subject == "Initech has been dissolved")
    );
    let events = app.events().await;
    assert!(events.iter().any(|e| e.detail_type == "GroupDissolved"));
    let billing = app.get(&format!("/groups/{g}/billing"), &alice).await;
    assert_eq!(billing.status, 404, "billing is no longer available");

    // A former member can join another group.
    let bo = app.token("bo@contoso.com");
    let other = app
        .create_group(
            &bo,
            json!({"name": "Contoso", "products": ["b2"], "managed": false,
                                  "joinPolicy": {"approval": "autoApproveAll"}}),
        )
        .await;
    let link = app
        .post(&format!("/groups/{other}/invite-link"), &bo, json!({}))
        .await;
    let join = app
        .post(
            &format!(
                "/invitations/{}/join",
                link.body["token"].as_str().expect("token")
            ),
            &app.token(&members[0]),
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(join.status, 201, "{join:?}");
    let synopsis = app.get(&format!("/groups/{other}/synopsis"), &bo).await;
    assert_eq!(
        synopsis.body["computers"], 1,
        "the member's computer comes along"
    );
}

#[tokio::test]
async fn an_expired_preview_cannot_be_confirmed() {
    let app = spawn_app().await;
    let (g, alice, _) = group_of(&app, 1).await;
    let preview = app
        .post(&format!("/groups/{g}/dissolution"), &alice, json!({}))
        .await;
    let token = preview.body["confirmationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    app.clock.advance(time::Duration::minutes(16));
    let late = app
        .post(
            &format!("/groups/{g}/dissolution/confirm"),
            &alice,
            json!({"confirmationToken": token}),
        )
        .await;
    assert_eq!(late.status, 410, "{late:?}");
    assert_eq!(late.body["type"], "/problems/dissolution-expired");
    let group = app.get(&format!("/groups/{g}"), &alice).await;
    assert_eq!(group.body["status"], "active", "nothing changed");
}

#[tokio::test]
async fn a_dissolution_stopped_midway_resumes_and_leaves_no_orphans() {
    let app = spawn_app().await;
    let (g, alice, members) = group_of(&app, 10).await;
    app.post(
        &format!("/groups/{g}/invitations"),
        &alice,
        json!({"emails": ["late@initech.com"]}),
    )
    .await;
    let preview = app
        .post(&format!("/groups/{g}/dissolution"), &alice, json!({}))
        .await;
    let token = preview.body["confirmationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let confirmed = app
        .post(
            &format!("/groups/{g}/dissolution/confirm"),
            &alice,
            json!({"confirmationToken": token}),
        )
        .await;
    assert_eq!(confirmed.status, 202);
    app.queued_jobs().await;

    // A run that stops after four members (as a timeout or a crash would).
    let progress = dissolve::run(&app.deps, &gid(&g), Budget::steps(4))
        .await
        .expect("run");
    assert_eq!(progress, dissolve::Progress::Continued);
    let group = app.get(&format!("/groups/{g}"), &alice).await;
    assert_eq!(group.body["memberCount"], 6);
    assert_eq!(group.body["status"], "dissolving");
    let continuation = app.queued_jobs().await;
    assert_eq!(
        continuation.len(),
        1,
        "a continuation job: {continuation:?}"
    );

    // Resumed: the rest, once.
    let progress = dissolve::run(&app.deps, &gid(&g), Budget::steps(1000))
        .await
        .expect("resume");
    assert_eq!(progress, dissolve::Progress::Done);
    let again = dissolve::run(&app.deps, &gid(&g), Budget::steps(1000))
        .await
        .expect("again");
    assert_eq!(
        again,
        dissolve::Progress::Done,
        "a late duplicate does nothing"
    );
    let group = app.get(&format!("/groups/{g}"), &alice).await;
    assert_eq!(group.body["status"], "dissolved");
    assert_eq!(group.body["memberCount"], 0);
    for email in &members {
        let coverage: usize = app
            .inbox(email)
            .await
            .iter()
            .filter(|m| m.subject.contains("was dissolved"))
            .count();
        assert_eq!(coverage, 1, "{email} is told once");
    }

    // No orphans: the group partition keeps only the group, the dissolution
    // record and the final usage record; no token of the group survives.
    let items = app.items().await;
    let mut left: Vec<String> = items
        .iter()
        .filter(|i| i.get("PK").and_then(|v| v.as_s().ok()) == Some(&format!("GROUP#{g}")))
        .filter_map(|i| i.get("SK").and_then(|v| v.as_s().ok()).cloned())
        .collect();
    left.sort();
    assert_eq!(left.len(), 3, "{left:?}");
    assert_eq!(left[0], "DISSOLUTION");
    assert_eq!(left[1], "GROUP");
    assert!(left[2].starts_with("USAGE#"), "{left:?}");
    let tokens = items
        .iter()
        .filter(|i| {
            i.get("entity")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("Token")
        })
        .count();
    assert_eq!(tokens, 0, "invitations and the link are dead");
}
