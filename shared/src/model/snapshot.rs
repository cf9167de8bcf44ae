//! Snapshots: a zip of files and folders picked in one of a member's
//! buckets, built by the `build-snapshot` job, downloadable for a while and
//! orderable on a USB hard drive.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::text::single_line;
use super::{AccountId, BucketName, GroupId};
use crate::error::FieldError;

/// Longest snapshot name, in characters.
pub const MAX_SNAPSHOT_NAME: usize = 100;
/// Most files and folders one snapshot may name (each folder may hold many files).
pub const MAX_SELECTION: usize = 1000;
/// How long a snapshot stays (the snapshots bucket's lifecycle rule and the
/// item's TTL say the same), unless the deployment sets `SNAPSHOT_RETENTION_DAYS`.
pub const DEFAULT_RETENTION_DAYS: u32 = 7;

/// Where a snapshot's build stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SnapshotState {
    /// Waiting for (or in) its build.
    Pending,
    /// Built: downloadable.
    Ready,
    /// Could not be built; `failure` says why.
    Failed,
}

/// A snapshot of a member's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// Its id.
    pub id: Uuid,
    /// Whose data.
    pub account_id: AccountId,
    /// The group whose admin asked for it.
    pub group_id: GroupId,
    /// The bucket it was taken from.
    pub bucket: BucketName,
    /// Its name (the zip's file name).
    pub name: String,
    /// The files and folders (ending in `/`) picked.
    pub selection: Vec<String>,
    /// The admin who asked.
    pub requested_by: AccountId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it is deleted (the bucket's lifecycle rule; the item's TTL).
    #[serde(with = "time::serde::rfc3339")]
    pub expires_on: OffsetDateTime,
    /// Build state.
    pub state: SnapshotState,
    /// Size of the zip (Ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// Files in the zip (Ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_count: Option<u64>,
    /// Why it failed (Failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

impl Snapshot {
    /// The zip's key in the snapshots bucket: `<account>/<snapshot>.zip`,
    /// so a member's snapshots share one prefix.
    pub fn object_key(&self) -> String {
        format!("{}/{}.zip", self.account_id, self.id)
    }

    /// The zip's file name for a download (`Content-Disposition`).
    pub fn file_name(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || "-_ .".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}.zip")
    }
}

/// A snapshot name: one line of 1..=100 visible characters.
pub fn snapshot_name(field: &str, raw: &str) -> Result<String, FieldError> {
    single_line(field, raw, MAX_SNAPSHOT_NAME)
}

/// The name given when none is: the bucket and the time, e.g.
/// `photos 2026-11-27 23:40 UTC`.
pub fn default_snapshot_name(bucket: &BucketName, now: OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    let when = now
        .to_offset(time::UtcOffset::UTC)
        .format(format)
        .unwrap_or_default();
    format!("{bucket} {when} UTC")
}

/// Where a USB hard drive goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAddress {
    /// Who receives it.
    pub recipient: String,
    /// Street lines (1 to 3).
    pub lines: Vec<String>,
    /// City.
    pub city: String,
    /// State, province or region, where the country has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    pub postal_code: String,
    /// ISO 3166-1 alpha-2 country code, upper case.
    pub country: String,
}

impl DeliveryAddress {
    /// Validates every part, naming each bad field under `address.`.
    pub fn validate(self) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut line = |field: &str, raw: &str, max: usize| match single_line(field, raw, max) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                String::new()
            }
        };
        let recipient = line("address.recipient", &self.recipient, 100);
        let city = line("address.city", &self.city, 100);
        let postal_code = line("address.postalCode", &self.postal_code, 20);
        let region = self
            .region
            .as_deref()
            .map(|r| line("address.region", r, 100));
        let lines: Vec<String> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| line(&format!("address.lines[{i}]"), l, 100))
            .collect();
        if !(1..=3).contains(&self.lines.len()) {
            errors.push(FieldError::new("address.lines", "must hold 1 to 3 lines"));
        }
        let country = self.country.trim().to_owned();
        if !(country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())) {
            errors.push(FieldError::new(
                "address.country",
                "must be an ISO 3166-1 alpha-2 code such as 'US' or 'DE'",
            ));
        }
        if errors.is_empty() {
            Ok(Self {
                recipient,
                lines,
                city,
                region,
                postal_code,
                country,
            })
        } else {
            Err(errors)
        }
    }
}

/// An order of a snapshot on a USB hard drive: a record for fulfilment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsbOrder {
    /// Its id.
    pub id: Uuid,
    /// The snapshot shipped.
    pub snapshot_id: Uuid,
    /// Whose data.
    pub account_id: AccountId,
    /// The group that pays.
    pub group_id: GroupId,
    /// The admin who ordered.
    pub ordered_by: AccountId,
    /// Where it goes.
    pub address: DeliveryAddress,
    /// The payment processor's reference for the charge.
    pub payment_reference: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub ordered_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_name_each_bad_field() {
        let bad = DeliveryAddress {
            recipient: " ".into(),
            lines: vec![],
            city: "Berlin".into(),
            region: None,
            postal_code: "10115".into(),
            country: "germany".into(),
        };
        let errors = bad.validate().expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["address.recipient", "address.lines", "address.country"]
        );
    }

    #[test]
    fn names_default_to_the_bucket_and_time() {
        let bucket = BucketName::parse("bucket", "photos").expect("valid");
        let at = time::macros::datetime!(2026-11-27 23:40:12 UTC);
        assert_eq!(
            default_snapshot_name(&bucket, at),
            "photos 2026-11-27 23:40 UTC"
        );
        assert!(snapshot_name("name", &"x".repeat(101)).is_err());
        assert!(snapshot_name("name", "").is_err());
    }
}
