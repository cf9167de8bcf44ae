//! A person's account, created from their verified identity on first use.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AccountId, EmailAddress, GroupId};

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Identity provider subject.
    pub id: AccountId,
    /// Current email from the identity token.
    pub email: EmailAddress,
    /// Whether the identity provider verified that email.
    pub email_verified: bool,
    /// First seen.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The group it belongs to (at most one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<GroupId>,
    /// Computers backing up.
    #[serde(default)]
    pub computer_count: u64,
    /// Alerts on them.
    #[serde(default)]
    pub alert_count: u64,
    /// B2 bytes stored.
    #[serde(default)]
    pub stored_bytes: u64,
    /// Its B2 buckets.
    #[serde(default)]
    pub bucket_count: u32,
    /// Whether the member gets the backup summary emails their group sends
    /// (a person's own opt-out: `PATCH /me`). On unless turned off.
    #[serde(default = "yes")]
    pub backup_summary_emails: bool,
    /// Raised by every change of `usage`: a write that moves the usage
    /// into or out of a group checks it did not change since it was read.
    #[serde(default, skip_serializing)]
    pub usage_version: u64,
}

fn yes() -> bool {
    true
}

/// What a person changes of their own account (`PATCH /me`): `None` stays
/// as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountChanges {
    /// Get (or stop getting) the backup summary emails their group sends.
    pub backup_summary_emails: Option<bool>,
}

impl AccountChanges {
    /// True when the edit would change nothing (refused: an empty PATCH is
    /// a client bug).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

impl Account {
    /// What it holds that its group counts and pays for.
    pub fn usage(&self) -> Usage {
        Usage {
            computers: self.computer_count,
            alerts: self.alert_count,
            stored_bytes: self.stored_bytes,
        }
    }
}

/// An account's usage: the counters a group's synopsis sums over members.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Computers backing up.
    pub computers: u64,
    /// Alerts on them.
    pub alerts: u64,
    /// B2 bytes stored.
    pub stored_bytes: u64,
}

/// A change of usage (negative to take away).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageDelta {
    /// Computers added or retired.
    pub computers: i64,
    /// Alerts raised or cleared.
    pub alerts: i64,
    /// Bytes stored or deleted.
    pub stored_bytes: i64,
}

impl UsageDelta {
    /// No change at all: nothing to write.
    pub fn is_zero(&self) -> bool {
        *self == Self::default()
    }

    /// All of `usage`, added (joining) or taken away (leaving).
    pub fn of(usage: &Usage, sign: i64) -> Self {
        let signed = |v: u64| sign * i64::try_from(v).unwrap_or(i64::MAX);
        Self {
            computers: signed(usage.computers),
            alerts: signed(usage.alerts),
            stored_bytes: signed(usage.stored_bytes),
        }
    }
}
