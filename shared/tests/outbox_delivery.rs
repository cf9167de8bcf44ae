//! The outbox sender end to end on the embedded stand-ins: items written to
//! the table come back from its stream as the Lambda's records, and
//! `OutboxSender` delivers them through real adapters (a folder outbox, SES
//! with injected failures, a folder of events).
//!
//! No moto needed: SES failures are injected with `aws-smithy-mocks`, and
//! the SDK's own retries are disabled so the sender's retries are what runs.

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::EventRecord;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::error::ErrorMetadata;
use aws_sdk_sesv2::operation::send_email::{SendEmailError, SendEmailOutput};
use aws_sdk_sesv2::types::error::{MessageRejected, TooManyRequestsException};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use shared::clock::{Clock, FixedClock};
use shared::delivery::{Backoff, OutboxSender, RecordOutcome};
use shared::events::{EventPublisher, FolderEvents, SOURCE};
use shared::mail::{FolderOutbox, Mailer, SesMailer};
use shared::model::{AccountId, EmailAddress, GroupId, GroupName};
use shared::notify;
use shared::outbox::{MembershipChange, MembershipEvent, OutboxItem, StoredOutboxItem};
use shared::repo::Repository;
use standins::streams::{StartAt, StreamReader};
use standins::{Names, StandIns, Storage};
use tempfile::TempDir;
use time::macros::datetime;
use uuid::Uuid;

/// Fresh stand-ins (own table and stream), a clock, and folders for output.
struct Harness {
    _standins: StandIns,
    repo: Repository,
    stream: StreamReader,
    clock: FixedClock,
    dir: TempDir,
}

impl Harness {
    async fn start() -> Self {
        let standins = StandIns::start(Storage::Memory, Names::default())
            .await
            .expect("embedded stand-ins start");
        let repo = Repository::new(standins.dynamodb(), standins.names.table.clone());
        let stream = StreamReader::open(&standins, StartAt::TrimHorizon)
            .await
            .expect("the table has a stream");
        Self {
            _standins: standins,
            repo,
            stream,
            clock: FixedClock::new(datetime!(2026-11-26 14:32 UTC)),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Writes the items as a state change would, then reads the stream as
    /// the event source mapping would hand it to the Lambda.
    async fn write(&mut self, items: &[OutboxItem]) -> Vec<EventRecord> {
        for item in items {
            self.repo
                .put_outbox_item(item)
                .await
                .expect("outbox item written");
        }
        let records = self.stream.next_batch().await.expect("stream readable");
        assert_eq!(records.len(), items.len(), "one INSERT record per item");
        records
    }

    fn folder_outbox(&self) -> FolderOutbox {
        FolderOutbox::new(
            self.dir.path().join("outbox"),
            address("no-reply@groups.example.com"),
        )
    }

    fn folder_events(&self) -> FolderEvents {
        FolderEvents::new(self.dir.path().join("events"))
    }

    fn sender(&self, mailer: Arc<dyn Mailer>, events: Arc<dyn EventPublisher>) -> OutboxSender {
        OutboxSender::new(
            self.repo.clone(),
            mailer,
            events,
            Arc::new(shared::jobs::queue::FolderJobs::new(
                self.dir.path().join("jobs"),
            )),
            Arc::new(self.clock.clone()),
        )
        .with_backoff(Backoff::immediate(3))
    }

    fn mail_sender(&self, mailer: impl Mailer + 'static) -> OutboxSender {
        self.sender(Arc::new(mailer), Arc::new(self.folder_events()))
    }

    async fn stored(&self, id: &Uuid) -> StoredOutboxItem {
        self.repo
            .outbox_item(id)
            .await
            .expect("readable")
            .expect("the item exists")
    }
}

fn address(raw: &str) -> EmailAddress {
    EmailAddress::parse("email", raw).expect("valid address")
}

fn welcome(to: &str, now: time::OffsetDateTime) -> OutboxItem {
    let group = GroupName::parse("name", "Acme Backup Team").expect("valid name");
    OutboxItem::email(notify::welcome(&address(to), &group, true), now)
}

fn ses_mailer(client: aws_sdk_sesv2::Client) -> SesMailer {
    SesMailer::new(client, address("no-reply@groups.example.com"), None)
}

fn throttled() -> SendEmailError {
    SendEmailError::TooManyRequestsException(
        TooManyRequestsException::builder()
            .message("Maximum sending rate exceeded.")
            .meta(
                ErrorMetadata::builder()
                    .code("TooManyRequestsException")
                    .build(),
            )
            .build(),
    )
}

fn accepted() -> SendEmailOutput {
    SendEmailOutput::builder()
        .message_id("ses-message-1")
        .build()
}

fn sequence_number(record: &EventRecord) -> String {
    record
        .change
        .sequence_number
        .clone()
        .expect("stream records carry a sequence number")
}

#[tokio::test]
async fn emails_are_delivered_marked_sent_and_never_sent_twice() {
    let mut h = Harness::start().await;
    let now = h.clock.now();
    let items = [
        welcome("ana@example.com", now),
        welcome("bo@example.com", now),
    ];
    let records = h.write(&items).await;
    let outbox = h.folder_outbox();
    let sender = h.mail_sender(outbox.clone());

    let failed = sender.deliver_records(&records).await;

    assert!(failed.is_empty(), "nothing to retry: {failed:?}");
    let messages = outbox.messages().expect("readable");
    let recipients: Vec<_> = messages.iter().map(|m| m.email.to.clone()).collect();
    assert_eq!(recipients, [["ana@example.com"], ["bo@example.com"]]);
    assert_eq!(messages[0].email.subject, "Welcome to Acme Backup Team");
    for item in &items {
        let stored = h.stored(&item.id).await;
        assert_eq!(stored.sent_at, Some(now), "item {} marked sent", item.id);
        assert_eq!(stored.failed_at, None);
    }

    // The stream delivers at least once: the same records again send nothing.
    h.clock.advance(time::Duration::minutes(5));
    let failed = sender.deliver_records(&records).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(
        outbox.messages().expect("readable").len(),
        2,
        "no duplicate email"
    );
    assert_eq!(
        h.stored(&items[0].id).await.sent_at,
        Some(now),
        "first mark kept"
    );

    // The marks themselves come back as MODIFY records: ignored.
    let marks = h.stream.next_batch().await.expect("stream readable");
    assert_eq!(marks.len(), 2);
    for record in &marks {
        assert_eq!(record.event_name, "MODIFY");
        assert_eq!(sender.deliver_record(record).await, RecordOutcome::Ignored);
    }
    assert_eq!(outbox.messages().expect("readable").len(), 2);
}

#[tokio::test]
async fn ses_throttling_is_retried_in_process_and_the_email_sent_once() {
    let mut h = Harness::start().await;
    let item = welcome("ana@example.com", h.clock.now());
    let records = h.write(std::slice::from_ref(&item)).await;
    let rule = mock!(aws_sdk_sesv2::Client::send_email)
        .sequence()
        .error(throttled)
        .times(2)
        .output(accepted)
        .build();
    let client = mock_client!(aws_sdk_sesv2, RuleMode::Sequential, [&rule], |c| c
        .retry_config(RetryConfig::disabled()));
    let sender = h.mail_sender(ses_mailer(client));

    let failed = sender.deliver_records(&records).await;

    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(rule.num_calls(), 3, "two throttled attempts, one accepted");
    assert_eq!(h.stored(&item.id).await.sent_at, Some(h.clock.now()));
}

#[tokio::test]
async fn an_email_ses_keeps_throttling_is_left_for_the_stream_to_retry_not_lost() {
    let mut h = Harness::start().await;
    let item = welcome("ana@example.com", h.clock.now());
    let records = h.write(std::slice::from_ref(&item)).await;
    let always_throttled = mock!(aws_sdk_sesv2::Client::send_email).then_error(throttled);
    let client = mock_client!(
        aws_sdk_sesv2,
        RuleMode::MatchAny,
        [&always_throttled],
        |c| c.retry_config(RetryConfig::disabled())
    );

    let failed = h
        .mail_sender(ses_mailer(client))
        .deliver_records(&records)
        .await;

    assert_eq!(
        failed,
        [sequence_number(&records[0])],
        "reported as a batch item failure"
    );
    assert_eq!(
        always_throttled.num_calls(),
        3,
        "every in-process attempt used"
    );
    let stored = h.stored(&item.id).await;
    assert_eq!(
        (stored.sent_at, stored.failed_at),
        (None, None),
        "neither sent nor failed"
    );

    // The event source mapping retries the record; SES has recovered.
    let working = mock!(aws_sdk_sesv2::Client::send_email).then_output(accepted);
    let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&working], |c| c
        .retry_config(RetryConfig::disabled()));
    let sender = h.mail_sender(ses_mailer(client));
    assert!(sender.deliver_records(&records).await.is_empty());
    assert!(sender.deliver_records(&records).await.is_empty());

    assert_eq!(working.num_calls(), 1, "delivered exactly once");
    assert!(h.stored(&item.id).await.sent_at.is_some());
}

#[tokio::test]
async fn a_rejected_email_is_marked_failed_and_not_retried() {
    let mut h = Harness::start().await;
    let item = welcome("ana@example.com", h.clock.now());
    let records = h.write(std::slice::from_ref(&item)).await;
    let rejected = mock!(aws_sdk_sesv2::Client::send_email).then_error(|| {
        SendEmailError::MessageRejected(
            MessageRejected::builder()
                .message("Email address is not verified: ana@example.com")
                .meta(ErrorMetadata::builder().code("MessageRejected").build())
                .build(),
        )
    });
    let client = mock_client!(aws_sdk_sesv2, RuleMode::MatchAny, [&rejected], |c| c
        .retry_config(RetryConfig::disabled()));
    let metrics = Arc::new(shared::emf::Recorded::default());
    let sender = h
        .mail_sender(ses_mailer(client))
        .with_metrics(metrics.clone());

    let failed = sender.deliver_records(&records).await;

    assert!(
        failed.is_empty(),
        "a permanent failure is not retried: {failed:?}"
    );
    let lines = metrics.0.lock().expect("metrics").clone();
    assert_eq!(lines.len(), 1, "one undeliverable email counted: {lines:?}");
    let line: serde_json::Value = serde_json::from_str(&lines[0]).expect("EMF json");
    assert_eq!(line["UndeliverableEmails"], 1);
    assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "Groups");
    assert_eq!(rejected.num_calls(), 1, "no in-process retry either");
    let stored = h.stored(&item.id).await;
    assert_eq!(stored.sent_at, None);
    assert_eq!(stored.failed_at, Some(h.clock.now()));
    let failure = stored.failure.expect("a reason is kept");
    assert_eq!(failure, "email rejected (MessageRejected)");
    assert!(!failure.contains('@'), "the reason never quotes an address");

    assert_eq!(
        sender.deliver_record(&records[0]).await,
        RecordOutcome::AlreadySettled
    );
    assert_eq!(rejected.num_calls(), 1);
}

#[tokio::test]
async fn events_are_published_with_their_documented_detail_type() {
    let mut h = Harness::start().await;
    let now = h.clock.now();
    let event = |change| MembershipEvent {
        change,
        group_id: GroupId::parse("g", "0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f").expect("uuid"),
        account_id: Some(AccountId::parse("a", "acc-1").expect("id")),
        email: Some(address("ana@example.com")),
        actor: Some(AccountId::parse("a", "admin-1").expect("id")),
        at: now,
    };
    let cases = [
        (MembershipChange::Invited, "MemberInvited"),
        (MembershipChange::Requested, "MembershipRequested"),
        (MembershipChange::Joined, "MemberJoined"),
        (MembershipChange::Denied, "MembershipDenied"),
        (MembershipChange::Removed, "MemberRemoved"),
    ];
    let items: Vec<_> = cases
        .iter()
        .map(|(change, _)| OutboxItem::event(event(*change)))
        .collect();
    let records = h.write(&items).await;
    let events = h.folder_events();
    let sender = h
        .sender(Arc::new(h.folder_outbox()), Arc::new(events.clone()))
        .with_concurrency(1);

    let failed = sender.deliver_records(&records).await;

    assert!(failed.is_empty(), "{failed:?}");
    let published = events.events().expect("readable");
    assert_eq!(published.len(), cases.len());
    for ((change, detail_type), got) in cases.iter().zip(&published) {
        assert_eq!(got.detail_type, *detail_type, "change {change:?}");
        assert_eq!(got.source, SOURCE);
        assert_eq!(got.detail, event(*change), "change {change:?}");
    }
    for item in &items {
        assert!(
            h.stored(&item.id).await.sent_at.is_some(),
            "item {} marked sent",
            item.id
        );
    }
    assert!(
        h.folder_outbox().messages().expect("readable").is_empty(),
        "events send no email"
    );
}

#[tokio::test]
async fn the_sweep_delivers_what_the_stream_left_and_nothing_twice() {
    let mut h = Harness::start().await;
    let now = h.clock.now();
    let stranded = welcome("ana@example.com", now - time::Duration::minutes(30));
    let delivered = welcome("bo@example.com", now - time::Duration::minutes(20));
    let recent = welcome("cy@example.com", now - time::Duration::minutes(1));
    let records = h
        .write(&[stranded.clone(), delivered.clone(), recent.clone()])
        .await;
    let outbox = h.folder_outbox();
    let sender = h.mail_sender(outbox.clone());
    // The stream delivered only Bo's (say, the mapping was off for the rest).
    assert_eq!(
        sender.deliver_record(&records[1]).await,
        RecordOutcome::Sent
    );

    let report = sender.sweep(std::time::Duration::from_secs(5 * 60)).await;

    assert_eq!(
        report,
        shared::delivery::SweepReport {
            found: 1,
            sent: 1,
            undeliverable: 0,
            failed: 0
        },
        "only the unsettled item older than the cutoff: {report:?}"
    );
    let recipients: Vec<_> = outbox
        .messages()
        .expect("readable")
        .iter()
        .map(|m| m.email.to.clone())
        .collect();
    assert_eq!(recipients, [["bo@example.com"], ["ana@example.com"]]);
    assert_eq!(h.stored(&stranded.id).await.sent_at, Some(now));
    assert_eq!(
        h.stored(&recent.id).await.sent_at,
        None,
        "the stream's to deliver"
    );

    // A late stream record of the swept item sends nothing; neither does a
    // second sweep.
    assert_eq!(
        sender.deliver_record(&records[0]).await,
        RecordOutcome::AlreadySettled
    );
    h.clock.advance(time::Duration::minutes(10));
    let again = sender.sweep(std::time::Duration::from_secs(5 * 60)).await;
    assert_eq!(
        (again.found, again.sent),
        (1, 1),
        "now the recent one: {again:?}"
    );
    assert_eq!(
        outbox.messages().expect("readable").len(),
        3,
        "each email once"
    );
    let last = sender.sweep(std::time::Duration::from_secs(5 * 60)).await;
    assert_eq!(last.found, 0, "settled items leave the index");
}
