//! The invitation-token secret is read from Secrets Manager (moto here, DESIGN
//! §8) with the same SDK call the functions make at cold start.
//!
//! Needs `MOTO_ENDPOINT` (`./scripts/moto start`; `scripts/test` sets it).

use aws_config::BehaviorVersion;
use shared::model::{GroupId, InviteSecret, InviteToken};

async fn client() -> aws_sdk_secretsmanager::Client {
    let endpoint = match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    };
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    aws_sdk_secretsmanager::Client::new(&config)
}

#[tokio::test]
async fn the_secret_is_read_from_secrets_manager_and_opens_seals() {
    let client = client().await;
    let name = format!("invite-secret-{}", uuid::Uuid::new_v4());
    let text = "k".repeat(20) + &uuid::Uuid::new_v4().simple().to_string();
    client
        .create_secret()
        .name(&name)
        .secret_string(&text)
        .send()
        .await
        .expect("secret created");

    let loaded = shared::deps::invite_secret_from(&client, &name)
        .await
        .expect("secret read");
    let expected = InviteSecret::from_text(&text).expect("long enough");
    let (token, seal) = InviteToken::sealed(&GroupId::new(), &expected);
    assert_eq!(
        InviteToken::unseal(&seal, &loaded),
        Some(token),
        "the loaded secret is the stored one"
    );

    let short = format!("short-{}", uuid::Uuid::new_v4());
    client
        .create_secret()
        .name(&short)
        .secret_string("too short")
        .send()
        .await
        .expect("secret created");
    let refused = shared::deps::invite_secret_from(&client, &short).await;
    assert!(refused.is_err(), "a weak secret stops the cold start");
    let missing = shared::deps::invite_secret_from(&client, "no-such-secret").await;
    assert!(missing.is_err(), "a missing secret stops the cold start");
}
