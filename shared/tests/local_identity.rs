//! `LocalIdentity` on the embedded DynamoDB: the credential store the local
//! run uses in Cognito's place, in the service's own table.

use std::sync::Arc;

use aws_sdk_dynamodb::types::AttributeValue;
use shared::clock::FixedClock;
use shared::credentials::{IdentityError, IdentityPort, LocalIdentity, MfaMethod, SignInSettings};
use shared::model::{AccountId, EmailAddress, PhoneNumber};
use shared::repo::Repository;
use standins::{Names, StandIns, Storage};
use time::macros::datetime;

const PASSWORD: &str = "Correct-Horse-1";

/// Fresh stand-ins (own table) and the adapter on them.
struct Harness {
    _standins: StandIns,
    repo: Repository,
    identity: LocalIdentity,
}

impl Harness {
    async fn start() -> Self {
        let standins = StandIns::start_without_stream(Storage::Memory, Names::default())
            .await
            .expect("embedded stand-ins start");
        let repo = Repository::new(standins.dynamodb(), standins.names.table.clone());
        let clock = Arc::new(FixedClock::new(datetime!(2026-11-27 09:00 UTC)));
        let identity = LocalIdentity::new(repo.clone(), clock);
        Self {
            _standins: standins,
            repo,
            identity,
        }
    }

    /// An account with `PASSWORD`, as `local password` makes one.
    async fn provisioned(&self, name: &str) -> AccountId {
        let account = AccountId::parse("a", &format!("local-{name}")).expect("id");
        self.identity
            .provision(&account, &email(&format!("{name}@example.com")), PASSWORD)
            .await
            .expect("provisioned");
        account
    }

    /// The raw credential item, as the table holds it.
    async fn raw_item(
        &self,
        account: &AccountId,
    ) -> std::collections::HashMap<String, AttributeValue> {
        let key = shared::keys::credential(account);
        self.repo
            .client()
            .get_item()
            .table_name(self.repo.table())
            .key("PK", AttributeValue::S(key.pk))
            .key("SK", AttributeValue::S(key.sk))
            .send()
            .await
            .expect("GetItem")
            .item
            .expect("the credential item exists")
    }
}

fn email(raw: &str) -> EmailAddress {
    EmailAddress::parse("email", raw).expect("valid address")
}

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse("phone", raw).expect("valid number")
}

#[tokio::test]
async fn the_right_password_checks_and_a_wrong_one_does_not() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;

    h.identity
        .check_password(&ana, PASSWORD)
        .await
        .expect("the right password checks");
    for wrong in ["correct-horse-1", "Correct-Horse-2", "", &"x".repeat(1_000)] {
        let got = h.identity.check_password(&ana, wrong).await;
        assert!(
            matches!(got, Err(IdentityError::WrongPassword)),
            "{wrong:?}: {got:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_account_is_answered_as_a_wrong_password() {
    let h = Harness::start().await;
    let nobody = AccountId::parse("a", "local-nobody").expect("id");

    let got = h.identity.check_password(&nobody, PASSWORD).await;

    assert!(matches!(got, Err(IdentityError::WrongPassword)), "{got:?}");
}

#[tokio::test]
async fn the_stored_hash_is_argon2id_phc_and_never_the_password() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;

    let item = h.raw_item(&ana).await;

    let hash = item["passwordHash"].as_s().expect("a string");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert_eq!(item["SK"].as_s().map(String::as_str), Ok("CREDENTIAL"));
    assert_eq!(item["entity"].as_s().map(String::as_str), Ok("Credential"));
    assert_eq!(
        item["email"].as_s().map(String::as_str),
        Ok("ana@example.com")
    );
    for (name, value) in &item {
        assert!(
            !format!("{value:?}").contains(PASSWORD),
            "attribute {name} holds the password"
        );
    }
    let stored = h
        .repo
        .credential(&ana)
        .await
        .expect("read")
        .expect("exists");
    assert!(
        !format!("{stored:?}").contains(hash.as_str()),
        "Debug shows the hash"
    );
}

#[tokio::test]
async fn a_new_password_replaces_the_old_one() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;

    h.identity
        .set_password(&ana, "Battery-Staple-2")
        .await
        .expect("changed");

    h.identity
        .check_password(&ana, "Battery-Staple-2")
        .await
        .expect("the new password checks");
    let old = h.identity.check_password(&ana, PASSWORD).await;
    assert!(matches!(old, Err(IdentityError::WrongPassword)), "{old:?}");
}

#[tokio::test]
async fn a_password_the_policy_refuses_is_not_stored() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;

    let got = h.identity.set_password(&ana, "short").await;

    match got {
        Err(IdentityError::InvalidPassword { reason }) => {
            assert!(reason.contains("at least 12"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    h.identity
        .check_password(&ana, PASSWORD)
        .await
        .expect("the old password still checks");
}

#[tokio::test]
async fn changes_to_an_account_without_a_credential_are_refused() {
    let h = Harness::start().await;
    let nobody = AccountId::parse("a", "local-nobody").expect("id");

    let results = [
        h.identity.set_password(&nobody, "Battery-Staple-2").await,
        h.identity
            .set_email(&nobody, &email("new@example.com"))
            .await,
        h.identity
            .set_verified_phone(&nobody, &phone("+14155550123"))
            .await,
        h.identity
            .set_sign_in(&nobody, &SignInSettings::PASSWORD_ONLY)
            .await,
    ];

    for (i, got) in results.into_iter().enumerate() {
        assert!(
            matches!(got, Err(IdentityError::UnknownAccount)),
            "change {i}: {got:?}"
        );
    }
    assert!(h.repo.credential(&nobody).await.expect("read").is_none());
}

#[tokio::test]
async fn email_and_phone_are_stored_verified() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;

    h.identity
        .set_email(&ana, &email("ana.lopez@example.org"))
        .await
        .expect("email set");
    h.identity
        .set_verified_phone(&ana, &phone("+1 415 555 0123"))
        .await
        .expect("phone set");

    let stored = h
        .repo
        .credential(&ana)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.email, Some(email("ana.lopez@example.org")));
    assert!(stored.email_verified);
    assert_eq!(stored.phone, Some(phone("+14155550123")));
    assert!(stored.phone_verified);
    assert_eq!(stored.updated_at, "2026-11-27T09:00:00Z");
}

#[tokio::test]
async fn sms_codes_need_a_verified_phone_first() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;
    let sms = SignInSettings::new(true, false, None).expect("valid");

    let before = h.identity.set_sign_in(&ana, &sms).await;
    assert!(
        matches!(before, Err(IdentityError::Refused { .. })),
        "{before:?}"
    );

    h.identity
        .set_verified_phone(&ana, &phone("+14155550123"))
        .await
        .expect("phone set");
    h.identity.set_sign_in(&ana, &sms).await.expect("SMS on");

    let stored = h
        .repo
        .credential(&ana)
        .await
        .expect("read")
        .expect("exists");
    assert!(stored.sign_in.sms());
    assert_eq!(stored.sign_in.preferred(), Some(MfaMethod::Sms));

    h.identity
        .set_sign_in(&ana, &SignInSettings::PASSWORD_ONLY)
        .await
        .expect("SMS off");
    let stored = h
        .repo
        .credential(&ana)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.sign_in, SignInSettings::PASSWORD_ONLY);
}

#[tokio::test]
async fn an_authenticator_app_cannot_be_turned_on_for_the_member() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;
    let app = SignInSettings::new(false, true, None).expect("valid");

    let got = h.identity.set_sign_in(&ana, &app).await;

    assert!(matches!(got, Err(IdentityError::Refused { .. })), "{got:?}");
}

#[tokio::test]
async fn provisioning_again_resets_the_password_and_keeps_the_rest() {
    let h = Harness::start().await;
    let ana = h.provisioned("ana").await;
    h.identity
        .set_verified_phone(&ana, &phone("+14155550123"))
        .await
        .expect("phone set");

    h.identity
        .provision(&ana, &email("ana@example.com"), "Battery-Staple-2")
        .await
        .expect("provisioned again");

    h.identity
        .check_password(&ana, "Battery-Staple-2")
        .await
        .expect("the new password checks");
    let stored = h
        .repo
        .credential(&ana)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.phone, Some(phone("+14155550123")));
}
