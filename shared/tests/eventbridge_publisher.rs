//! `EventBridgePublisher` against moto's EventBridge: a rule on a fresh bus
//! forwards `groups.membership` events to an SQS queue, where the test reads
//! back exactly what subscribers would receive.
//!
//! Needs `MOTO_ENDPOINT` (`scripts/test` sets it); without it the test fails.

use aws_config::{BehaviorVersion, SdkConfig};
use serde_json::Value;
use shared::events::{EventBridgePublisher, EventPublisher, SOURCE};
use shared::model::{AccountId, EmailAddress, GroupId};
use shared::outbox::{MembershipChange, MembershipEvent};

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    }
}

async fn moto_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region("us-east-1")
        .credentials_provider(aws_sdk_sqs::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await
}

#[tokio::test]
async fn published_membership_events_reach_a_rule_subscriber_with_the_documented_shape() {
    let config = moto_config().await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let sqs = aws_sdk_sqs::Client::new(&config);
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let bus = format!("groups-{suffix}");

    let queue_url = sqs
        .create_queue()
        .queue_name(format!("subscriber-{suffix}"))
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue_url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("queue attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("queue arn");
    events
        .create_event_bus()
        .name(&bus)
        .send()
        .await
        .expect("bus");
    events
        .put_rule()
        .name(format!("membership-{suffix}"))
        .event_bus_name(&bus)
        .event_pattern(serde_json::json!({"source": [SOURCE]}).to_string())
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .rule(format!("membership-{suffix}"))
        .event_bus_name(&bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(&queue_arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");

    let event = MembershipEvent {
        change: MembershipChange::Joined,
        group_id: GroupId::new(),
        account_id: Some(AccountId::parse("a", "acc-1").expect("id")),
        email: Some(EmailAddress::parse("e", "nora@contoso.com").expect("email")),
        actor: None,
        at: time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("ns"),
    };
    EventBridgePublisher::new(events.clone(), &bus)
        .publish(&event)
        .await
        .expect("published");

    let received = sqs
        .receive_message()
        .queue_url(&queue_url)
        .max_number_of_messages(10)
        .send()
        .await
        .expect("receive");
    let messages = received.messages.unwrap_or_default();
    assert_eq!(messages.len(), 1, "one event reaches the subscriber");
    let envelope: Value =
        serde_json::from_str(messages[0].body().expect("body")).expect("JSON envelope");
    assert_eq!(envelope["source"], SOURCE);
    assert_eq!(envelope["detail-type"], "MemberJoined");
    assert_eq!(envelope["detail"]["groupId"], event.group_id.to_string());
    assert_eq!(envelope["detail"]["change"], "joined");
    assert_eq!(envelope["detail"]["email"], "nora@contoso.com");
}
