//! `CognitoIdentity` against moto's Cognito (DESIGN §8): a user pool shaped
//! like the template's (email as the username, the same password policy),
//! an app client allowing `ADMIN_USER_PASSWORD_AUTH`, and a confirmed user.
//! What each change did is read back with `AdminGetUser`. Every test makes
//! its own pool, so tests share one moto and run in parallel.
//!
//! Needs `MOTO_ENDPOINT` (`./scripts/moto start`; `scripts/test` sets it).
//! Without it these tests fail: they are never skipped.

use aws_config::BehaviorVersion;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput;
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, MessageActionType, PasswordPolicyType, UserPoolPolicyType,
    UsernameAttributeType,
};
use shared::credentials::{CognitoIdentity, IdentityError, IdentityPort, SignInSettings};
use shared::model::{AccountId, EmailAddress, PhoneNumber};

const PASSWORD: &str = "Correct-Horse-1";

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    }
}

/// A pool, its app client, one confirmed member with `PASSWORD`, and the
/// adapter on them.
struct Pool {
    client: Client,
    id: String,
    identity: CognitoIdentity,
    /// The member's account id: the username Cognito generated (= `sub`).
    member: AccountId,
}

impl Pool {
    async fn start() -> Self {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(moto_endpoint())
            .region("us-east-1")
            .credentials_provider(aws_sdk_cognitoidentityprovider::config::Credentials::new(
                "test", "test", None, None, "static",
            ))
            .load()
            .await;
        let client = Client::new(&config);
        // As infra/template.yaml: email is the username; 12 characters with
        // upper, lower and a number; optional MFA.
        let policy = PasswordPolicyType::builder()
            .minimum_length(12)
            .require_lowercase(true)
            .require_uppercase(true)
            .require_numbers(true)
            .require_symbols(false)
            .build();
        let pool = client
            .create_user_pool()
            .pool_name(format!("groups-test-{}", uuid::Uuid::new_v4()))
            .username_attributes(UsernameAttributeType::Email)
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(policy)
                    .build(),
            )
            .mfa_configuration(aws_sdk_cognitoidentityprovider::types::UserPoolMfaType::Optional)
            .send()
            .await
            .expect("CreateUserPool on moto");
        let id = pool.user_pool.and_then(|p| p.id).expect("a pool id");
        let app = client
            .create_user_pool_client()
            .user_pool_id(&id)
            .client_name("groups-app")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .send()
            .await
            .expect("CreateUserPoolClient on moto");
        let client_id = app
            .user_pool_client
            .and_then(|c| c.client_id)
            .expect("a client id");
        let member = create_user(&client, &id, "ana@example.com").await;
        let identity = CognitoIdentity::new(client.clone(), id.clone(), client_id);
        Self {
            client,
            id,
            identity,
            member,
        }
    }

    async fn user(&self, account: &AccountId) -> AdminGetUserOutput {
        self.client
            .admin_get_user()
            .user_pool_id(&self.id)
            .username(account.as_str())
            .send()
            .await
            .expect("AdminGetUser on moto")
    }

    async fn attribute(&self, account: &AccountId, name: &str) -> Option<String> {
        self.user(account)
            .await
            .user_attributes
            .unwrap_or_default()
            .into_iter()
            .find(|a| a.name == name)
            .and_then(|a| a.value)
    }
}

/// A confirmed user signing in as `email` with `PASSWORD`, as sign-up and
/// confirmation leave one; returns its username, which is its `sub`.
async fn create_user(client: &Client, pool: &str, email: &str) -> AccountId {
    let created = client
        .admin_create_user()
        .user_pool_id(pool)
        .username(email)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .expect("AdminCreateUser on moto");
    let user = created.user.expect("the created user");
    let username = user.username.clone().expect("a generated username");
    let sub = user
        .attributes
        .unwrap_or_default()
        .into_iter()
        .find(|a| a.name == "sub")
        .and_then(|a| a.value);
    assert_eq!(
        sub.as_deref(),
        Some(username.as_str()),
        "username is the sub"
    );
    client
        .admin_set_user_password()
        .user_pool_id(pool)
        .username(&username)
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .expect("AdminSetUserPassword on moto");
    AccountId::parse("sub", &username).expect("a sub is an account id")
}

fn email(raw: &str) -> EmailAddress {
    EmailAddress::parse("email", raw).expect("valid address")
}

fn phone(raw: &str) -> PhoneNumber {
    PhoneNumber::parse("phone", raw).expect("valid number")
}

#[tokio::test]
async fn the_right_password_checks() {
    let pool = Pool::start().await;

    pool.identity
        .check_password(&pool.member, PASSWORD)
        .await
        .expect("the right password checks");
}

#[tokio::test]
async fn a_wrong_password_is_wrong_password() {
    let pool = Pool::start().await;

    for wrong in ["correct-horse-1", "Correct-Horse-2", "x"] {
        let got = pool.identity.check_password(&pool.member, wrong).await;
        assert!(
            matches!(got, Err(IdentityError::WrongPassword)),
            "{wrong:?}: {got:?}"
        );
    }
}

#[tokio::test]
async fn an_unknown_user_is_a_wrong_password_too() {
    let pool = Pool::start().await;
    let nobody = AccountId::parse("a", &uuid::Uuid::new_v4().to_string()).expect("id");

    let got = pool.identity.check_password(&nobody, PASSWORD).await;

    assert!(matches!(got, Err(IdentityError::WrongPassword)), "{got:?}");
}

#[tokio::test]
async fn a_new_email_is_set_verified_and_the_sub_still_signs_in() {
    let pool = Pool::start().await;

    pool.identity
        .set_email(&pool.member, &email("ana.lopez@example.org"))
        .await
        .expect("email set");

    assert_eq!(
        pool.attribute(&pool.member, "email").await.as_deref(),
        Some("ana.lopez@example.org")
    );
    assert_eq!(
        pool.attribute(&pool.member, "email_verified")
            .await
            .as_deref(),
        Some("true")
    );
    pool.identity
        .check_password(&pool.member, PASSWORD)
        .await
        .expect("the account id still names the member");
}

#[tokio::test]
async fn an_email_that_signs_in_another_account_is_in_use() {
    let pool = Pool::start().await;
    create_user(&pool.client, &pool.id, "bob@example.com").await;

    let got = pool
        .identity
        .set_email(&pool.member, &email("bob@example.com"))
        .await;

    assert!(matches!(got, Err(IdentityError::EmailInUse)), "{got:?}");
    assert_eq!(
        pool.attribute(&pool.member, "email").await.as_deref(),
        Some("ana@example.com")
    );
}

#[tokio::test]
async fn a_verified_phone_is_set() {
    let pool = Pool::start().await;

    pool.identity
        .set_verified_phone(&pool.member, &phone("+1 415 555 0123"))
        .await
        .expect("phone set");

    assert_eq!(
        pool.attribute(&pool.member, "phone_number")
            .await
            .as_deref(),
        Some("+14155550123")
    );
    assert_eq!(
        pool.attribute(&pool.member, "phone_number_verified")
            .await
            .as_deref(),
        Some("true")
    );
}

#[tokio::test]
async fn a_new_password_checks_and_the_old_one_no_longer_does() {
    let pool = Pool::start().await;

    pool.identity
        .set_password(&pool.member, "Battery-Staple-2")
        .await
        .expect("password set");

    pool.identity
        .check_password(&pool.member, "Battery-Staple-2")
        .await
        .expect("the new password checks");
    let old = pool.identity.check_password(&pool.member, PASSWORD).await;
    assert!(matches!(old, Err(IdentityError::WrongPassword)), "{old:?}");
    let user = pool.user(&pool.member).await;
    assert_eq!(
        user.user_status.map(|s| s.as_str().to_owned()).as_deref(),
        Some("CONFIRMED"),
        "permanent: no change asked at the next sign-in"
    );
}

#[tokio::test]
async fn a_password_the_pool_refuses_is_invalid_with_a_reason() {
    let pool = Pool::start().await;

    let got = pool.identity.set_password(&pool.member, "short").await;

    match got {
        Err(IdentityError::InvalidPassword { reason }) => assert!(!reason.is_empty()),
        other => panic!("{other:?}"),
    }
    pool.identity
        .check_password(&pool.member, PASSWORD)
        .await
        .expect("the old password still checks");
}

#[tokio::test]
async fn changes_to_an_unknown_user_are_refused() {
    let pool = Pool::start().await;
    let nobody = AccountId::parse("a", &uuid::Uuid::new_v4().to_string()).expect("id");

    let results = [
        pool.identity
            .set_password(&nobody, "Battery-Staple-2")
            .await,
        pool.identity
            .set_email(&nobody, &email("new@example.com"))
            .await,
        pool.identity
            .set_verified_phone(&nobody, &phone("+14155550123"))
            .await,
        pool.identity
            .set_sign_in(&nobody, &SignInSettings::PASSWORD_ONLY)
            .await,
    ];

    for (i, got) in results.into_iter().enumerate() {
        assert!(
            matches!(got, Err(IdentityError::UnknownAccount)),
            "change {i}: {got:?}"
        );
    }
}

#[tokio::test]
async fn sms_sign_in_codes_are_turned_on_and_preferred() {
    let pool = Pool::start().await;
    pool.identity
        .set_verified_phone(&pool.member, &phone("+14155550123"))
        .await
        .expect("phone set");

    pool.identity
        .set_sign_in(
            &pool.member,
            &SignInSettings::new(true, false, None).expect("valid"),
        )
        .await
        .expect("SMS on");

    let user = pool.user(&pool.member).await;
    assert_eq!(user.preferred_mfa_setting.as_deref(), Some("SMS_MFA"));
    assert_eq!(user.user_mfa_setting_list.unwrap_or_default(), ["SMS_MFA"]);
    // A second factor does not hide a right password: Cognito asks for the
    // code only after the password checked.
    pool.identity
        .check_password(&pool.member, PASSWORD)
        .await
        .expect("the right password still checks");

    pool.identity
        .set_sign_in(&pool.member, &SignInSettings::PASSWORD_ONLY)
        .await
        .expect("SMS off");
    let user = pool.user(&pool.member).await;
    assert!(user.user_mfa_setting_list.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn an_authenticator_app_never_set_up_is_refused() {
    let pool = Pool::start().await;

    let got = pool
        .identity
        .set_sign_in(
            &pool.member,
            &SignInSettings::new(false, true, None).expect("valid"),
        )
        .await;

    match got {
        Err(IdentityError::Refused { reason }) => {
            assert!(reason.contains("software token"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn who_still_signs_in_with_an_address_is_asked_by_sub() {
    let pool = Pool::start().await;
    let ana = email("ana@example.com");
    // Unverified, the address is not one the member signs in with yet.
    assert!(
        !pool
            .identity
            .signs_in_with(&pool.member, &ana)
            .await
            .expect("asked")
    );
    pool.client
        .admin_update_user_attributes()
        .user_pool_id(&pool.id)
        .username(pool.member.as_str())
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email_verified")
                .value("true")
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("AdminUpdateUserAttributes on moto");
    assert!(
        pool.identity
            .signs_in_with(&pool.member, &ana)
            .await
            .expect("asked")
    );
    assert!(
        !pool
            .identity
            .signs_in_with(&pool.member, &email("other@example.com"))
            .await
            .expect("asked"),
        "another address"
    );
    let stranger = AccountId::parse("sub", "00000000-0000-4000-8000-000000000000").expect("id");
    assert!(
        !pool
            .identity
            .signs_in_with(&stranger, &ana)
            .await
            .expect("asked"),
        "no such user"
    );
    // The address changed in the pool: the old one is no longer the member's.
    pool.identity
        .set_email(&pool.member, &email("ana.new@example.com"))
        .await
        .expect("email changed");
    assert!(
        !pool
            .identity
            .signs_in_with(&pool.member, &ana)
            .await
            .expect("asked")
    );
    // The user deleted: nothing is theirs.
    pool.client
        .admin_delete_user()
        .user_pool_id(&pool.id)
        .username(pool.member.as_str())
        .send()
        .await
        .expect("AdminDeleteUser on moto");
    assert!(
        !pool
            .identity
            .signs_in_with(&pool.member, &email("ana.new@example.com"))
            .await
            .expect("asked")
    );
}
