//! `SnsSms` against moto's SNS (DESIGN §8): a text published to a phone
//! number is what moto records, read back from `/moto-api/data.json`
//! (`sns.SMS`: message id, number, text).
//!
//! Needs `MOTO_ENDPOINT` (`./scripts/moto start`; `scripts/test` sets it).
//! Without it this test fails: it is never skipped.

use aws_config::BehaviorVersion;
use serde_json::Value;
use shared::credentials::{SmsSender, SnsSms};
use shared::model::PhoneNumber;

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    }
}

#[tokio::test]
async fn a_text_is_published_to_the_phone_number() {
    let endpoint = moto_endpoint();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region("us-east-1")
        .credentials_provider(aws_sdk_sns::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let sms = SnsSms::new(aws_sdk_sns::Client::new(&config));
    let phone = PhoneNumber::parse("phone", "+14155550123").expect("valid number");
    let text = format!(
        "Your Groups code is {}",
        uuid::Uuid::new_v4().as_u128() % 1_000_000
    );

    let id = sms.send(&phone, &text).await.expect("published");

    assert!(!id.as_str().is_empty(), "SNS gives every message an id");
    let data: Value = reqwest::get(format!("{endpoint}/moto-api/data.json"))
        .await
        .expect("moto answers")
        .error_for_status()
        .expect("data.json is served")
        .json()
        .await
        .expect("data.json is JSON");
    let sent: Vec<&Value> = data["sns"]["SMS"]
        .as_array()
        .unwrap_or_else(|| panic!("no sns.SMS list in data.json: {}", data["sns"]))
        .iter()
        .filter(|m| m["message_id"] == id.as_str())
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["phone_number"], "+14155550123");
    assert_eq!(sent[0]["message"], text.as_str());
}
