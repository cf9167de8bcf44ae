//! Automatically accepted domains must be proven: a listed domain gives its
//! admins a DNS TXT record to publish, and only once `verify` finds it
//! (through the real resolver, asking the in-process DNS stand-in) do the
//! domain's addresses join directly; the daily re-check suspends a domain
//! whose record is gone and emails its admins once.

use e2e::{TestApp, spawn_app};
use serde_json::{Value, json};
use shared::clock::Clock as _;
use shared::model::{DomainState, EmailDomain, GroupId, Member, Region};
use shared::repo::{AccountRef, NewMembership};

fn restricted(domains: &[&str]) -> Value {
    json!({"name": "Initech", "products": ["b2"], "managed": false,
           "joinPolicy": {"autoAcceptDomains": domains}})
}

/// `email` joins through the link: 201 joined or 202 requested.
async fn join(app: &TestApp, link: &str, email: &str) -> u16 {
    let reply = app
        .post(
            &format!("/invitations/{link}/join"),
            &app.token(email),
            json!({"region": "us-west"}),
        )
        .await;
    assert!(
        matches!(reply.status, 201 | 202),
        "{email} joins: {reply:?}"
    );
    reply.status
}

async fn verify(app: &TestApp, admin: &str, gid: &str, domain: &str) -> e2e::Reply {
    app.post(
        &format!("/groups/{gid}/domains/{domain}/verify"),
        admin,
        json!({}),
    )
    .await
}

async fn domain_view(app: &TestApp, admin: &str, gid: &str, domain: &str) -> Value {
    let list = app.get(&format!("/groups/{gid}/domains"), admin).await;
    assert_eq!(list.status, 200, "{list:?}");
    list.body["domains"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["domain"] == domain)
        .cloned()
        .unwrap_or_else(|| panic!("{domain} not listed: {list:?}"))
}

async fn subjects_to(app: &TestApp, email: &str) -> Vec<String> {
    app.inbox(email)
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect()
}

#[tokio::test]
async fn a_domain_auto_accepts_only_after_its_record_is_served_and_stops_when_it_is_removed_and_rechecked()
 {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted(&["initech.com"])).await;
    let link = app.invite_link(&alice, &gid).await;

    // Adding the domain gave it a record to publish; it is not proven yet.
    let listed = domain_view(&app, &alice, &gid, "initech.com").await;
    assert_eq!(listed["state"], "pending", "{listed}");
    assert_eq!(listed["autoAccepts"], false);
    assert_eq!(listed["record"]["type"], "TXT");
    assert_eq!(listed["record"]["name"], "_groups-challenge.initech.com");
    let (name, value) = app.domain_record(&gid, &alice, "initech.com").await;
    assert!(value.starts_with("groups-domain-verification="), "{value}");
    assert!(value.len() >= "groups-domain-verification=".len() + 26);

    // Before verification, a person of that domain only asks.
    assert_eq!(join(&app, &link, "dave@initech.com").await, 202);

    // Verification fails, naming the record, until the DNS serves it.
    let early = verify(&app, &alice, &gid, "initech.com").await;
    assert_eq!(early.status, 409, "{early:?}");
    assert_eq!(early.body["type"], "/problems/domain-not-verified");
    let detail = early.body["detail"].as_str().expect("detail");
    assert!(
        detail.contains(&name) && detail.contains(&value),
        "{detail}"
    );
    app.dns
        .records
        .add_txt(&name, "groups-domain-verification=SOMEONEELSES");
    let wrong = verify(&app, &alice, &gid, "initech.com").await;
    assert_eq!(wrong.status, 409, "another value proves nothing: {wrong:?}");

    app.dns.records.add_txt(&name, &value);
    let verified = verify(&app, &alice, &gid, "initech.com").await;
    assert_eq!(verified.status, 200, "{verified:?}");
    assert_eq!(verified.body["state"], "verified");
    assert_eq!(verified.body["autoAccepts"], true);
    assert!(verified.body["verifiedAt"].is_string());

    // Now a person of that domain joins directly; others still ask.
    assert_eq!(join(&app, &link, "erin@initech.com").await, 201);
    assert_eq!(join(&app, &link, "zed@contoso.com").await, 202);

    // A re-check while the record is served keeps it.
    let kept = app.recheck_domains().await;
    assert_eq!((kept.checked, kept.proven, kept.suspended), (1, 1, 0));

    // The record removed, the next re-check suspends the domain and emails
    // the admins once.
    app.dns.records.remove(&name);
    let ran = app.recheck_domains().await;
    assert_eq!((ran.checked, ran.suspended), (1, 1), "{ran:?}");
    let suspended = domain_view(&app, &alice, &gid, "initech.com").await;
    assert_eq!(suspended["state"], "suspended", "{suspended}");
    assert_eq!(suspended["autoAccepts"], false);
    assert!(suspended["suspendedAt"].is_string());
    let again = app.recheck_domains().await;
    assert_eq!(again.checked, 0, "a suspended domain is off the re-check");
    let told: Vec<String> = subjects_to(&app, "alice@initech.com")
        .await
        .into_iter()
        .filter(|s| s.contains("no longer joins"))
        .collect();
    assert_eq!(
        told,
        ["initech.com no longer joins Initech automatically"],
        "one email"
    );

    // The next person of that domain asks again.
    assert_eq!(join(&app, &link, "frank@initech.com").await, 202);

    // Verifying again (the record back) restores it.
    app.dns.records.add_txt(&name, &value);
    let restored = verify(&app, &alice, &gid, "initech.com").await;
    assert_eq!(restored.status, 200, "{restored:?}");
    assert_eq!(restored.body["state"], "verified");
    assert!(restored.body.get("suspendedAt").is_none());
    assert_eq!(join(&app, &link, "gina@initech.com").await, 201);

    // Each verification is in the group's audit log.
    let audit = app.get(&format!("/groups/{gid}/audit"), &alice).await;
    let verifications = audit.body["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"]["kind"] == "domainVerified")
        .count();
    assert_eq!(verifications, 2, "{audit:?}");
}

#[tokio::test]
async fn a_lookup_that_cannot_tell_changes_nothing() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(&alice, restricted(&["initech.com", "initrode.com"]))
        .await;
    app.prove_domain(&gid, &alice, "initech.com").await;
    let (name, _) = app.domain_record(&gid, &alice, "initech.com").await;

    // A server failure is not an absence: the re-check leaves the domain.
    app.dns.records.fail(&name);
    let ran = app.recheck_domains().await;
    assert_eq!((ran.checked, ran.undecided, ran.suspended), (1, 1, 0));
    let kept = domain_view(&app, &alice, &gid, "initech.com").await;
    assert_eq!(kept["state"], "verified");

    // ...and verification answers a retryable 503, changing nothing.
    let (other, _) = app.domain_record(&gid, &alice, "initrode.com").await;
    app.dns.records.fail(&other);
    let busy = verify(&app, &alice, &gid, "initrode.com").await;
    assert_eq!(busy.status, 503, "{busy:?}");
    assert_eq!(busy.body["type"], "/problems/dns-unavailable");
    assert!(busy.retry_after.is_some());
    let pending = domain_view(&app, &alice, &gid, "initrode.com").await;
    assert_eq!(pending["state"], "pending");
}

#[tokio::test]
async fn domains_listed_before_proofs_do_not_auto_accept_until_verified() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted(&[])).await;
    // The shape a group listing a domain had before proofs: the list on
    // the group, no proof item.
    app.set_attributes(
        &format!("GROUP#{gid}"),
        "GROUP",
        &[(
            "joinPolicy.autoAcceptDomains",
            aws_sdk_dynamodb::types::AttributeValue::L(vec![
                aws_sdk_dynamodb::types::AttributeValue::S("initech.com".into()),
            ]),
        )],
    )
    .await;
    let link = app.invite_link(&alice, &gid).await;

    assert_eq!(join(&app, &link, "dave@initech.com").await, 202);
    let legacy = domain_view(&app, &alice, &gid, "initech.com").await;
    assert_eq!(legacy["state"], "unverified", "{legacy}");
    assert!(legacy.get("record").is_none());

    // Verifying gives it its challenge (and names the record to publish).
    let first = verify(&app, &alice, &gid, "initech.com").await;
    assert_eq!(first.status, 409, "{first:?}");
    let (name, value) = app.domain_record(&gid, &alice, "initech.com").await;
    let detail = first.body["detail"].as_str().expect("detail");
    assert!(
        detail.contains(&name) && detail.contains(&value),
        "{detail}"
    );
    assert_eq!(join(&app, &link, "erin@initech.com").await, 202);

    app.prove_domain(&gid, &alice, "initech.com").await;
    assert_eq!(join(&app, &link, "frank@initech.com").await, 201);
}

#[tokio::test]
async fn editing_the_domains_adds_and_removes_their_proofs() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted(&["initech.com"])).await;
    app.prove_domain(&gid, &alice, "initech.com").await;
    let (_, first_value) = app.domain_record(&gid, &alice, "initech.com").await;
    let link = app.invite_link(&alice, &gid).await;
    let edit = |domains: &'static [&'static str]| {
        let path = format!("/groups/{gid}");
        let app = &app;
        let alice = alice.clone();
        async move {
            let reply = app
                .patch(
                    &path,
                    &alice,
                    json!({"joinPolicy": {"autoAcceptDomains": domains}}),
                )
                .await;
            assert_eq!(reply.status, 200, "{reply:?}");
        }
    };

    edit(&["initech.com", "contoso.com"]).await;
    assert_eq!(
        domain_view(&app, &alice, &gid, "initech.com").await["state"],
        "verified"
    );
    assert_eq!(
        domain_view(&app, &alice, &gid, "contoso.com").await["state"],
        "pending"
    );

    // Removed, its proof goes; listed again, it must be proven again, with
    // a new value (its old record, still served, proves nothing).
    edit(&["contoso.com"]).await;
    let proofs = app
        .repo()
        .domain_proofs(&GroupId::parse("g", &gid).expect("gid"))
        .await
        .expect("proofs");
    assert_eq!(
        proofs.iter().map(|p| p.domain.as_str()).collect::<Vec<_>>(),
        ["contoso.com"]
    );
    assert_eq!(join(&app, &link, "dave@initech.com").await, 202);
    edit(&["contoso.com", "initech.com"]).await;
    let relisted = domain_view(&app, &alice, &gid, "initech.com").await;
    assert_eq!(relisted["state"], "pending");
    assert_ne!(relisted["record"]["value"], first_value);
    assert_eq!(verify(&app, &alice, &gid, "initech.com").await.status, 409);
    assert_eq!(join(&app, &link, "erin@initech.com").await, 202);
}

#[tokio::test]
async fn only_admins_see_and_verify_domains_and_bad_domains_are_refused() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted(&["initech.com"])).await;
    let mallory = app.token("mallory@initech.com");
    assert_eq!(
        app.get(&format!("/groups/{gid}/domains"), &mallory)
            .await
            .status,
        404
    );
    let (name, value) = app.domain_record(&gid, &alice, "initech.com").await;
    app.dns.records.add_txt(&name, &value);
    let outsider = verify(&app, &mallory, &gid, "initech.com").await;
    assert_eq!(outsider.status, 404, "{outsider:?}");
    assert_eq!(outsider.body["detail"], "group not found");
    assert_eq!(
        domain_view(&app, &alice, &gid, "initech.com").await["state"],
        "pending",
        "an outsider verifies nothing"
    );

    let unlisted = verify(&app, &alice, &gid, "contoso.com").await;
    assert_eq!(unlisted.status, 404, "{unlisted:?}");
    for (bad, reason) in [
        ("com", "public suffix"),
        ("gmail.com", "free email"),
        ("a%20b.com", "valid domain"),
    ] {
        let reply = verify(&app, &alice, &gid, bad).await;
        assert_eq!(reply.status, 400, "{bad}: {reply:?}");
        assert_eq!(
            reply.body["errors"][0]["field"], "domain",
            "{bad}: {reply:?}"
        );
        let said = reply.body["errors"][0]["reason"]
            .as_str()
            .unwrap_or_default();
        assert!(said.contains(reason), "{bad}: {said}");
    }
}

#[tokio::test]
async fn a_suspension_racing_a_join_wins() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app.create_group(&alice, restricted(&["initech.com"])).await;
    app.prove_domain(&gid, &alice, "initech.com").await;
    let link = app.invite_link(&alice, &gid).await;
    let group_id = GroupId::parse("g", &gid).expect("gid");
    let domain = EmailDomain::parse("d", "initech.com").expect("domain");

    // The join read the proof verified...
    let (_, read) = app
        .repo()
        .group_and_domain(&group_id, &domain)
        .await
        .expect("read");
    let read = read.expect("a proof");
    assert_eq!(read.state, DomainState::Verified);
    // ...then the re-check suspended it before the join's write.
    let suspended = shared::model::DomainProof {
        state: DomainState::Suspended,
        ..read.clone()
    };
    assert!(
        app.repo()
            .suspend_domain(&suspended, None)
            .await
            .expect("suspend")
    );

    let dave = shared::identity::Caller::from_claims(
        &[
            ("sub", "dave-initech"),
            ("email", "dave@initech.com"),
            ("email_verified", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
    )
    .expect("a caller");
    let membership = NewMembership {
        group_id,
        member: Member {
            account_id: dave.account_id.clone(),
            email: dave.email.clone(),
            region: Region::UsWest,
            joined_at: app.clock.now(),
            managed_access_accepted: false,
            version_history_accepted: false,
        },
        account: AccountRef::Caller(&dave),
        joining: None,
        spend: None,
        admin: None,
        approves_request: false,
        proven_domain: Some(&read),
        outbox: Vec::new(),
    };
    let refused = app
        .repo()
        .create_membership(&membership, 5_000, None, app.clock.now())
        .await
        .expect_err("the stale proof no longer admits");
    assert_eq!(refused.kind(), shared::ProblemKind::ConcurrentChange);
    let members = app
        .repo()
        .list_members(&group_id, 10, None)
        .await
        .expect("members");
    assert!(members.0.is_empty(), "nobody joined: {:?}", members.0);

    // Joining again reads the suspension and files a request.
    assert_eq!(join(&app, &link, "dave@initech.com").await, 202);
}
