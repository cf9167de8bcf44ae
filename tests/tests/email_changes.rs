//! End-to-end: a person's verified address follows who signs in with it
//! now. An email changed in the identity provider, or an account deleted
//! and signed up again, moves the address's claim at the next sign-in
//! (`GET /me`), so the new holder is not refused for ever and an admin who
//! types the address makes the right person an admin; rights held by
//! account stay with that account. Over HTTP through the local gateway; the
//! identity provider is the local one (its users are the credentials in
//! the table), as Cognito would answer.

use e2e::{TestApp, spawn_app};
use serde_json::{Value, json};
use shared::credentials::IdentityPort;
use shared::model::{AccountId, EmailAddress};

const PASSWORD: &str = "Correct-Horse-1";

fn account(sub: &str) -> AccountId {
    AccountId::parse("sub", sub).expect("account id")
}

fn address(raw: &str) -> EmailAddress {
    EmailAddress::parse("email", raw).expect("email")
}

/// Signs `sub` up in the identity provider with `email` and returns their
/// token, once they signed in (`GET /me`).
async fn sign_up(app: &TestApp, sub: &str, email: &str) -> String {
    app.identity()
        .provision(&account(sub), &address(email), PASSWORD)
        .await
        .expect("signed up");
    let token = app.token_as(sub, email);
    let me = app.get("/me", &token).await;
    assert_eq!(me.status, 200, "{sub} signs in: {me:?}");
    assert_eq!(me.body["id"], sub);
    token
}

/// The account ids of a group's admins, with the address each shows.
async fn admins(app: &TestApp, gid: &str, token: &str) -> Vec<(String, String)> {
    let group = app.get(&format!("/groups/{gid}"), token).await;
    assert_eq!(group.status, 200, "{group:?}");
    let mut admins: Vec<(String, String)> = group.body["admins"]
        .as_array()
        .expect("admins")
        .iter()
        .map(|a| {
            (
                a["accountId"].as_str().expect("accountId").to_owned(),
                a["email"].as_str().expect("email").to_owned(),
            )
        })
        .collect();
    admins.sort();
    admins
}

fn group(name: &str) -> Value {
    json!({"name": name, "products": ["computerBackup"], "managed": false})
}

#[tokio::test]
async fn an_email_change_moves_the_address_to_whoever_signs_in_with_it_now() {
    let app = spawn_app().await;
    let carl = app.sign_in("carl@initech.com").await;
    let carls = app.create_group(&carl, group("Carl's")).await;

    // Ana signs up and runs a group of her own.
    let ana = sign_up(&app, "ana-1", "ana@initech.com").await;
    let anas = app.create_group(&ana, group("Ana's")).await;

    // She changes her email in the identity provider, and before she signs
    // in again Bea signs up with the address Ana gave up.
    app.identity()
        .set_email(&account("ana-1"), &address("ana.new@initech.com"))
        .await
        .expect("email changed");
    let bea = sign_up(&app, "bea-1", "ana@initech.com").await;
    // Ana's group no longer mails her old address (it is Bea's now).
    let group = app.get(&format!("/groups/{anas}"), &ana).await;
    assert_eq!(
        group.body["admins"][0]["email"], "ana@initech.com",
        "{group:?}"
    );
    assert_eq!(group.body["admins"][0]["emailVerified"], false, "{group:?}");

    // Carl adds the address: Bea becomes his admin, not Ana.
    let added = app
        .post(
            &format!("/groups/{carls}/admins"),
            &carl,
            json!({"email": "ana@initech.com"}),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let local_carl = local::auth::local_subject("carl@initech.com");
    assert_eq!(
        admins(&app, &carls, &carl).await,
        vec![
            ("bea-1".to_owned(), "ana@initech.com".to_owned()),
            (local_carl.clone(), "carl@initech.com".to_owned()),
        ]
    );
    assert_eq!(app.get(&format!("/groups/{carls}"), &bea).await.status, 200);

    // Ana signs in with her new address: her account takes it, and her own
    // group shows it (her admin right is her account's, so it stays hers).
    let ana_new = app.token_as("ana-1", "ana.new@initech.com");
    let me = app.get("/me", &ana_new).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["email"], "ana.new@initech.com");
    assert_eq!(me.body["emailVerified"], true);
    assert_eq!(
        admins(&app, &anas, &ana_new).await,
        vec![("ana-1".to_owned(), "ana.new@initech.com".to_owned())]
    );
    let group = app.get(&format!("/groups/{anas}"), &ana_new).await;
    assert_eq!(group.body["admins"][0]["emailVerified"], true, "{group:?}");
    assert_eq!(
        app.get(&format!("/groups/{anas}"), &bea).await.status,
        404,
        "the address brought Bea none of Ana's rights"
    );

    // Her new address makes her an admin; her old one is Bea's.
    let added = app
        .post(
            &format!("/groups/{carls}/admins"),
            &carl,
            json!({"email": "ana.new@initech.com"}),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let again = app
        .post(
            &format!("/groups/{carls}/admins"),
            &carl,
            json!({"email": "ana@initech.com"}),
        )
        .await;
    assert_eq!(again.status, 409, "Bea is one already: {again:?}");

    // Ana's old token, still unexpired, cannot take the address back (Bea
    // signs in with it), and changes nothing.
    let stale = app.get("/me", &ana).await;
    assert_eq!(stale.status, 409, "{stale:?}");
    assert_eq!(
        stale.body["type"]
            .as_str()
            .map(|t| t.ends_with("/email-in-use")),
        Some(true)
    );
    let me = app.get("/me", &ana_new).await;
    assert_eq!(me.body["email"], "ana.new@initech.com", "{me:?}");
    let me = app.get("/me", &bea).await;
    assert_eq!(
        (me.status, &me.body["email"]),
        (200, &json!("ana@initech.com"))
    );
}

#[tokio::test]
async fn an_account_deleted_and_signed_up_again_gets_its_address_back_but_not_the_old_rights() {
    let app = spawn_app().await;
    let carl = app.sign_in("carl@initech.com").await;
    let carls = app.create_group(&carl, group("Carl's")).await;

    let dana_old = sign_up(&app, "dana-1", "dana@initech.com").await;
    let danas = app.create_group(&dana_old, group("Dana's")).await;

    // Dana deletes her account in the identity provider and signs up again:
    // a new account, the same address.
    app.identity()
        .remove(&account("dana-1"))
        .await
        .expect("deleted");
    let dana = sign_up(&app, "dana-2", "dana@initech.com").await;

    // Nothing refuses her any more: she creates a group.
    let her_own = app.create_group(&dana, group("Dana's again")).await;
    assert_eq!(
        app.get(&format!("/groups/{her_own}"), &dana).await.status,
        200
    );

    // Typing her address makes the new account an admin.
    let added = app
        .post(
            &format!("/groups/{carls}/admins"),
            &carl,
            json!({"email": "dana@initech.com"}),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    assert!(
        admins(&app, &carls, &carl)
            .await
            .contains(&("dana-2".to_owned(), "dana@initech.com".to_owned()))
    );

    // The old account's rights stay with the old account.
    assert_eq!(
        app.get(&format!("/groups/{danas}"), &dana).await.status,
        404
    );
    let old = app
        .repo()
        .get_account(&account("dana-1"))
        .await
        .expect("read");
    let old = old.expect("the old account is kept");
    assert!(
        !old.email_verified,
        "the old account's address is no longer proven: nothing is mailed to it"
    );
}

#[tokio::test]
async fn an_address_its_holder_still_signs_in_with_stays_theirs() {
    let app = spawn_app().await;
    let _eve = sign_up(&app, "eve-1", "eve@initech.com").await;

    // Another account presents a verified token for the same address (say,
    // a second sign-up through another provider): refused, and nothing moves.
    let other = app.token_as("eve-2", "eve@initech.com");
    let refused = app.get("/me", &other).await;
    assert_eq!(refused.status, 409, "{refused:?}");
    assert_eq!(
        refused.body["type"]
            .as_str()
            .map(|t| t.ends_with("/email-in-use")),
        Some(true)
    );
    let refused = app
        .patch("/me", &other, json!({"backupSummaryEmails": false}))
        .await;
    assert_eq!(refused.status, 409, "{refused:?}");
    let holder = app
        .repo()
        .account_id_by_email(&address("eve@initech.com"))
        .await
        .expect("read");
    assert_eq!(holder, Some(account("eve-1")));
    assert!(
        app.repo()
            .get_account(&account("eve-2"))
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn only_signing_in_changes_a_stored_email() {
    let app = spawn_app().await;
    let finn = sign_up(&app, "finn-1", "finn@initech.com").await;
    app.identity()
        .set_email(&account("finn-1"), &address("finn.new@initech.com"))
        .await
        .expect("email changed");
    let finn_new = app.token_as("finn-1", "finn.new@initech.com");

    // Another write with the new token leaves the stored address alone
    // (and with it the claims and admin entries that show it) ...
    let bucket = app
        .post("/me/buckets", &finn_new, json!({"name": "finn-files"}))
        .await;
    assert_eq!(bucket.status, 201, "{bucket:?}");
    let stored = app
        .repo()
        .get_account(&account("finn-1"))
        .await
        .expect("read");
    assert_eq!(
        stored.map(|a| a.email.as_str().to_owned()),
        Some("finn@initech.com".to_owned())
    );

    // ... and signing in moves it, releasing the old address.
    let me = app.get("/me", &finn_new).await;
    assert_eq!(me.body["email"], "finn.new@initech.com", "{me:?}");
    assert_eq!(me.body["bucketCount"], 1);
    let old_holder = app
        .repo()
        .account_id_by_email(&address("finn@initech.com"))
        .await
        .expect("read");
    assert_eq!(old_holder, None, "the old address is free");
    drop(finn);
}

#[tokio::test]
async fn an_address_whose_holder_moved_on_is_taken_without_asking_the_provider() {
    let app = spawn_app().await;
    let _gus = sign_up(&app, "gus-1", "gus@initech.com").await;
    // Gus's account has since been stored with another address while the
    // claim still names it (what writes made before this release could
    // leave); the provider still has him with the old one.
    app.set_attributes(
        "ACCOUNT#gus-1",
        "ACCOUNT",
        &[(
            "email",
            aws_sdk_dynamodb::types::AttributeValue::S("gus@elsewhere.example".into()),
        )],
    )
    .await;
    let hugo = app.token_as("hugo-1", "gus@initech.com");
    let me = app.get("/me", &hugo).await;
    assert_eq!(me.status, 200, "{me:?}");
    let holder = app
        .repo()
        .account_id_by_email(&address("gus@initech.com"))
        .await
        .expect("read");
    assert_eq!(holder, Some(account("hugo-1")));
}

#[tokio::test]
async fn an_admin_signing_in_with_an_unverified_address_is_mailed_nothing() {
    let app = spawn_app().await;
    let ivan = sign_up(&app, "ivan-1", "ivan@initech.com").await;
    let gid = app.create_group(&ivan, group("Ivan's")).await;
    // Ivan signs in through a provider that does not vouch for his new
    // address: his old one is released, and his group shows the new one as
    // unverified (no notice goes to either).
    let unverified = app.unverified_token_as("ivan-1", "ivan@unproven.example");
    let me = app.get("/me", &unverified).await;
    assert_eq!(me.status, 200, "{me:?}");
    assert_eq!(me.body["emailVerified"], false);
    let group = app.get(&format!("/groups/{gid}"), &ivan).await;
    assert_eq!(
        group.body["admins"][0]["email"], "ivan@initech.com",
        "{group:?}"
    );
    assert_eq!(group.body["admins"][0]["emailVerified"], false, "{group:?}");
    let holder = app
        .repo()
        .account_id_by_email(&address("ivan@initech.com"))
        .await
        .expect("read");
    assert_eq!(holder, None, "the old address is released");
    // Verified again: shown and mailed again.
    let me = app.get("/me", &ivan).await;
    assert_eq!(me.status, 200, "{me:?}");
    let group = app.get(&format!("/groups/{gid}"), &ivan).await;
    assert_eq!(group.body["admins"][0]["emailVerified"], true, "{group:?}");
}
