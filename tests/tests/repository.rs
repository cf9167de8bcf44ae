//! The DynamoDB repository on the embedded emulator: what is stored, and which
//! invariants the database itself refuses to break.

use std::collections::BTreeSet;

use e2e::spawn_app;
use shared::identity::Caller;
use shared::model::{
    AccountId, AdminReportEmails, Billing, EmailAddress, EmailCadence, GroupId, GroupName,
    JoinPolicy, NewGroup, Product,
};
use shared::repo::Written;

fn caller(sub: &str, email: &str, verified: bool) -> Caller {
    Caller {
        account_id: AccountId::parse("sub", sub).expect("id"),
        email: EmailAddress::parse("email", email).expect("email"),
        email_verified: verified,
        sign_in: shared::identity::SignIn::Password,
    }
}

fn new_group() -> NewGroup {
    NewGroup {
        name: GroupName::parse("name", "Initech").expect("name"),
        products: BTreeSet::from([Product::B2]),
        managed: false,
        join_policy: JoinPolicy::default(),
        sso: BTreeSet::new(),
        member_summary_emails: EmailCadence::Weekly,
        admin_report_emails: AdminReportEmails::default(),
        version_history_30_days: false,
        admin_notifications: true,
    }
}

#[tokio::test]
async fn a_created_group_is_stored_with_its_admin_link_account_and_email_claim() {
    let app = spawn_app().await;
    let repo = app.repo();
    let alice = caller("alice", "alice@initech.com", true);
    let now = time::OffsetDateTime::now_utc();
    let group = new_group().into_group(
        GroupId::new(),
        alice.account_id.clone(),
        alice.email.clone(),
        now,
    );
    assert_eq!(
        repo.create_group(
            &group,
            &[],
            &alice,
            &Billing::new(now, Default::default()),
            1,
            None,
            now
        )
        .await
        .expect("create"),
        Written::Fresh
    );

    assert_eq!(
        repo.get_group(&group.id).await.expect("get"),
        Some(group.clone())
    );
    assert_eq!(
        repo.list_admin_groups(&alice.account_id)
            .await
            .expect("list"),
        vec![group.clone()]
    );
    assert_eq!(
        repo.account_id_by_email(&alice.email).await.expect("claim"),
        Some(alice.account_id.clone())
    );
    let account = repo
        .get_account(&alice.account_id)
        .await
        .expect("account")
        .expect("exists");
    assert_eq!(account.email, alice.email);

    let items = repo
        .client()
        .scan()
        .table_name(repo.table())
        .send()
        .await
        .expect("scan (test only)")
        .items
        .unwrap_or_default();
    let mut entities: Vec<String> = items
        .iter()
        .filter_map(|i| i.get("entity").and_then(|e| e.as_s().ok()).cloned())
        .collect();
    entities.sort();
    assert_eq!(
        entities,
        [
            "Account",
            "AdminLink",
            "Billing",
            "DailyCount",
            "EmailClaim",
            "Group",
            // The daily usage schedule, and the weekly admin report and
            // member summaries (a new group's default cadences).
            "ScheduleEntry",
            "ScheduleEntry",
            "ScheduleEntry"
        ]
    );
}

#[tokio::test]
async fn a_verified_email_belongs_to_one_account_only() {
    let app = spawn_app().await;
    let ana = EmailAddress::parse("e", "ana@initech.com").expect("email");
    app.identity()
        .provision(
            &AccountId::parse("sub", "first").expect("id"),
            &ana,
            "Correct-Horse-1",
        )
        .await
        .expect("signed up");
    let first = app
        .get("/me", &app.token_as("first", "ana@initech.com"))
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    // Another account with a verified token for it: the provider still has
    // the first account signing in with it.
    let second = app
        .get("/me", &app.token_as("second", "ana@initech.com"))
        .await;
    assert_eq!(second.status, 409, "{second:?}");
    // Unverified sign-ins claim nothing, so they cannot collide or squat.
    let third = app
        .get("/me", &app.unverified_token("ana@initech.com"))
        .await;
    assert_eq!(third.status, 200, "{third:?}");
    let owner = app.repo().account_id_by_email(&ana).await.expect("lookup");
    assert_eq!(owner.map(|a| a.to_string()).as_deref(), Some("first"));
}

#[tokio::test]
async fn signing_in_again_keeps_the_first_creation_time() {
    let app = spawn_app().await;
    let ana = app.token("ana@initech.com");
    let first = app.get("/me", &ana).await;
    assert_eq!(first.status, 200, "{first:?}");
    app.clock.advance(time::Duration::days(3));
    let again = app.get("/me", &ana).await;
    assert_eq!(
        again.body["createdAt"], first.body["createdAt"],
        "{again:?}"
    );
    let id = AccountId::parse("sub", &local::auth::local_subject("ana@initech.com")).expect("id");
    let stored = app
        .repo()
        .get_account(&id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        Some(stored.created_at),
        first.body["createdAt"]
            .as_str()
            .and_then(|t| time::OffsetDateTime::parse(
                t,
                &time::format_description::well_known::Rfc3339
            )
            .ok())
    );
}
