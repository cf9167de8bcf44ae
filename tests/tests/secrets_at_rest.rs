//! No live invitation token is ever at rest: not in the table, not in its
//! stream (whose old images live 24 hours), so not in its backups. The
//! emails carry the token; the table holds only its hash and a seal that
//! needs the sender's secret.

use e2e::{TestApp, spawn_app};
use serde_json::json;
use sha2::{Digest, Sha256};
use standins::streams::{StartAt, StreamReader};

/// Every item of the table and every record of its stream, as text.
async fn everything_at_rest(app: &TestApp) -> String {
    let mut text = format!("{:?}", app.items().await);
    let mut reader = StreamReader::open(&app.standins, StartAt::TrimHorizon)
        .await
        .expect("stream opens");
    loop {
        let batch = reader.next_batch().await.expect("stream reads");
        if batch.is_empty() {
            break;
        }
        text.push_str(&format!("{batch:?}"));
    }
    text
}

/// Runs of token characters (base64url) as long as a token.
fn token_shaped(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|run| run.len() >= 64)
        .flat_map(|run| (0..=run.len() - 64).map(move |i| &run[i..i + 64]))
        .collect()
}

#[tokio::test]
async fn no_item_or_stream_record_holds_a_usable_invitation_token() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;
    let sent = app
        .post(
            &format!("/groups/{gid}/invitations"),
            &alice,
            json!({"emails": ["hank@contoso.com", "ivy@contoso.com"]}),
        )
        .await;
    assert_eq!(sent.status, 200, "{sent:?}");
    app.clock.advance(time::Duration::hours(1));
    let resent = app
        .post(
            &format!("/groups/{gid}/invitations/ivy@contoso.com/resend"),
            &alice,
            json!({}),
        )
        .await;
    assert_eq!(resent.status, 200, "{resent:?}");

    // Before delivery (the outbox items as written) and after (as settled).
    let before = everything_at_rest(&app).await;
    let mut tokens = app.emailed_tokens("hank@contoso.com").await;
    tokens.extend(app.emailed_tokens("ivy@contoso.com").await);
    assert_eq!(tokens.len(), 3, "two invitations and a resend were emailed");
    let after = everything_at_rest(&app).await;

    for token in &tokens {
        assert!(
            !before.contains(token.as_str()) && !after.contains(token.as_str()),
            "an emailed token is at rest"
        );
    }
    // Nothing token-shaped at rest hashes to a stored token: no other
    // encoding of a live token hides there either.
    let stored_hashes: Vec<String> = tokens
        .iter()
        .map(|t| format!("{:x}", Sha256::digest(t.as_bytes())))
        .collect();
    assert!(
        stored_hashes.iter().any(|h| after.contains(h.as_str())),
        "the tokens' hashes are what the table keeps"
    );
    for candidate in token_shaped(&before)
        .into_iter()
        .chain(token_shaped(&after))
    {
        let hash = format!("{:x}", Sha256::digest(candidate.as_bytes()));
        assert!(
            !after.contains(hash.as_str()),
            "a token whose hash is stored was found at rest"
        );
    }

    // And the emailed tokens are the real ones: the latest of each admits.
    let hank = app
        .post(
            &format!("/invitations/{}/join", tokens[0]),
            &app.token("hank@contoso.com"),
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(hank.status, 201, "{hank:?}");
    let ivy_latest = tokens.last().expect("ivy's resent token");
    let ivy = app
        .post(
            &format!("/invitations/{ivy_latest}/join"),
            &app.token("ivy@contoso.com"),
            json!({"region": "us-west"}),
        )
        .await;
    assert_eq!(ivy.status, 201, "{ivy:?}");
}

#[tokio::test]
async fn an_invitation_email_without_the_secret_is_not_sent_half_made() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;
    let sent = app
        .post(
            &format!("/groups/{gid}/invitations"),
            &alice,
            json!({"emails": ["hank@contoso.com"]}),
        )
        .await;
    assert_eq!(sent.status, 200);
    let email = app
        .items()
        .await
        .into_iter()
        .find_map(|item| {
            let payload = item.get("payload")?.as_m().ok()?;
            (payload.get("kind")?.as_s().ok()? == "email").then(|| {
                serde_dynamo::from_attribute_value::<_, shared::outbox::OutboxEmail>(
                    aws_sdk_dynamodb::types::AttributeValue::M(payload.clone()),
                )
            })
        })
        .expect("the invitation email in the outbox")
        .expect("an outbox email");
    assert!(email.seal.is_some(), "the stored email is sealed");
    assert!(email.unsealed(None).is_none(), "no secret, no email");
    let other = shared::model::InviteSecret::random();
    let wrong = email.unsealed(Some(&other)).expect("opens into some token");
    let right = email.unsealed(Some(&app.invite_secret())).expect("opens");
    assert_ne!(
        wrong.text, right.text,
        "only the right secret makes the real link"
    );
}
