//! Computers (Computer Backup): what a backup client reports at check-in,
//! and the alerts an admin sees next to a computer.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::AccountId;
use super::text::{free_text, single_line};
use crate::error::{FieldError, Result, Validator};

/// Computer backups one account may have (the product's limit).
pub const MAX_COMPUTERS_PER_ACCOUNT: u32 = 1_000;
/// Alerts one check-in may report.
pub const MAX_ALERTS: usize = 20;
/// Largest selected size a client may report: 10 PB, far above any computer.
pub const MAX_SELECTED_BYTES: u64 = 10_000_000_000_000_000;
/// Largest number of files a client may report as remaining.
pub const MAX_FILES_REMAINING: u64 = 10_000_000_000;

/// The client's own id for a computer: 1–64 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ComputerId(String);

impl ComputerId {
    /// Validates a path segment before it can reach a key.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                "must be 1-64 letters, digits, '-' or '_'",
            ))
        }
    }

    /// The id as stored in keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ComputerId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("computerId", &value).map_err(|e| e.reason)
    }
}

impl From<ComputerId> for String {
    fn from(value: ComputerId) -> Self {
        value.0
    }
}

impl std::fmt::Display for ComputerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AlertKind {
    /// No completed backup for longer than the client allows.
    BackupOverdue,
    /// A backed-up drive has not been seen.
    DriveDisconnected,
    /// The computer is short of disk space for the backup's work.
    LowDiskSpace,
    /// Files could not be read (permissions, locks).
    FilesSkipped,
    /// The client is too old to keep backing up.
    ClientOutdated,
    /// Anything else the client reports.
    Other,
}

impl AlertKind {
    /// Its name, as serialised (`backupOverdue`, ...): for text outside
    /// JSON, e.g. the report's CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::BackupOverdue => "backupOverdue",
            AlertKind::DriveDisconnected => "driveDisconnected",
            AlertKind::LowDiskSpace => "lowDiskSpace",
            AlertKind::FilesSkipped => "filesSkipped",
            AlertKind::ClientOutdated => "clientOutdated",
            AlertKind::Other => "other",
        }
    }
}

/// One alert on a computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// Since when.
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    /// The client's words, for the admin (at most 500 characters).
    #[serde(default)]
    pub detail: String,
}

/// A computer as stored under its account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Computer {
    /// The client's id for it.
    pub id: ComputerId,
    /// The owner.
    pub account_id: AccountId,
    /// Display name.
    pub name: String,
    /// Operating system, as the client reports it.
    pub os: String,
    /// Backup client version.
    pub client_version: String,
    /// Last completed backup, if any.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_backup_at: Option<OffsetDateTime>,
    /// Bytes selected for backup.
    pub selected_bytes: u64,
    /// Files still to back up.
    pub files_remaining: u64,
    /// Current alerts.
    pub alerts: Vec<Alert>,
    /// `alerts.len()`, kept so a check-in's condition can compare counts.
    pub alert_count: u32,
    /// First check-in.
    #[serde(with = "time::serde::rfc3339")]
    pub first_seen_at: OffsetDateTime,
    /// Latest check-in.
    #[serde(with = "time::serde::rfc3339")]
    pub checked_in_at: OffsetDateTime,
}

/// A validated check-in: the computer's current state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    /// Display name.
    pub name: String,
    /// Operating system.
    pub os: String,
    /// Client version.
    pub client_version: String,
    /// Last completed backup.
    pub last_backup_at: Option<OffsetDateTime>,
    /// Bytes selected.
    pub selected_bytes: u64,
    /// Files remaining.
    pub files_remaining: u64,
    /// Current alerts.
    pub alerts: Vec<Alert>,
}

/// How far in the future a client's clock may be and still be believed.
const CLOCK_SKEW: time::Duration = time::Duration::minutes(10);

/// A reported instant: not later than `now` (give or take clock skew).
fn not_future(field: &str, at: OffsetDateTime, now: OffsetDateTime) -> Result<(), FieldError> {
    if at > now + CLOCK_SKEW {
        return Err(FieldError::new(field, "must not be in the future"));
    }
    Ok(())
}

/// A reported count: at most `max`.
fn at_most(field: &str, value: u64, max: u64) -> Result<u64, FieldError> {
    if value > max {
        return Err(FieldError::new(field, format!("must be at most {max}")));
    }
    Ok(value)
}

impl CheckIn {
    /// Validates a client's report at `now`, naming every bad field.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        os: &str,
        client_version: &str,
        last_backup_at: Option<OffsetDateTime>,
        selected_bytes: u64,
        files_remaining: u64,
        alerts: Vec<Alert>,
        now: OffsetDateTime,
    ) -> crate::Result<Self> {
        let mut v = Validator::default();
        let name = v.check(single_line("name", name, 100));
        let os = v.check(single_line("os", os, 100));
        let client_version = v.check(single_line("clientVersion", client_version, 40));
        if let Some(at) = last_backup_at {
            v.check(not_future("lastBackupAt", at, now));
        }
        let selected_bytes = v.check(at_most("selectedBytes", selected_bytes, MAX_SELECTED_BYTES));
        let files_remaining = v.check(at_most(
            "filesRemaining",
            files_remaining,
            MAX_FILES_REMAINING,
        ));
        if alerts.len() > MAX_ALERTS {
            v.push(FieldError::new(
                "alerts",
                format!("at most {MAX_ALERTS} alerts per check-in"),
            ));
        }
        let mut clean = Vec::with_capacity(alerts.len().min(MAX_ALERTS));
        for (i, alert) in alerts.into_iter().take(MAX_ALERTS).enumerate() {
            v.check(not_future(&format!("alerts[{i}].since"), alert.since, now));
            let detail = v
                .check(free_text(
                    &format!("alerts[{i}].detail"),
                    &alert.detail,
                    500,
                ))
                .unwrap_or_default();
            clean.push(Alert { detail, ..alert });
        }
        v.finish()?;
        match (name, os, client_version, selected_bytes, files_remaining) {
            (
                Some(name),
                Some(os),
                Some(client_version),
                Some(selected_bytes),
                Some(files_remaining),
            ) => Ok(Self {
                name,
                os,
                client_version,
                last_backup_at,
                selected_bytes,
                files_remaining,
                alerts: clean,
            }),
            _ => Err(crate::Error::unexpected(
                "a check-in field failed without an error",
            )),
        }
    }

    /// The stored computer after this check-in (`first_seen_at` kept from `previous`).
    pub fn into_computer(
        self,
        id: ComputerId,
        account_id: AccountId,
        previous: Option<&Computer>,
        now: OffsetDateTime,
    ) -> Computer {
        Computer {
            id,
            account_id,
            name: self.name,
            os: self.os,
            client_version: self.client_version,
            last_backup_at: self.last_backup_at,
            selected_bytes: self.selected_bytes,
            files_remaining: self.files_remaining,
            alert_count: u32::try_from(self.alerts.len()).unwrap_or(u32::MAX),
            alerts: self.alerts,
            first_seen_at: previous.map_or(now, |p| p.first_seen_at),
            checked_in_at: now,
        }
    }
}
