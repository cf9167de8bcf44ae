//! The outbox sender's work (DESIGN §6): turn the table's stream records
//! into delivered emails and published events, each exactly once as far as
//! the table can tell, and never lose one.
//!
//! For each `INSERT` of an `Outbox` item: a consistent read skips items
//! already settled (the stream delivers at least once), the payload goes to
//! the [`Mailer`] or the [`EventPublisher`] with in-process retries
//! (exponential backoff with jitter, bounded in attempts and time), then the
//! item is marked `sentAt` by a conditional update. A permanent failure marks
//! it `failedAt` with a short reason and is not retried. A record that still
//! fails transiently is returned by [`OutboxSender::deliver_records`] so the
//! Lambda reports it as a batch item failure: the event source mapping
//! retries it, and finally dead-letters it with its sequence number.
//!
//! The window between delivering and marking cannot be closed (SES and
//! EventBridge take no idempotency key): a crash there re-sends once on the
//! retry. Everywhere else a duplicate is prevented.

use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::EventRecord;
use futures::StreamExt;
use serde_dynamo::AttributeValue;
use tracing::field;
use uuid::Uuid;

use crate::clock::Clock;
use crate::events::{EventPublisher, PublishError};
use crate::jobs::queue::JobQueue;
use crate::keys;
use crate::mail::{EmailMessage, MailError, Mailer};
use crate::outbox::{OutboxItem, OutboxPayload};
use crate::repo::Repository;

/// The `entity` attribute of outbox items, which the sender (and the event
/// source mapping's filter) selects on.
pub const OUTBOX_ENTITY: &str = "Outbox";

/// In-process retries of transient delivery failures: exponential backoff
/// with jitter, bounded both in attempts and in total time so one record
/// cannot hold the batch (and the Lambda's timeout) hostage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// Ceiling of the first wait; each next ceiling doubles.
    pub first_delay: Duration,
    /// Largest ceiling of a single wait.
    pub max_delay: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub budget: Duration,
}

impl Default for Backoff {
    /// Four attempts over at most ~10 s: enough to ride out throttling,
    /// short enough to leave longer outages to the event source mapping.
    fn default() -> Self {
        Self {
            attempts: 4,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(4),
            budget: Duration::from_secs(10),
        }
    }
}

impl Backoff {
    /// `attempts` tries with no waiting (tests and local runs).
    pub fn immediate(attempts: u32) -> Self {
        Self {
            attempts,
            first_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
            budget: Duration::from_secs(60),
        }
    }

    /// The wait before retry number `retry` (0-based): "equal jitter", half
    /// the exponential ceiling plus a random part of the other half, so
    /// concurrent senders spread out but never retry at once.
    fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .first_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay);
        let half = ceiling / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        let jitter = if jitter_ms == 0 {
            Duration::ZERO
        } else {
            Duration::from_millis(rand::random_range(0..=jitter_ms))
        };
        half + jitter
    }
}

/// What became of one stream record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordOutcome {
    /// Not an insert of an outbox item (other entities, marks, TTL deletes).
    Ignored,
    /// Already sent or failed by an earlier delivery of the same record.
    AlreadySettled,
    /// The item no longer exists (removed by hand or by TTL): nothing to mark.
    Missing,
    /// Delivered now.
    Sent,
    /// Undeliverable; marked failed, not retried.
    Failed,
    /// Still failing transiently: report it so the stream retries it.
    Retry,
}

/// Why delivering a payload failed.
#[derive(Debug, thiserror::Error)]
enum DeliveryError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    Event(#[from] PublishError),
    /// An invitation whose token this sender cannot make (no secret, or
    /// another deployment's): never retried, never sent half-made.
    #[error("invitation token seal cannot be opened")]
    Sealed,
    /// A report email whose CSV cannot be attached or linked: gone (it
    /// expired), or this sender has no reports bucket (not retried), or S3
    /// failed (retried).
    #[error("the report of a report email is unavailable")]
    Report {
        /// Worth a retry.
        retryable: bool,
    },
}

impl DeliveryError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Mail(e) => e.is_retryable(),
            Self::Event(e) => e.is_retryable(),
            Self::Sealed => false,
            Self::Report { retryable } => *retryable,
        }
    }

    /// The `failure` attribute: kind and, for SES, its error code. Never
    /// the error's message, which may quote addresses.
    fn reason(&self) -> String {
        use aws_sdk_sesv2::error::ProvideErrorMetadata;
        use aws_sdk_sesv2::operation::send_email::SendEmailError;
        use std::error::Error as _;

        let (kind, source) = match self {
            Self::Mail(e @ MailError::Rejected(_)) => ("email rejected", e.source()),
            Self::Mail(e @ MailError::Blocked(_)) => ("email sending blocked", e.source()),
            Self::Mail(e @ MailError::Unavailable(_)) => {
                ("email transport unavailable", e.source())
            }
            Self::Event(PublishError::Rejected(_)) => ("event or job rejected", None),
            Self::Event(PublishError::Unavailable(_)) => {
                ("event bus or job queue unavailable", None)
            }
            Self::Sealed => ("invitation token seal cannot be opened", None),
            Self::Report { .. } => ("report unavailable", None),
        };
        let code = source
            .and_then(|s| s.downcast_ref::<SendEmailError>())
            .and_then(|e| e.code());
        match code {
            Some(code) => format!("{kind} ({code})"),
            None => kind.to_owned(),
        }
    }
}

/// Delivers outbox items from stream records. Built once per cold start
/// (or per test) and shared by every invocation.
#[derive(Clone)]
pub struct OutboxSender {
    repo: Repository,
    mailer: Arc<dyn Mailer>,
    events: Arc<dyn EventPublisher>,
    jobs: Arc<dyn JobQueue>,
    clock: Arc<dyn Clock>,
    backoff: Backoff,
    concurrency: usize,
    invite_secret: Option<crate::model::InviteSecret>,
    email_pace: Option<Arc<crate::pacer::Pacer>>,
    metrics: Arc<dyn crate::emf::MetricSink>,
    #[cfg(feature = "files")]
    reports: Option<ReportFiles>,
}

/// Where report emails' CSVs are read and how long their links work.
#[cfg(feature = "files")]
#[derive(Clone)]
pub struct ReportFiles {
    /// The store holding the reports bucket.
    pub store: crate::storage::FileStore,
    /// How long an emailed link works (`REPORT_LINK_SECONDS`).
    pub link_ttl: Duration,
    /// The largest CSV attached (an email past it would be refused).
    pub attachment_max_bytes: u64,
}

/// How long an emailed report link works unless `REPORT_LINK_SECONDS` says
/// otherwise. A URL presigned with a Lambda role's temporary credentials
/// stops working when they expire, whatever it says: keep it within the
/// role session (the email says where to get a fresh one).
pub const DEFAULT_REPORT_LINK_TTL: Duration = Duration::from_secs(6 * 3600);

impl OutboxSender {
    /// A sender with the default [`Backoff`] and up to 8 deliveries at once.
    pub fn new(
        repo: Repository,
        mailer: Arc<dyn Mailer>,
        events: Arc<dyn EventPublisher>,
        jobs: Arc<dyn JobQueue>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            repo,
            mailer,
            events,
            jobs,
            clock,
            backoff: Backoff::default(),
            concurrency: 8,
            invite_secret: None,
            email_pace: None,
            metrics: Arc::new(crate::emf::Stdout),
            #[cfg(feature = "files")]
            reports: None,
        }
    }

    /// Gives the sender the reports bucket, for report emails.
    #[cfg(feature = "files")]
    pub fn with_reports(mut self, reports: ReportFiles) -> Self {
        self.reports = Some(reports);
        self
    }

    /// Sends at most `per_second` emails a second (SES's account send rate;
    /// events and jobs are not paced).
    pub fn with_email_rate(mut self, per_second: f64) -> Self {
        self.email_pace = Some(Arc::new(crate::pacer::Pacer::per_second(per_second)));
        self
    }

    /// Replaces where metrics go (tests record them).
    pub fn with_metrics(mut self, metrics: Arc<dyn crate::emf::MetricSink>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Gives the sender the secret that opens invitation tokens' seals.
    pub fn with_invite_secret(mut self, secret: crate::model::InviteSecret) -> Self {
        self.invite_secret = Some(secret);
        self
    }

    /// Replaces the retry policy (tests use [`Backoff::immediate`]).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Replaces how many records are delivered at once (at least 1).
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// Delivers a batch and returns the sequence numbers of the records to
    /// report as batch item failures, in batch order. A failing record
    /// without a sequence number is reported as `""`, which Lambda treats as
    /// a failure of the whole batch: retried, never lost.
    pub async fn deliver_records(&self, records: &[EventRecord]) -> Vec<String> {
        let outcomes: Vec<(RecordOutcome, Option<String>)> = futures::stream::iter(records)
            .map(|record| async move {
                (
                    self.deliver_record(record).await,
                    record.change.sequence_number.clone(),
                )
            })
            .buffered(self.concurrency)
            .collect()
            .await;
        outcomes
            .into_iter()
            .filter(|(outcome, _)| *outcome == RecordOutcome::Retry)
            .map(|(_, sequence)| sequence.unwrap_or_default())
            .collect()
    }

    /// Delivers the outbox item one stream record carries, if it does.
    #[tracing::instrument(
        name = "outbox_record",
        skip_all,
        fields(sequence_number = record.change.sequence_number.as_deref().unwrap_or(""), outbox_id = field::Empty)
    )]
    pub async fn deliver_record(&self, record: &EventRecord) -> RecordOutcome {
        if record.event_name != "INSERT" || !is_outbox_item(&record.change.new_image) {
            return RecordOutcome::Ignored;
        }
        let item: OutboxItem = match serde_dynamo::from_item(record.change.new_image.clone()) {
            Ok(item) => item,
            Err(e) => return self.undecodable(record, &e).await,
        };
        tracing::Span::current().record("outbox_id", field::display(item.id));

        self.deliver_unsettled(&item.id).await
    }

    /// Reads the item again, consistently (the stream delivers at least
    /// once, and the sweep may race it), and settles it unless it is
    /// settled or gone. The one path of the stream and the sweep.
    async fn deliver_unsettled(&self, id: &Uuid) -> RecordOutcome {
        let stored = match self.repo.outbox_item(id).await {
            Ok(Some(stored)) => stored,
            Ok(None) => {
                tracing::warn!(outbox_id = %id, "outbox item no longer exists; nothing to deliver");
                return RecordOutcome::Missing;
            }
            Err(e) => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    outbox_id = %id,
                    "reading the outbox item failed; will retry"
                );
                return RecordOutcome::Retry;
            }
        };
        if stored.is_settled() {
            tracing::info!(outbox_id = %id, "outbox item already settled; not sending it again");
            return RecordOutcome::AlreadySettled;
        }
        self.settle(&stored.item).await
    }

    /// Delivers an unsettled item and marks it: sent, failed for good (and
    /// counted, for an email), or left for a retry.
    async fn settle(&self, item: &OutboxItem) -> RecordOutcome {
        match self.deliver_with_retries(&item.payload).await {
            Ok(()) => self.mark_sent(item).await,
            Err(e) if e.is_retryable() => {
                tracing::warn!(kind = kind(&item.payload), reason = %e.reason(), "delivery still failing; reporting the record for retry");
                RecordOutcome::Retry
            }
            Err(e) => {
                if matches!(item.payload, OutboxPayload::Email(_)) {
                    // SES refused it for good (sandbox recipient, sending
                    // paused, a seal that will not open): an alarm, not a
                    // dead-letter queue, is what tells the operator.
                    self.metrics.emit(crate::emf::count_line(
                        "outbox-sender",
                        UNDELIVERABLE_EMAILS,
                        1,
                        self.clock.now().unix_timestamp_nanos() / 1_000_000,
                    ));
                }
                self.mark_failed(&item.id, &e.reason()).await
            }
        }
    }

    /// Re-drives what the stream did not deliver: unsettled items written
    /// more than `older_than` ago (the mapping was off or behind, a batch
    /// went to the dead-letter queue). Each is read again, consistently, and
    /// settled like a stream record, so a sweep racing the stream sends
    /// nothing twice. Up to 100 items per index shard per run.
    pub async fn sweep(&self, older_than: std::time::Duration) -> SweepReport {
        let mut report = SweepReport::default();
        let before = self.clock.now() - older_than;
        let ids = match self.repo.unsettled_outbox(before, 100).await {
            Ok(ids) => ids,
            Err(e) => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "listing unsettled outbox items failed"
                );
                report.failed += 1;
                return report;
            }
        };
        for id in ids {
            report.found += 1;
            match self.deliver_unsettled(&id).await {
                RecordOutcome::Sent => report.sent += 1,
                RecordOutcome::Failed => report.undeliverable += 1,
                RecordOutcome::Retry => report.failed += 1,
                // Settled (or gone) since the index was read.
                RecordOutcome::AlreadySettled | RecordOutcome::Missing | RecordOutcome::Ignored => {
                }
            }
        }
        if report.found > 0 {
            tracing::warn!(
                ?report,
                "the sweep re-drove outbox items the stream had not settled"
            );
        }
        report
    }

    /// Sends or publishes the payload, retrying transient failures.
    async fn deliver_with_retries(&self, payload: &OutboxPayload) -> Result<(), DeliveryError> {
        let started = tokio::time::Instant::now();
        let mut attempt = 1;
        loop {
            let error = match self.deliver_once(payload).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            if !error.is_retryable() || attempt >= self.backoff.attempts {
                return Err(error);
            }
            let wait = self.backoff.delay(attempt - 1);
            if started.elapsed() + wait > self.backoff.budget {
                return Err(error);
            }
            tracing::warn!(attempt, retry_in_ms = wait.as_millis(), reason = %error.reason(), "delivery failed; retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn deliver_once(&self, payload: &OutboxPayload) -> Result<(), DeliveryError> {
        match payload {
            OutboxPayload::Email(email) => {
                let email = email
                    .unsealed(self.invite_secret.as_ref())
                    .ok_or(DeliveryError::Sealed)?;
                let message = self.message_of(&email).await?;
                if let Some(pace) = &self.email_pace {
                    pace.wait().await;
                }
                let sent = self.mailer.send(&message).await?;
                tracing::debug!(sent_id = %sent, "email handed to the transport");
                Ok(())
            }
            OutboxPayload::Event(event) => {
                self.events.publish(event).await?;
                Ok(())
            }
            OutboxPayload::Job(job) => {
                self.jobs.enqueue(job).await?;
                Ok(())
            }
        }
    }

    /// The message an email becomes: a report email gets its CSV attached,
    /// or a URL presigned now where its placeholders stand.
    async fn message_of(
        &self,
        email: &crate::outbox::OutboxEmail,
    ) -> Result<EmailMessage, DeliveryError> {
        let Some(report) = &email.report else {
            return Ok(EmailMessage::from(email));
        };
        #[cfg(feature = "files")]
        if let Some(files) = &self.reports {
            return files.message_of(email, report, self.clock.now()).await;
        }
        tracing::error!(file = %report.file_name, "a report email reached a sender without a reports bucket");
        Err(DeliveryError::Report { retryable: false })
    }

    async fn mark_sent(&self, item: &OutboxItem) -> RecordOutcome {
        match self.repo.mark_outbox_sent(&item.id, self.clock.now()).await {
            Ok(true) => tracing::info!(kind = kind(&item.payload), "outbox item delivered"),
            Ok(false) => {
                tracing::warn!("outbox item delivered, but another delivery had settled it")
            }
            // Not reported for retry: it was delivered, and a retry would
            // deliver it again. The item stays unmarked, which the log says.
            Err(e) => tracing::error!(
                error = &e as &dyn std::error::Error,
                "outbox item delivered but could not be marked sent"
            ),
        }
        RecordOutcome::Sent
    }

    async fn mark_failed(&self, id: &Uuid, reason: &str) -> RecordOutcome {
        tracing::error!(reason, "outbox item is undeliverable; marking it failed");
        match self
            .repo
            .mark_outbox_failed(id, self.clock.now(), reason)
            .await
        {
            Ok(_) => RecordOutcome::Failed,
            // Nothing was sent, so a retry is harmless and keeps the record
            // from vanishing unmarked.
            Err(e) => {
                tracing::error!(
                    error = &e as &dyn std::error::Error,
                    "marking the outbox item failed did not succeed; will retry"
                );
                RecordOutcome::Retry
            }
        }
    }

    /// An outbox item that does not decode can never be delivered: mark it
    /// failed if its key names it, so it is visible rather than retried.
    async fn undecodable(
        &self,
        record: &EventRecord,
        error: &serde_dynamo::Error,
    ) -> RecordOutcome {
        tracing::error!(error = %error, "outbox item does not decode");
        let Some(id) = outbox_id_from_keys(&record.change.keys)
            .or_else(|| outbox_id_from_keys(&record.change.new_image))
        else {
            tracing::error!("outbox item has no readable id; dropping the record");
            return RecordOutcome::Failed;
        };
        tracing::Span::current().record("outbox_id", field::display(id));
        self.mark_failed(&id, "undecodable item").await
    }
}

#[cfg(feature = "files")]
impl ReportFiles {
    /// From `REPORTS_BUCKET` (the store's), `REPORT_LINK_SECONDS` and
    /// `REPORT_ATTACHMENT_MAX_BYTES`.
    pub fn from_env(store: crate::storage::FileStore) -> Result<Self, crate::deps::MissingSetting> {
        let link_ttl = crate::deps::optional_env::<u64>("REPORT_LINK_SECONDS")?
            .map_or(DEFAULT_REPORT_LINK_TTL, Duration::from_secs);
        let attachment_max_bytes = crate::deps::optional_env("REPORT_ATTACHMENT_MAX_BYTES")?
            .unwrap_or(crate::outbox::DEFAULT_ATTACHMENT_MAX_BYTES);
        Ok(Self {
            store,
            link_ttl,
            attachment_max_bytes,
        })
    }

    async fn message_of(
        &self,
        email: &crate::outbox::OutboxEmail,
        report: &crate::outbox::ReportMail,
        now: time::OffsetDateTime,
    ) -> Result<EmailMessage, DeliveryError> {
        let unavailable = |e: crate::Error| {
            tracing::warn!(
                error = &e as &dyn std::error::Error,
                "reading the report for its email failed"
            );
            DeliveryError::Report { retryable: true }
        };
        if report.attach {
            let Some(bytes) = self
                .store
                .read_report(&report.key, self.attachment_max_bytes)
                .await
                .map_err(unavailable)?
            else {
                tracing::error!(file = %report.file_name, "the report of a report email is gone");
                return Err(DeliveryError::Report { retryable: false });
            };
            let mut message = EmailMessage::from(email);
            message.attachments.push(crate::mail::Attachment {
                filename: report.file_name.clone(),
                content_type: "text/csv".into(),
                bytes,
            });
            return Ok(message);
        }
        let url = self
            .store
            .presign_report_download(&report.key, &report.file_name, self.link_ttl, now)
            .await
            .map_err(unavailable)?;
        let expiry = crate::notify::human_time(url.expires_at);
        let fill = |body: &str, url_text: &str| {
            body.replace(crate::outbox::REPORT_LINK, url_text)
                .replace(crate::outbox::REPORT_LINK_EXPIRY, &expiry)
        };
        let linked = crate::outbox::OutboxEmail {
            text: fill(&email.text, &url.url),
            html: fill(
                &email.html,
                &html_escape::encode_double_quoted_attribute(&url.url),
            ),
            ..email.clone()
        };
        Ok(EmailMessage::from(&linked))
    }
}

/// The sender as a Lambda builds it once per cold start, from the standard
/// AWS environment and: `TABLE_NAME`, `SENDER_EMAIL` (a verified SES
/// identity), `SES_CONFIGURATION_SET` (optional), `EVENT_BUS_NAME`, one queue
/// URL per kind of job (`USAGE_QUEUE_URL`, `DISSOLVE_QUEUE_URL`,
/// `SNAPSHOT_QUEUE_URL`, `REPORT_QUEUE_URL`), `REPORTS_BUCKET` with
/// `REPORT_LINK_SECONDS` and `REPORT_ATTACHMENT_MAX_BYTES` (report emails),
/// `INVITE_SECRET_ARN` (opens invitation tokens' seals) and
/// `SES_MAX_SEND_RATE` (emails per second, default 1). Used by the outbox
/// sender and the outbox sweep.
#[cfg(feature = "invite-secret")]
pub async fn sender_from_env() -> Result<OutboxSender, Box<dyn std::error::Error + Send + Sync>> {
    use std::collections::HashMap;

    use crate::clock::SystemClock;
    use crate::deps::required_env;
    use crate::events::EventBridgePublisher;
    use crate::jobs::JobKind;
    use crate::jobs::queue::SqsJobs;
    use crate::mail::SesMailer;
    use crate::model::EmailAddress;

    let table = required_env("TABLE_NAME")?;
    let sender_email = EmailAddress::parse("SENDER_EMAIL", &required_env("SENDER_EMAIL")?)
        .map_err(|e| format!("SENDER_EMAIL {}", e.reason))?;
    let configuration_set = required_env("SES_CONFIGURATION_SET").ok();
    let bus = required_env("EVENT_BUS_NAME")?;
    let queues = JobKind::ALL
        .into_iter()
        .map(|kind| Ok((kind, required_env(kind.queue_setting())?)))
        .collect::<Result<HashMap<_, _>, crate::deps::MissingSetting>>()?;

    // SES's account send rate (1 in the sandbox); see docs/deploy.md.
    let email_rate: f64 = crate::deps::optional_env("SES_MAX_SEND_RATE")?.unwrap_or(1.0);
    let sdk = crate::deps::sdk_config().await;
    let sender = OutboxSender::new(
        Repository::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
            sender_email,
            configuration_set,
        )),
        Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            bus,
        )),
        Arc::new(SqsJobs::new(aws_sdk_sqs::Client::new(&sdk), queues)),
        Arc::new(SystemClock),
    )
    .with_invite_secret(crate::deps::invite_secret_from_env(&sdk).await?)
    .with_email_rate(email_rate);
    // Report emails carry their CSV (attached, or a link presigned when sent).
    #[cfg(feature = "files")]
    let sender = match crate::deps::optional_env::<String>("REPORTS_BUCKET")? {
        Some(bucket) => sender.with_reports(ReportFiles::from_env(
            crate::storage::FileStore::new(aws_sdk_s3::Client::new(&sdk), None, None)
                .with_reports_bucket(bucket),
        )?),
        None => sender,
    };
    Ok(sender)
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SweepReport {
    /// Unsettled items older than the cutoff.
    pub found: usize,
    /// Delivered now.
    pub sent: usize,
    /// Marked failed for good.
    pub undeliverable: usize,
    /// Still failing (left for the next sweep) or unreadable.
    pub failed: usize,
}

/// The metric counting emails that can never be delivered (alarmed on).
pub const UNDELIVERABLE_EMAILS: &str = "UndeliverableEmails";

/// Whether a stream image is an outbox item.
fn is_outbox_item(image: &serde_dynamo::Item) -> bool {
    matches!(image.get(keys::ENTITY), Some(AttributeValue::S(entity)) if entity == OUTBOX_ENTITY)
}

/// The id in an `OUTBOX#<id>` partition key.
fn outbox_id_from_keys(image: &serde_dynamo::Item) -> Option<Uuid> {
    match image.get(keys::PK) {
        Some(AttributeValue::S(pk)) => pk
            .strip_prefix("OUTBOX#")
            .and_then(|id| Uuid::parse_str(id).ok()),
        _ => None,
    }
}

/// `email` or `event`, for logs.
fn kind(payload: &OutboxPayload) -> &'static str {
    match payload {
        OutboxPayload::Email(_) => "email",
        OutboxPayload::Event(_) => "event",
        OutboxPayload::Job(_) => "job",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_exponentially_within_their_jitter_band_and_are_capped() {
        let backoff = Backoff {
            attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            budget: Duration::from_secs(60),
        };
        let cases = [
            (0, 50, 100),
            (1, 100, 200),
            (2, 200, 400),
            (3, 400, 800),
            (4, 500, 1000),
            (9, 500, 1000),
        ];
        for (retry, low, high) in cases {
            for _ in 0..50 {
                let wait = backoff.delay(retry).as_millis();
                assert!(
                    (low..=high).contains(&wait),
                    "retry {retry}: {wait} ms not in {low}..={high}"
                );
            }
        }
        assert_eq!(Backoff::immediate(3).delay(5), Duration::ZERO);
    }

    #[test]
    fn only_outbox_images_are_outbox_items() {
        let image = |entity: &str| {
            serde_dynamo::Item::from(std::collections::HashMap::from([(
                keys::ENTITY.to_owned(),
                AttributeValue::S(entity.to_owned()),
            )]))
        };
        assert!(is_outbox_item(&image("Outbox")));
        assert!(!is_outbox_item(&image("Group")));
        assert!(!is_outbox_item(&serde_dynamo::Item::from(
            std::collections::HashMap::<String, AttributeValue>::new()
        )));
    }

    #[test]
    fn the_id_is_read_from_the_partition_key() {
        let keys = |pk: &str| {
            serde_dynamo::Item::from(std::collections::HashMap::from([(
                keys::PK.to_owned(),
                AttributeValue::S(pk.to_owned()),
            )]))
        };
        assert_eq!(
            outbox_id_from_keys(&keys("OUTBOX#00000000-0000-0000-0000-000000000000")),
            Some(Uuid::nil())
        );
        assert_eq!(outbox_id_from_keys(&keys("GROUP#x")), None);
        assert_eq!(outbox_id_from_keys(&keys("OUTBOX#not-a-uuid")), None);
    }
}
