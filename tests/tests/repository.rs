//! The DynamoDB repository on the embedded emulator: what is stored, and which
//! invariants the database itself refuses to break.

use std::collections::BTreeSet;

use e2e::spawn_app;
use shared::ProblemKind;
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
    let repo = app.repo();
    let now = time::OffsetDateTime::now_utc();
    repo.register_account(&caller("first", "ana@initech.com", true), now)
        .await
        .expect("first");
    let second = repo
        .register_account(&caller("second", "ana@initech.com", true), now)
        .await;
    assert!(
        matches!(&second, Err(e) if e.kind() == ProblemKind::EmailInUse),
        "{second:?}"
    );
    // Unverified sign-ins claim nothing, so they cannot collide or squat.
    repo.register_account(&caller("third", "ana@initech.com", false), now)
        .await
        .expect("unverified");
    let owner = repo
        .account_id_by_email(&EmailAddress::parse("e", "ana@initech.com").expect("email"))
        .await
        .expect("lookup");
    assert_eq!(owner.map(|a| a.to_string()).as_deref(), Some("first"));
}

#[tokio::test]
async fn registering_twice_keeps_the_first_creation_time() {
    let app = spawn_app().await;
    let repo = app.repo();
    let ana = caller("ana", "ana@initech.com", true);
    let t0 = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .expect("ns");
    repo.register_account(&ana, t0).await.expect("first");
    repo.register_account(&ana, t0 + time::Duration::days(3))
        .await
        .expect("again");
    let account = repo
        .get_account(&ana.account_id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(account.created_at, t0);
}
