//! `SesMailer` against moto's SES v2 (DESIGN §8): what the SDK sends is what
//! moto records, read back from `/moto-api/data.json`. Every test uses its
//! own sender and recipient, so tests share one moto and run in parallel.
//!
//! Needs `MOTO_ENDPOINT` (`./scripts/moto start` prints it; `scripts/test`
//! sets it). Without it these tests fail: they are never skipped.

use aws_config::BehaviorVersion;
use aws_sdk_sesv2::Client;
use serde_json::Value;
use shared::mail::{Attachment, EmailMessage, MailError, Mailer, ParsedEml, SesMailer};
use shared::model::EmailAddress;

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    }
}

/// An SES v2 client on moto, with test-only static credentials.
async fn ses_client(endpoint: &str) -> Client {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(aws_sdk_sesv2::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    Client::new(&config)
}

/// A fresh address, so parallel tests never read each other's mail.
fn unique(role: &str) -> EmailAddress {
    EmailAddress::parse(
        "email",
        &format!("{role}-{}@example.com", uuid::Uuid::new_v4()),
    )
    .expect("valid address")
}

/// moto refuses `SendEmail` from an identity it has not seen created.
async fn verified_sender(client: &Client) -> EmailAddress {
    let from = unique("sender");
    client
        .create_email_identity()
        .email_identity(from.as_str())
        .send()
        .await
        .expect("CreateEmailIdentity on moto");
    from
}

/// moto's record of SES: `{"Message": [...], "RawMessage": [...], ...}`.
async fn moto_ses_state(endpoint: &str) -> Value {
    let data: Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .expect("moto answers")
        .error_for_status()
        .expect("data.json is served")
        .json()
        .await
        .expect("data.json is JSON");
    data["ses"].clone()
}

/// The one record of `kind` sent by `from`.
async fn sent_by(endpoint: &str, kind: &str, from: &EmailAddress) -> Value {
    let state = moto_ses_state(endpoint).await;
    let found: Vec<&Value> = state[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no ses.{kind} list in data.json: {state}"))
        .iter()
        .filter(|m| m["source"] == from.as_str())
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one {kind} from {from}, found {found:?}"
    );
    found[0].clone()
}

fn welcome(to: &EmailAddress) -> EmailMessage {
    EmailMessage {
        to: vec![to.clone()],
        subject: "Welcome to the Acme group".into(),
        text: "You joined Acme. Manage your backups at https://groups.example.com/me".into(),
        html: "<p>You joined <b>Acme</b>. <a href=\"https://groups.example.com/me\">Manage your backups</a></p>".into(),
        attachments: vec![],
    }
}

#[tokio::test]
async fn a_text_and_html_message_is_sent_as_simple_content() {
    let endpoint = moto_endpoint();
    let client = ses_client(&endpoint).await;
    let from = verified_sender(&client).await;
    let to = unique("member");
    let mailer = SesMailer::new(client, from.clone(), None);
    let message = welcome(&to);

    let id = mailer.send(&message).await.expect("sent");

    let sent = sent_by(&endpoint, "Message", &from).await;
    assert_eq!(sent["id"], id.as_str());
    assert_eq!(
        sent["destinations"]["ToAddresses"],
        serde_json::json!([to.as_str()])
    );
    assert_eq!(sent["subject"], message.subject.as_str());
    // moto keeps only the HTML part of Simple content; the text part is
    // covered by the raw test below and the MIME unit tests.
    assert_eq!(sent["body"], message.html.as_str());
}

#[tokio::test]
async fn a_message_with_an_attachment_is_sent_as_raw_mime() {
    let endpoint = moto_endpoint();
    let client = ses_client(&endpoint).await;
    let from = verified_sender(&client).await;
    let (admin, other_admin) = (unique("admin"), unique("admin"));
    let mailer = SesMailer::new(client, from.clone(), None);
    let mut message = welcome(&admin);
    message.to.push(other_admin.clone());
    message.subject = "Weekly User Stats for Acme — 2 computers".into();
    message.attachments = vec![Attachment {
        filename: "user-stats.csv".into(),
        content_type: "text/csv".into(),
        bytes: b"email,computer,last backup\nana@example.com,laptop,2026-11-20T10:00:00Z\n"
            .to_vec(),
    }];

    let id = mailer.send(&message).await.expect("sent");

    let sent = sent_by(&endpoint, "RawMessage", &from).await;
    assert_eq!(sent["id"], id.as_str());
    let destinations = sent["destinations"].as_array().expect("destinations list");
    for recipient in [&admin, &other_admin] {
        assert!(
            destinations.iter().any(|d| d == recipient.as_str()),
            "{recipient} not in {destinations:?}"
        );
    }
    let raw = sent["raw_data"].as_str().expect("raw_data");
    let email = ParsedEml::parse(raw.as_bytes()).expect("raw_data is MIME");
    assert_eq!(email.from.as_deref(), Some(from.as_str()));
    assert_eq!(email.to, [admin.as_str(), other_admin.as_str()]);
    assert_eq!(email.subject, message.subject);
    assert_eq!(email.text, message.text);
    assert_eq!(email.html, message.html);
    assert_eq!(email.attachments, message.attachments);
}

#[tokio::test]
async fn sending_from_an_unverified_identity_is_rejected() {
    let endpoint = moto_endpoint();
    let client = ses_client(&endpoint).await;
    let mailer = SesMailer::new(client, unique("unverified"), None);

    let error = mailer
        .send(&welcome(&unique("member")))
        .await
        .expect_err("moto refuses unverified senders");

    assert!(
        matches!(error, MailError::Rejected(_)),
        "expected Rejected, got {error:?}"
    );
    assert!(!error.is_retryable());
}
