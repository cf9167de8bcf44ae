//! Membership events: the `EventPublisher` port and its two adapters
//! (EventBridge in AWS, a folder of JSON files locally). The schema other
//! teams subscribe to is documented in `docs/events.md`.
//!
//! A port, because two real implementations exist: [`EventBridgePublisher`]
//! publishes in AWS, [`FolderEvents`] keeps what would have been published
//! when running locally and in tests. Callers decide what to do with a
//! failure from [`PublishError::is_retryable`] alone, as with mail.

use std::io;
use std::path::{Path, PathBuf};

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::SdkError;
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::mail::BoxError;
use crate::outbox::MembershipEvent;

/// The EventBridge `Source` of every membership event; subscribers' rules
/// match on it.
pub const SOURCE: &str = "groups.membership";

/// Publishes one membership event. Implemented by [`EventBridgePublisher`]
/// (AWS) and [`FolderEvents`] (local runs and tests), so the outbox sender
/// never names either.
#[async_trait::async_trait]
pub trait EventPublisher: Send + Sync {
    /// Publishes `event` with source [`SOURCE`] and detail-type
    /// `event.change.detail_type()`.
    async fn publish(&self, event: &MembershipEvent) -> Result<(), PublishError>;
}

/// Why an event was not published, grouped by what the caller must do.
/// The transport's own error is kept as the source for logs.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// This event can never be published as it is (it cannot be encoded or
    /// the request cannot be built): do not retry.
    #[error("the event was refused")]
    Rejected(#[source] BoxError),
    /// A transient failure (throttling, service error, network, a failed
    /// entry, disk): retry later.
    #[error("the event bus is unavailable")]
    Unavailable(#[source] BoxError),
}

impl PublishError {
    /// Whether publishing the same event again later may succeed; the outbox
    /// sender retries only these.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// An entry EventBridge accepted the request for but did not put on the bus
/// (`FailedEntryCount > 0`); its code says why (`ThrottlingException`,
/// `InternalFailure`, ...). Treated as transient.
#[derive(Debug, thiserror::Error)]
#[error("EventBridge did not put the entry: {code}")]
pub struct FailedEntry {
    /// EventBridge's error code for the entry.
    pub code: String,
}

/// Publishes through EventBridge `PutEvents`, one entry per event, on the
/// configured bus. The client is built once per cold start and shared.
#[derive(Debug, Clone)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    /// A publisher putting events on `bus` (a name or ARN).
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }
}

#[async_trait::async_trait]
impl EventPublisher for EventBridgePublisher {
    async fn publish(&self, event: &MembershipEvent) -> Result<(), PublishError> {
        let detail =
            serde_json::to_string(event).map_err(|e| PublishError::Rejected(Box::new(e)))?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(event.change.detail_type())
            .detail(detail)
            .time(aws_smithy_types::DateTime::from_secs_and_nanos(
                event.at.unix_timestamp(),
                event.at.nanosecond(),
            ))
            .build();
        let output = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(classify)?;
        if output.failed_entry_count() > 0 {
            let code = output
                .entries()
                .iter()
                .find_map(|e| e.error_code())
                .unwrap_or("unknown")
                .to_owned();
            return Err(PublishError::Unavailable(Box::new(FailedEntry { code })));
        }
        Ok(())
    }
}

/// Maps an SDK error to what the caller must do, by kind (never by text).
/// Only a request that cannot be built is permanent: access or bus errors
/// are for an operator to fix, so the item is retried and finally
/// dead-lettered with its id rather than dropped.
fn classify(
    error: SdkError<PutEventsError, aws_sdk_eventbridge::config::http::HttpResponse>,
) -> PublishError {
    match error {
        SdkError::ConstructionFailure(_) => PublishError::Rejected(Box::new(error)),
        _ => PublishError::Unavailable(Box::new(error.into_service_error())),
    }
}

/// One event as [`FolderEvents`] stores it: the envelope fields a rule's
/// target would see (EventBridge's names), around the documented detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedEvent {
    /// Always [`SOURCE`].
    pub source: String,
    /// `MembershipChange::detail_type()` of the event.
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// When it was published (EventBridge's `time` is the change's time).
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// The event itself.
    pub detail: MembershipEvent,
}

/// Writes each event as `<time>-<uuid>.json` into a folder, creating it if
/// missing; file names sort in publishing order. For the local run and tests.
#[derive(Debug, Clone)]
pub struct FolderEvents {
    dir: PathBuf,
}

impl FolderEvents {
    /// A publisher writing into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder events are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every event published so far, oldest first; empty if the folder does
    /// not exist yet.
    pub fn events(&self) -> io::Result<Vec<PublishedEvent>> {
        crate::spool::files(&self.dir, "json")?
            .into_iter()
            .map(|path| {
                let raw = std::fs::read(&path)?;
                serde_json::from_slice(&raw).map_err(|e| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is not a published event: {e}", path.display()),
                    )
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl EventPublisher for FolderEvents {
    async fn publish(&self, event: &MembershipEvent) -> Result<(), PublishError> {
        let published = PublishedEvent {
            source: SOURCE.to_owned(),
            detail_type: event.change.detail_type().to_owned(),
            time: event.at,
            detail: event.clone(),
        };
        crate::spool::write_json(&self.dir, &published).await
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_sdk_eventbridge::types::error::InternalException;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use time::macros::datetime;

    use super::*;
    use crate::model::{AccountId, EmailAddress, GroupId};
    use crate::outbox::MembershipChange;

    fn joined() -> MembershipEvent {
        MembershipEvent {
            change: MembershipChange::Joined,
            group_id: GroupId::parse("g", "0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f").expect("uuid"),
            account_id: Some(AccountId::parse("a", "acc-1").expect("id")),
            email: Some(EmailAddress::parse("e", "ana@example.com").expect("email")),
            actor: None,
            at: datetime!(2026-11-26 14:32:05 UTC),
        }
    }

    #[tokio::test]
    async fn eventbridge_gets_source_detail_type_bus_and_json_detail() {
        let rule = mock!(aws_sdk_eventbridge::Client::put_events)
            .match_requests(|req| {
                let [entry] = req.entries() else {
                    return false;
                };
                let detail: serde_json::Value =
                    serde_json::from_str(entry.detail().unwrap_or_default()).unwrap_or_default();
                entry.source() == Some("groups.membership")
                    && entry.detail_type() == Some("MemberJoined")
                    && entry.event_bus_name() == Some("groups-bus")
                    && detail["change"] == "joined"
                    && detail["email"] == "ana@example.com"
                    && detail["at"] == "2026-11-26T14:32:05Z"
            })
            .then_output(|| {
                PutEventsOutput::builder()
                    .failed_entry_count(0)
                    .entries(PutEventsResultEntry::builder().event_id("e-1").build())
                    .build()
            });
        let client = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule]);

        EventBridgePublisher::new(client, "groups-bus")
            .publish(&joined())
            .await
            .expect("published");

        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn failed_entries_and_service_errors_are_retryable() {
        let failed = mock!(aws_sdk_eventbridge::Client::put_events).then_output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(1)
                .entries(
                    PutEventsResultEntry::builder()
                        .error_code("ThrottlingException")
                        .error_message("slow down")
                        .build(),
                )
                .build()
        });
        let internal = mock!(aws_sdk_eventbridge::Client::put_events)
            .then_error(|| PutEventsError::InternalException(InternalException::builder().build()));
        for (case, rule) in [("failed entry", failed), ("internal", internal)] {
            let client = mock_client!(aws_sdk_eventbridge, RuleMode::MatchAny, [&rule], |c| c
                .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled()));
            let error = EventBridgePublisher::new(client, "groups-bus")
                .publish(&joined())
                .await
                .expect_err(case);
            assert!(error.is_retryable(), "case {case}: {error:?}");
        }
    }

    #[tokio::test]
    async fn the_folder_keeps_each_event_with_its_envelope() {
        let dir = tempfile::tempdir().expect("temp dir");
        let events = FolderEvents::new(dir.path().join("events"));
        let mut removed = joined();
        removed.change = MembershipChange::Removed;

        events.publish(&joined()).await.expect("published");
        events.publish(&removed).await.expect("published");

        let got = events.events().expect("readable");
        let types: Vec<_> = got.iter().map(|e| e.detail_type.as_str()).collect();
        assert_eq!(types, ["MemberJoined", "MemberRemoved"]);
        assert!(got.iter().all(|e| e.source == SOURCE));
        assert_eq!(got[0].detail, joined());
        assert_eq!(got[0].time, joined().at);

        // A file is also what a rule's target receives (docs/events.md).
        let mut files: Vec<_> = std::fs::read_dir(events.dir())
            .expect("folder")
            .map(|entry| entry.expect("entry").path())
            .collect();
        files.sort();
        let raw = std::fs::read(&files[0]).expect("readable");
        let envelope: aws_lambda_events::event::eventbridge::EventBridgeEvent<MembershipEvent> =
            serde_json::from_slice(&raw).expect("an EventBridge event");
        assert_eq!(envelope.detail_type, "MemberJoined");
        assert_eq!(envelope.source, SOURCE);
        assert_eq!(envelope.detail, joined());
    }

    #[test]
    fn only_unavailable_is_retryable() {
        assert!(PublishError::Unavailable("x".into()).is_retryable());
        assert!(!PublishError::Rejected("x".into()).is_retryable());
    }
}
