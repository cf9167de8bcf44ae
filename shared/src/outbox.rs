//! The transactional outbox: every email and integration event is written as
//! an item in the same `TransactWriteItems` as the state change that causes
//! it, so neither can happen without the other. The outbox sender Lambda,
//! fed by the table's stream, delivers each item and marks it sent.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::model::{AccountId, EmailAddress, GroupId};

/// How long a delivered outbox item is kept (TTL) for tracing.
pub const RETENTION: time::Duration = time::Duration::days(14);

/// A rendered email, ready to hand to a `Mailer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxEmail {
    /// Recipients (one message to all).
    pub to: Vec<EmailAddress>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body (removed once the email is settled).
    #[serde(default)]
    pub text: String,
    /// HTML body (removed once the email is settled).
    #[serde(default)]
    pub html: String,
    /// For an invitation: its token's seal, whose text stands in the bodies
    /// where the token goes; the sender, which holds the secret, puts the
    /// token there. No live token is ever stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<crate::model::TokenSeal>,
    /// For a report email: the CSV the sender attaches, or links to with a
    /// URL it presigns when it sends (so no live link is ever stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<ReportMail>,
}

/// The User Stats CSV a report email carries, by reference: the outbox
/// sender reads it from the reports bucket when it sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportMail {
    /// The object's key in the reports bucket.
    pub key: String,
    /// The attachment's (or download's) file name.
    pub file_name: String,
    /// Attach the CSV (the group asked, and it is small enough); otherwise
    /// the bodies' [`REPORT_LINK`] placeholders become a presigned URL.
    pub attach: bool,
}

/// The largest CSV attached to an email unless `REPORT_ATTACHMENT_MAX_BYTES`
/// says otherwise: base64 makes it about 9.8 MB, under SES's default 10 MB
/// message size; a larger report is linked.
pub const DEFAULT_ATTACHMENT_MAX_BYTES: u64 = 7 * 1024 * 1024;

/// Stands in a report email's bodies where the sender puts the presigned
/// URL (never a URL itself: it cannot be mistaken for a working link).
pub const REPORT_LINK: &str = "REPORT-LINK-PLACEHOLDER";
/// Stands where the sender puts the time the presigned URL stops working.
pub const REPORT_LINK_EXPIRY: &str = "REPORT-LINK-EXPIRY-PLACEHOLDER";

impl OutboxEmail {
    /// The email as it is sent: the seal's placeholder replaced by the token
    /// it stands for (`None` when there is a seal and no way to open it).
    pub fn unsealed(&self, secret: Option<&crate::model::InviteSecret>) -> Option<Self> {
        let Some(seal) = &self.seal else {
            return Some(self.clone());
        };
        let token = crate::model::InviteToken::unseal(seal, secret?)?;
        Some(Self {
            text: self.text.replace(seal.placeholder(), token.reveal()),
            html: self.html.replace(seal.placeholder(), token.reveal()),
            seal: None,
            ..self.clone()
        })
    }
}

/// A membership change, published to EventBridge (source `groups.membership`,
/// detail-type the variant name). Schema documented in `docs/events.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipEvent {
    /// What happened.
    pub change: MembershipChange,
    /// The group.
    pub group_id: GroupId,
    /// The account concerned, when known (invitations name only an email).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    /// The email concerned; absent for a change of the whole group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// Who caused it (an admin, or the member themselves).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<AccountId>,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// The kinds of membership change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MembershipChange {
    /// An email invitation was sent (or re-sent).
    Invited,
    /// Someone asked to join.
    Requested,
    /// Someone became a member.
    Joined,
    /// A request was denied.
    Denied,
    /// A member was removed (by an admin, or by the group's dissolution).
    Removed,
    /// A member left the group of their own accord (in a managed group,
    /// withdrawing their consent to admin access).
    Left,
    /// The group was dissolved.
    Dissolved,
}

impl MembershipChange {
    /// The EventBridge `DetailType`.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::Invited => "MemberInvited",
            Self::Requested => "MembershipRequested",
            Self::Joined => "MemberJoined",
            Self::Denied => "MembershipDenied",
            Self::Removed => "MemberRemoved",
            Self::Left => "MemberLeft",
            Self::Dissolved => "GroupDissolved",
        }
    }
}

/// What an outbox item carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum OutboxPayload {
    /// An email to send through the `Mailer`.
    Email(OutboxEmail),
    /// An event to publish to EventBridge.
    Event(MembershipEvent),
    /// Long work for its kind's queue.
    Job(crate::jobs::Job),
}

/// One outbox item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboxItem {
    /// Unique id (also the DLQ's handle on a failed item).
    pub id: Uuid,
    /// The payload.
    pub payload: OutboxPayload,
    /// When it was written.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl OutboxItem {
    /// A new item for `payload`.
    pub fn new(payload: OutboxPayload, now: OffsetDateTime) -> Self {
        Self {
            id: Uuid::now_v7(),
            payload,
            created_at: now,
        }
    }

    /// An email item.
    pub fn email(email: OutboxEmail, now: OffsetDateTime) -> Self {
        Self::new(OutboxPayload::Email(email), now)
    }

    /// A job item.
    pub fn job(job: crate::jobs::Job, now: OffsetDateTime) -> Self {
        Self::new(OutboxPayload::Job(job), now)
    }

    /// An event item.
    pub fn event(event: MembershipEvent) -> Self {
        let at = event.at;
        Self::new(OutboxPayload::Event(event), at)
    }
}

/// An outbox item as stored, with the marks the sender adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredOutboxItem {
    /// The item as written by the state change.
    pub item: OutboxItem,
    /// When it was delivered.
    pub sent_at: Option<OffsetDateTime>,
    /// When it was found undeliverable.
    pub failed_at: Option<OffsetDateTime>,
    /// Why it is undeliverable (error kind and code, never content).
    pub failure: Option<String>,
}

impl StoredOutboxItem {
    /// Sent or failed: the sender must not touch it again.
    pub fn is_settled(&self) -> bool {
        self.sent_at.is_some() || self.failed_at.is_some()
    }
}
