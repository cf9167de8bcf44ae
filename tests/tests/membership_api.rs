//! End-to-end membership flows over HTTP through the local gateway: invite
//! link, email invitations, each join policy, requests, removal, add myself,
//! and the limits under concurrency.

use e2e::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};

fn managed_group() -> Value {
    json!({"name": "Initech Staff", "products": ["computerBackup"], "managed": true})
}

fn accept() -> Value {
    json!({"acceptManagedAccess": true, "region": "eu-central"})
}

/// Every item in the table, as text (test only: a scan).
async fn table_dump(app: &TestApp) -> String {
    format!("{:?}", app.items().await)
}

/// Subjects of the emails `email` has received (the outbox is delivered first).
async fn emails_to(app: &TestApp, email: &str) -> Vec<String> {
    app.inbox(email)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect()
}

/// How many events of a kind were published.
async fn events(app: &TestApp, detail_type: &str) -> usize {
    app.events()
        .await
        .iter()
        .filter(|e| e.detail_type == detail_type)
        .count()
}

/// The invite token in the newest invitation email to `email`.
async fn invited_token(app: &TestApp, email: &str) -> String {
    app.emailed_tokens(email)
        .await
        .pop()
        .expect("an invitation email with a link")
}

#[tokio::test]
async fn a_restricted_group_turns_link_joins_into_requests_that_admins_decide() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, managed_group()).await;
    let token = app.invite_link(&alice, &gid).await;

    // The joiner previews without signing in.
    let preview = app
        .call("GET", &format!("/invitations/{token}"), None, None, &[])
        .await;
    assert_eq!(preview.status, 200, "{preview:?}");
    assert_eq!(preview.body["groupName"], "Initech Staff");
    assert_eq!(preview.body["managed"], true);
    assert_eq!(preview.body["outcome"], "request");

    // Managed consent is required.
    let bob = app.token("bob@contoso.com");
    let refused = app
        .post(
            &format!("/invitations/{token}/join"),
            &bob,
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.body["errors"][0]["field"], "acceptManagedAccess");

    let requested = app
        .post(&format!("/invitations/{token}/join"), &bob, accept())
        .await;
    assert_eq!(requested.status, 202, "{requested:?}");
    assert_eq!(requested.body["outcome"], "requested");
    let again = app
        .post(&format!("/invitations/{token}/join"), &bob, accept())
        .await;
    assert_eq!(again.body["type"], "/problems/already-requested");
    assert_eq!(
        emails_to(&app, "alice@initech.com").await.len(),
        1,
        "admins hear about the request"
    );

    let requests = app.get(&format!("/groups/{gid}/requests"), &alice).await;
    let bob_id = requests.body["requests"][0]["accountId"]
        .as_str()
        .expect("request")
        .to_owned();
    // Concurrent approvals of one request make one membership.
    let approve = format!("/groups/{gid}/requests/{bob_id}/approve");
    let results =
        futures::future::join_all((0..5).map(|_| app.post(&approve, &alice, json!({})))).await;
    assert_eq!(
        results.iter().filter(|r| r.status == 200).count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().all(|r| r.status < 500), "{results:?}");
    let group = app.get(&format!("/groups/{gid}"), &alice).await;
    assert_eq!(group.body["memberCount"], 1);
    assert_eq!(
        emails_to(&app, "bob@contoso.com").await.len(),
        1,
        "bob hears he was accepted"
    );

    // Carol asks and is denied; she is told.
    let carol = app.token("carol@contoso.com");
    assert_eq!(
        app.post(&format!("/invitations/{token}/join"), &carol, accept())
            .await
            .status,
        202
    );
    let carol_id = local::auth::local_subject("carol@contoso.com");
    assert_eq!(
        app.post(
            &format!("/groups/{gid}/requests/{carol_id}/deny"),
            &alice,
            json!({})
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.post(
            &format!("/groups/{gid}/requests/{carol_id}/deny"),
            &alice,
            json!({})
        )
        .await
        .status,
        404
    );
    assert_eq!(emails_to(&app, "carol@contoso.com").await.len(), 1);
    assert_eq!(events(&app, "MembershipDenied").await, 1);

    // Outsiders cannot see or decide requests.
    let mallory = app.token("mallory@evil.example.org");
    assert_eq!(
        app.get(&format!("/groups/{gid}/requests"), &mallory)
            .await
            .status,
        404
    );
    assert_eq!(app.post(&approve, &mallory, json!({})).await.status, 404);
}

#[tokio::test]
async fn accepted_domains_join_only_verified_exact_matches() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(&alice, json!({"name": "Initech", "products": ["b2"], "managed": false, "joinPolicy": {"autoAcceptDomains": ["initech.com"]}}))
        .await;
    app.prove_domain(&gid, &alice, "initech.com").await;
    let token = app.invite_link(&alice, &gid).await;
    let join = |who: String| {
        let path = format!("/invitations/{token}/join");
        let app = &app;
        async move { app.post(&path, &who, json!({"region": "us-east"})).await }
    };
    let verified = join(app.token("dave@initech.com")).await;
    assert_eq!(verified.status, 201, "{verified:?}");
    for (token, case) in [
        (
            app.unverified_token("erin@initech.com"),
            "unverified address",
        ),
        (app.token("frank@evil-initech.com"), "look-alike prefix"),
        (app.token("gina@initech.com.evil.net"), "look-alike suffix"),
    ] {
        let reply = join(token).await;
        assert_eq!(reply.status, 202, "{case}: {reply:?}");
        assert_eq!(reply.body["outcome"], "requested", "{case}");
    }
    assert_eq!(
        emails_to(&app, "dave@initech.com").await.len(),
        1,
        "welcome email"
    );
    assert_eq!(events(&app, "MemberJoined").await, 1);
}

#[tokio::test]
async fn email_invitations_admit_their_addressee_once_and_can_be_resent_or_revoked() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, managed_group()).await;
    let sent = app
        .post(&format!("/groups/{gid}/invitations"), &alice, json!({"emails": ["hank@contoso.com", "not-an-email", "ivy@contoso.com", "HANK@contoso.com"], "expiresInDays": 3}))
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    assert_eq!(sent.body["invited"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        sent.body["rejected"].as_array().map(Vec::len),
        Some(2),
        "invalid and duplicate reported"
    );
    assert_eq!(emails_to(&app, "hank@contoso.com").await.len(), 1);
    assert_eq!(events(&app, "MemberInvited").await, 2);

    // The token is only in the email.
    let hank_token = invited_token(&app, "hank@contoso.com").await;

    // Someone else using Hank's invitation (restricted group) only files a request.
    let other = app
        .post(
            &format!("/invitations/{hank_token}/join"),
            &app.token("judy@contoso.com"),
            accept(),
        )
        .await;
    assert_eq!(other.status, 202, "{other:?}");
    // ...and leaves the invitation intact for Hank, who joins with it once.
    let hank = app.token("hank@contoso.com");
    let joined = app
        .post(&format!("/invitations/{hank_token}/join"), &hank, accept())
        .await;
    assert_eq!(joined.status, 201, "the invitee still joins: {joined:?}");
    let again = app
        .post(
            &format!("/invitations/{hank_token}/join"),
            &app.token("kim@contoso.com"),
            accept(),
        )
        .await;
    assert_eq!(
        again.body["type"], "/problems/invitation-used",
        "spent by its invitee, it admits no one else: {again:?}"
    );

    // Ivy's invitation is resent: the old token dies, the new one admits her directly.
    let ivy_old = invited_token(&app, "ivy@contoso.com").await;
    app.clock.advance(time::Duration::hours(1)); // resends: at most hourly
    let resent = app
        .post(
            &format!("/groups/{gid}/invitations/ivy@contoso.com/resend"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(resent.status, 200, "{resent:?}");
    let ivy_new = invited_token(&app, "ivy@contoso.com").await;
    assert_ne!(ivy_old, ivy_new);
    let ivy = app.token("ivy@contoso.com");
    assert_eq!(
        app.post(&format!("/invitations/{ivy_old}/join"), &ivy, accept())
            .await
            .status,
        404
    );
    let joined = app
        .post(&format!("/invitations/{ivy_new}/join"), &ivy, accept())
        .await;
    assert_eq!(
        joined.status, 201,
        "an invitation to her own verified address joins: {joined:?}"
    );

    // Revoked and expired invitations stop working.
    app.post(
        &format!("/groups/{gid}/invitations"),
        &alice,
        json!({"emails": ["kim@contoso.com", "lee@contoso.com"], "expiresInDays": 1}),
    )
    .await;
    let kim_token = invited_token(&app, "kim@contoso.com").await;
    assert_eq!(
        app.delete(
            &format!("/groups/{gid}/invitations/kim@contoso.com"),
            &alice
        )
        .await
        .status,
        204
    );
    assert_eq!(
        app.post(
            &format!("/invitations/{kim_token}/join"),
            &app.token("kim@contoso.com"),
            accept()
        )
        .await
        .status,
        404
    );
    let lee_token = invited_token(&app, "lee@contoso.com").await;
    app.clock.advance(time::Duration::days(2));
    let expired = app
        .post(
            &format!("/invitations/{lee_token}/join"),
            &app.token("lee@contoso.com"),
            accept(),
        )
        .await;
    assert_eq!(expired.status, 410, "{expired:?}");

    // Once the emails are delivered, no raw token is stored anywhere.
    app.deliver_outbox().await;
    let dump = table_dump(&app).await;
    for token in [&hank_token, &ivy_old, &ivy_new, &kim_token, &lee_token] {
        assert!(
            !dump.contains(token.as_str()),
            "a raw token is stored in the table"
        );
    }
}

#[tokio::test]
async fn the_invite_link_can_be_rotated_and_disabled() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, json!({"name": "Open", "products": ["b2"], "managed": false, "joinPolicy": {"approval": "autoApproveAll"}})).await;
    let first = app.invite_link(&alice, &gid).await;
    let second = app.invite_link(&alice, &gid).await;
    assert_eq!(
        app.call("GET", &format!("/invitations/{first}"), None, None, &[])
            .await
            .status,
        404,
        "rotated link is dead"
    );
    assert_eq!(
        app.get(&format!("/groups/{gid}/invite-link"), &alice)
            .await
            .body["enabled"],
        true
    );
    let joined = app
        .post(
            &format!("/invitations/{second}/join"),
            &app.token("max@anywhere.org"),
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(joined.status, 201, "auto-approve: {joined:?}");
    assert_eq!(
        app.delete(&format!("/groups/{gid}/invite-link"), &alice)
            .await
            .status,
        204
    );
    assert_eq!(
        app.call("GET", &format!("/invitations/{second}"), None, None, &[])
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/groups/{gid}/invite-link"), &alice)
            .await
            .body["enabled"],
        false
    );
    let bad = app
        .call("GET", "/invitations/garbage", None, None, &[])
        .await;
    assert_eq!(bad.status, 404);
    // An account can be in only one group.
    let other = app.create_group(&app.token("zed@other.org"), json!({"name": "Other", "products": ["b2"], "managed": false, "joinPolicy": {"approval": "autoApproveAll"}})).await;
    let other_token = app.invite_link(&app.token("zed@other.org"), &other).await;
    let twice = app
        .post(
            &format!("/invitations/{other_token}/join"),
            &app.token("max@anywhere.org"),
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(
        twice.body["type"], "/problems/already-in-a-group",
        "{twice:?}"
    );
}

#[tokio::test]
async fn removing_a_member_keeps_their_account_and_tells_them_to_pay() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, json!({"name": "Open", "products": ["b2"], "managed": false, "joinPolicy": {"approval": "autoApproveAll"}})).await;
    let token = app.invite_link(&alice, &gid).await;
    let nora = app.token("nora@contoso.com");
    assert_eq!(
        app.post(
            &format!("/invitations/{token}/join"),
            &nora,
            json!({"region": "us-west"})
        )
        .await
        .status,
        201
    );
    // Add myself: the admin joins without a token.
    let me = app
        .post(
            &format!("/groups/{gid}/members"),
            &alice,
            json!({"region": "eu-central"}),
        )
        .await;
    assert_eq!(me.status, 201, "{me:?}");
    let members = app.get(&format!("/groups/{gid}/members"), &alice).await;
    assert_eq!(members.body["members"].as_array().map(Vec::len), Some(2));

    let nora_id = local::auth::local_subject("nora@contoso.com");
    let mallory = app.token("mallory@evil.example.org");
    assert_eq!(
        app.delete(&format!("/groups/{gid}/members/{nora_id}"), &mallory)
            .await
            .status,
        404
    );
    assert_eq!(
        app.delete(&format!("/groups/{gid}/members/{nora_id}"), &alice)
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete(&format!("/groups/{gid}/members/{nora_id}"), &alice)
            .await
            .status,
        404
    );
    let removal = emails_to(&app, "nora@contoso.com").await;
    assert_eq!(
        removal,
        ["Welcome to Open", "You are no longer a member of Open"]
    );
    let text = app
        .inbox("nora@contoso.com")
        .await
        .into_iter()
        .map(|m| m.text)
        .find(|t| t.contains("no longer"))
        .unwrap_or_default();
    assert!(
        text.contains("payment method"),
        "the removal email asks for a payment method: {text}"
    );
    assert_eq!(app.get("/me", &nora).await.status, 200, "the account stays");
    assert_eq!(
        app.get(&format!("/groups/{gid}"), &alice).await.body["memberCount"],
        1
    );
    // Free again, Nora can rejoin.
    assert_eq!(
        app.post(
            &format!("/invitations/{token}/join"),
            &nora,
            json!({"region": "us-west"})
        )
        .await
        .status,
        201
    );
}

#[tokio::test]
async fn concurrent_joins_never_overfill_a_group() {
    const SLOTS: u32 = 7;
    const JOINERS: usize = 200;
    let app = spawn_app_with(shared::deps::Settings {
        max_members: SLOTS,
        ..Default::default()
    })
    .await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, json!({"name": "Small", "products": ["b2"], "managed": false, "joinPolicy": {"approval": "autoApproveAll"}})).await;
    let token = app.invite_link(&alice, &gid).await;
    let path = format!("/invitations/{token}/join");
    let tokens: Vec<String> = (0..JOINERS)
        .map(|i| app.token(&format!("joiner{i}@contoso.com")))
        .collect();
    let replies = futures::future::join_all(
        tokens
            .iter()
            .map(|t| app.post(&path, t, json!({"region": "us-west"}))),
    )
    .await;

    let joined = replies.iter().filter(|r| r.status == 201).count();
    let full = replies
        .iter()
        .filter(|r| r.body["type"] == "/problems/group-full")
        .count();
    assert_eq!(joined, SLOTS as usize, "exactly the free slots were filled");
    assert_eq!(
        full,
        JOINERS - SLOTS as usize,
        "everyone else was told the group is full"
    );
    assert!(replies.iter().all(|r| r.status < 500));
    let group = app.get(&format!("/groups/{gid}"), &alice).await;
    let members = app
        .get(&format!("/groups/{gid}/members?limit=100"), &alice)
        .await;
    assert_eq!(group.body["memberCount"], SLOTS);
    assert_eq!(
        members.body["members"].as_array().map(Vec::len),
        Some(SLOTS as usize),
        "stored count equals stored members"
    );
}

#[tokio::test]
async fn the_daily_invitation_cap_is_enforced_and_bulk_invites_are_idempotent() {
    let app = spawn_app_with(shared::deps::Settings {
        invites_per_day: 3,
        ..Default::default()
    })
    .await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, managed_group()).await;
    let path = format!("/groups/{gid}/invitations");
    let body = json!({"emails": ["a@contoso.com", "b@contoso.com"]});
    let key = [("idempotency-key", "invite-batch-1")];
    let first = app
        .call("POST", &path, Some(&alice), Some(&body), &key)
        .await;
    let replay = app
        .call("POST", &path, Some(&alice), Some(&body), &key)
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body, replay.body, "same key, same reply");
    assert_eq!(
        app.inbox("a@contoso.com").await.len(),
        1,
        "the retry sent no second email"
    );

    let over = app
        .post(
            &path,
            &alice,
            json!({"emails": ["c@contoso.com", "d@contoso.com"]}),
        )
        .await;
    assert_eq!(over.status, 429, "{over:?}");
    assert_eq!(over.body["type"], "/problems/invite-limit");
    assert!(
        app.inbox("c@contoso.com").await.is_empty(),
        "nothing sent past the cap"
    );
    let last = app
        .post(&path, &alice, json!({"emails": ["c@contoso.com"]}))
        .await;
    assert_eq!(last.status, 200, "the last slot of the day: {last:?}");
    // A new day, a new allowance.
    app.clock.advance(time::Duration::days(1));
    let tomorrow = app
        .post(&path, &alice, json!({"emails": ["d@contoso.com"]}))
        .await;
    assert_eq!(tomorrow.status, 200, "{tomorrow:?}");
    let bad = app
        .post(&path, &alice, json!({"emails": [], "expiresInDays": 31}))
        .await;
    assert_eq!(bad.status, 400);
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["emails", "expiresInDays"]);
}

#[tokio::test]
async fn admins_are_told_about_requests_and_joins_unless_they_opt_out() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(&alice, json!({"name": "Quiet", "products": ["b2"], "managed": false, "joinPolicy": {"autoAcceptDomains": ["initech.com"]}}))
        .await;
    app.prove_domain(&gid, &alice, "initech.com").await;
    let token = app.invite_link(&alice, &gid).await;
    let join = format!("/invitations/{token}/join");
    assert_eq!(
        app.post(
            &join,
            &app.token("dan@initech.com"),
            json!({"region": "us-west"})
        )
        .await
        .status,
        201
    );
    assert_eq!(
        app.post(
            &join,
            &app.token("eve@contoso.com"),
            json!({"region": "us-west"})
        )
        .await
        .status,
        202
    );
    assert_eq!(
        emails_to(&app, "alice@initech.com").await,
        [
            "dan@initech.com joined Quiet",
            "eve@contoso.com asked to join Quiet"
        ]
    );

    let off = app
        .patch(
            &format!("/groups/{gid}"),
            &alice,
            json!({"adminNotifications": false}),
        )
        .await;
    assert_eq!(off.status, 200);
    assert_eq!(
        app.post(
            &join,
            &app.token("fay@initech.com"),
            json!({"region": "us-west"})
        )
        .await
        .status,
        201
    );
    assert_eq!(
        emails_to(&app, "alice@initech.com").await.len(),
        2,
        "no more admin emails"
    );
    assert_eq!(
        emails_to(&app, "fay@initech.com").await,
        ["Welcome to Quiet"],
        "the joiner is still welcomed"
    );
}

#[tokio::test]
async fn outsiders_get_404_on_every_admin_only_membership_route() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, json!({"name": "Open", "products": ["b2"], "managed": false, "joinPolicy": {"approval": "autoApproveAll"}})).await;
    let token = app.invite_link(&alice, &gid).await;
    assert_eq!(
        app.post(
            &format!("/invitations/{token}/join"),
            &app.token("nora@contoso.com"),
            json!({"region": "us-west"})
        )
        .await
        .status,
        201
    );
    app.post(
        &format!("/groups/{gid}/invitations"),
        &alice,
        json!({"emails": ["olga@contoso.com"]}),
    )
    .await;
    let nora_id = local::auth::local_subject("nora@contoso.com");
    // A member is not an admin either.
    for outsider in [
        app.token("mallory@evil.example.org"),
        app.token("nora@contoso.com"),
    ] {
        for (method, path, body) in [
            ("GET", format!("/groups/{gid}/invite-link"), None),
            (
                "POST",
                format!("/groups/{gid}/invite-link"),
                Some(json!({})),
            ),
            ("DELETE", format!("/groups/{gid}/invite-link"), None),
            (
                "POST",
                format!("/groups/{gid}/invitations"),
                Some(json!({"emails": ["x@contoso.com"]})),
            ),
            ("GET", format!("/groups/{gid}/invitations"), None),
            (
                "POST",
                format!("/groups/{gid}/invitations/olga@contoso.com/resend"),
                Some(json!({})),
            ),
            (
                "DELETE",
                format!("/groups/{gid}/invitations/olga@contoso.com"),
                None,
            ),
            ("GET", format!("/groups/{gid}/requests"), None),
            (
                "POST",
                format!("/groups/{gid}/requests/{nora_id}/approve"),
                Some(json!({})),
            ),
            (
                "POST",
                format!("/groups/{gid}/requests/{nora_id}/deny"),
                Some(json!({})),
            ),
            ("GET", format!("/groups/{gid}/members"), None),
            (
                "POST",
                format!("/groups/{gid}/members"),
                Some(json!({"region": "us-west"})),
            ),
            ("DELETE", format!("/groups/{gid}/members/{nora_id}"), None),
        ] {
            let reply = app
                .call(method, &path, Some(&outsider), body.as_ref(), &[])
                .await;
            assert_eq!(reply.status, 404, "{method} {path}: {reply:?}");
            assert_eq!(reply.body["type"], "/problems/not-found", "{method} {path}");
        }
    }
    // Nothing changed: the link still works, Olga's invitation stands, Nora is a member.
    assert_eq!(
        app.call("GET", &format!("/invitations/{token}"), None, None, &[])
            .await
            .status,
        200
    );
    assert_eq!(
        app.get(&format!("/groups/{gid}/invitations"), &alice)
            .await
            .body["invitations"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        app.get(&format!("/groups/{gid}"), &alice).await.body["memberCount"],
        1
    );
    // Joining needs a signed-in caller.
    let anonymous = app
        .call(
            "POST",
            &format!("/invitations/{token}/join"),
            None,
            Some(&json!({"region": "us-west"})),
            &[],
        )
        .await;
    assert_eq!(anonymous.status, 401);
}

#[tokio::test]
async fn approvals_respect_the_limit_and_dissolved_groups_admit_no_one() {
    let app = spawn_app_with(shared::deps::Settings {
        max_members: 1,
        ..Default::default()
    })
    .await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Tiny", "products": ["b2"], "managed": false}),
        )
        .await;
    let token = app.invite_link(&alice, &gid).await;
    let join = format!("/invitations/{token}/join");
    for who in ["pat@contoso.com", "quinn@contoso.com"] {
        assert_eq!(
            app.post(&join, &app.token(who), json!({"region": "us-west"}))
                .await
                .status,
            202
        );
    }
    let pat = local::auth::local_subject("pat@contoso.com");
    let quinn = local::auth::local_subject("quinn@contoso.com");
    assert_eq!(
        app.post(
            &format!("/groups/{gid}/requests/{pat}/approve"),
            &alice,
            json!({})
        )
        .await
        .status,
        200
    );
    let full = app
        .post(
            &format!("/groups/{gid}/requests/{quinn}/approve"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(full.status, 409, "{full:?}");
    assert_eq!(full.body["type"], "/problems/group-full");
    assert_eq!(
        app.get(&format!("/groups/{gid}/requests"), &alice)
            .await
            .body["requests"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "the request stays pending"
    );

    app.mark_dissolved(&gid).await;
    let late = app
        .post(
            &join,
            &app.token("ray@contoso.com"),
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(late.status, 409, "{late:?}");
    assert_eq!(late.body["type"], "/problems/group-dissolved");
}

#[tokio::test]
async fn a_first_batch_larger_than_the_daily_cap_is_refused_whole() {
    let app = spawn_app_with(shared::deps::Settings {
        invites_per_day: 2,
        ..Default::default()
    })
    .await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, managed_group()).await;
    let reply = app
        .post(
            &format!("/groups/{gid}/invitations"),
            &alice,
            json!({"emails": ["a@contoso.com", "b@contoso.com", "c@contoso.com"]}),
        )
        .await;
    assert_eq!(reply.status, 429, "{reply:?}");
    assert!(app.inbox("a@contoso.com").await.is_empty());
    assert_eq!(
        app.get(&format!("/groups/{gid}/invitations"), &alice)
            .await
            .body["invitations"],
        json!([])
    );
}

#[tokio::test]
async fn retried_joins_and_decisions_with_an_idempotency_key_replay_their_first_reply() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, managed_group()).await;
    app.post(
        &format!("/groups/{gid}/invitations"),
        &alice,
        json!({"emails": ["sam@contoso.com"]}),
    )
    .await;
    let token = invited_token(&app, "sam@contoso.com").await;
    let sam = app.token("sam@contoso.com");
    let join = format!("/invitations/{token}/join");
    let key = [("idempotency-key", "join-once")];
    let first = app
        .call("POST", &join, Some(&sam), Some(&accept()), &key)
        .await;
    let retry = app
        .call("POST", &join, Some(&sam), Some(&accept()), &key)
        .await;
    assert_eq!(first.status, 201, "{first:?}");
    assert_eq!(
        (retry.status, &retry.body),
        (201, &first.body),
        "the spent invitation does not fail the retry"
    );
    let without_key = app.post(&join, &sam, accept()).await;
    assert_eq!(
        without_key.body["type"], "/problems/invitation-used",
        "a new request is refused as before"
    );
    assert_eq!(
        app.inbox("sam@contoso.com").await.len(),
        2,
        "one invitation, one welcome: no duplicate"
    );

    // A request approved and a request denied, each retried.
    let link = app.invite_link(&alice, &gid).await;
    for who in ["tia@contoso.com", "uma@contoso.com"] {
        assert_eq!(
            app.post(
                &format!("/invitations/{link}/join"),
                &app.token(who),
                accept()
            )
            .await
            .status,
            202
        );
    }
    let approve = format!(
        "/groups/{gid}/requests/{}/approve",
        local::auth::local_subject("tia@contoso.com")
    );
    let deny = format!(
        "/groups/{gid}/requests/{}/deny",
        local::auth::local_subject("uma@contoso.com")
    );
    for (path, status) in [(&approve, 200), (&deny, 204)] {
        let key = [("idempotency-key", path.as_str())];
        let first = app
            .call("POST", path, Some(&alice), Some(&json!({})), &key)
            .await;
        let retry = app
            .call("POST", path, Some(&alice), Some(&json!({})), &key)
            .await;
        assert_eq!(
            (first.status, retry.status),
            (status, status),
            "{path}: {first:?} {retry:?}"
        );
        assert_eq!(first.body, retry.body, "{path}");
        assert_eq!(
            app.post(path, &alice, json!({})).await.status,
            404,
            "{path}: decided once"
        );
    }
    assert_eq!(
        app.inbox("tia@contoso.com").await.len(),
        1,
        "one acceptance email"
    );
    assert_eq!(
        app.inbox("uma@contoso.com").await.len(),
        1,
        "one denial email"
    );
}

#[tokio::test]
async fn a_member_leaves_their_group_and_the_admins_are_told() {
    let app = spawn_app().await;
    let carol_email = "carol@contoso.com".to_owned();
    let (gid, alice) = app
        .group_with_members(true, std::slice::from_ref(&carol_email))
        .await;
    let carol = app.token(&carol_email);
    let outsider = app.token("olly@contoso.com");

    let nothing = app.delete("/me/group", &outsider).await;
    assert_eq!(nothing.status, 404, "in no group: {nothing:?}");
    assert_eq!(nothing.body["type"], "/problems/not-found");

    let left = app.delete("/me/group", &carol).await;
    assert_eq!(left.status, 204, "{left:?}");
    let members = app.get(&format!("/groups/{gid}/members"), &alice).await;
    assert_eq!(members.body["members"].as_array().map(Vec::len), Some(0));
    let group = app.get(&format!("/groups/{gid}"), &alice).await;
    assert_eq!(group.body["memberCount"], 0);
    let me = app.get("/me", &carol).await;
    assert!(
        me.body.get("groupId").is_none_or(Value::is_null),
        "account kept, detached: {me:?}"
    );

    let to_carol = emails_to(&app, &carol_email).await;
    assert!(
        to_carol.iter().any(|s| s.starts_with("You left")),
        "the member is told to add a payment method: {to_carol:?}"
    );
    let mail = app.inbox(&carol_email).await;
    let left_mail = mail
        .iter()
        .find(|m| m.subject.starts_with("You left"))
        .expect("mail");
    assert!(
        left_mail.text.contains("payment method"),
        "{}",
        left_mail.text
    );
    assert!(
        left_mail.text.contains("no longer access"),
        "managed: consent withdrawn"
    );
    let to_alice = emails_to(&app, "alice@initech.com").await;
    assert!(
        to_alice
            .iter()
            .any(|s| s == "carol@contoso.com left Initech"),
        "the admins are told: {to_alice:?}"
    );
    assert_eq!(events(&app, "MemberLeft").await, 1);

    let again = app.delete("/me/group", &carol).await;
    assert_eq!(again.status, 404, "already out: {again:?}");
}

#[tokio::test]
async fn an_unverified_address_never_joins_by_any_policy_and_is_never_mailed() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(&alice, json!({"name": "Initech", "products": ["b2"], "managed": false,
                                     "joinPolicy": {"approval": "autoApproveAll", "autoAcceptDomains": ["initech.com"]}}))
        .await;
    let token = app.invite_link(&alice, &gid).await;
    let join = format!("/invitations/{token}/join");
    // Auto-approve and an accepted domain admit a verified address...
    let dave = app
        .post(
            &join,
            &app.token("dave@initech.com"),
            json!({"region": "us-east"}),
        )
        .await;
    assert_eq!(dave.status, 201, "{dave:?}");
    // ... and neither admits the same kind of address unverified: it asks.
    let erin = app
        .post(
            &join,
            &app.unverified_token("erin@initech.com"),
            json!({"region": "us-east"}),
        )
        .await;
    assert_eq!(erin.status, 202, "{erin:?}");
    assert_eq!(erin.body["outcome"], "requested");

    // The admins see it marked unverified, and may still approve it.
    let requests = app.get(&format!("/groups/{gid}/requests"), &alice).await;
    assert_eq!(requests.status, 200);
    let request = &requests.body["requests"][0];
    assert_eq!(request["email"], "erin@initech.com");
    assert_eq!(request["emailVerified"], false);
    let erin_id = local::auth::local_subject("erin@initech.com");
    let approved = app
        .post(
            &format!("/groups/{gid}/requests/{erin_id}/approve"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{approved:?}");
    assert_eq!(
        app.get(&format!("/groups/{gid}"), &alice).await.body["memberCount"],
        2
    );
    // Removed again: still no mail to an address that may be anybody's; the
    // verified joiner got their welcome.
    let removed = app
        .delete(&format!("/groups/{gid}/members/{erin_id}"), &alice)
        .await;
    assert_eq!(removed.status, 204, "{removed:?}");
    assert!(emails_to(&app, "erin@initech.com").await.is_empty());
    assert_eq!(emails_to(&app, "dave@initech.com").await.len(), 1);
}
