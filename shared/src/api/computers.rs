//! Computers, buckets and the Users/Computers view: requests and views.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::Result;
use crate::model::{AccountId, Alert, CheckIn, ComputerId, EmailAddress};

/// `PUT /me/computers/{computerId}`: the backup client's report.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckInRequest {
    /// Display name.
    pub name: String,
    /// Operating system.
    pub os: String,
    /// Backup client version.
    pub client_version: String,
    /// Last completed backup; absent when none has completed.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_backup_at: Option<OffsetDateTime>,
    /// Bytes selected for backup.
    pub selected_bytes: u64,
    /// Files still to back up.
    pub files_remaining: u64,
    /// The current alerts (at most 20).
    #[serde(default)]
    pub alerts: Vec<Alert>,
}

impl CheckInRequest {
    /// The validated check-in, judged at `now`.
    pub fn validate(self, now: OffsetDateTime) -> Result<CheckIn> {
        CheckIn::parse(
            &self.name,
            &self.os,
            &self.client_version,
            self.last_backup_at,
            self.selected_bytes,
            self.files_remaining,
            self.alerts,
            now,
        )
    }
}

/// `POST /me/buckets`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBucketRequest {
    /// The bucket's name (B2 rules).
    pub name: String,
}

/// The Users/Computers synopsis of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Synopsis {
    /// Member accounts.
    pub members: u32,
    /// Their computers.
    pub computers: u64,
    /// Alerts on those computers.
    pub alerts: u64,
    /// B2 bytes they store.
    pub stored_bytes: u64,
}

/// One row of `GET /groups/{groupId}/computers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComputerRow {
    /// The member.
    pub account_id: AccountId,
    /// The member's email.
    pub member_email: EmailAddress,
    /// The computer.
    pub computer_id: ComputerId,
    /// Its name.
    pub name: String,
    /// Its operating system.
    pub os: String,
    /// Last completed backup.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_backup_at: Option<OffsetDateTime>,
    /// Bytes selected.
    pub selected_bytes: u64,
    /// Files remaining.
    pub files_remaining: u64,
    /// Alerts on it.
    pub alert_count: u32,
}

/// A page of rows and the token of the next one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// This page's items.
    pub items: Vec<T>,
    /// Resumes after this page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}
