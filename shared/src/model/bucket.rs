//! B2 buckets: names unique across the service, and what a bucket holds.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::AccountId;
use crate::error::FieldError;

/// Buckets one account may have (the product's limit).
pub const MAX_BUCKETS_PER_ACCOUNT: u32 = 100;

/// A bucket name by B2's rules: 6–63 characters, letters, digits and
/// hyphens, not starting with the reserved `b2-`. Names are unique across
/// the service regardless of case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BucketName(String);

impl BucketName {
    /// Validates a name as given.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        if !(6..=63).contains(&raw.len()) {
            return Err(FieldError::new(field, "must be 6 to 63 characters"));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(FieldError::new(
                field,
                "may contain only letters, digits and hyphens",
            ));
        }
        if raw.to_ascii_lowercase().starts_with("b2-") {
            return Err(FieldError::new(field, "must not start with 'b2-'"));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on.
    pub fn claim_form(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl TryFrom<String> for BucketName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("name", &value).map_err(|e| e.reason)
    }
}

impl From<BucketName> for String {
    fn from(value: BucketName) -> Self {
        value.0
    }
}

impl std::fmt::Display for BucketName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A bucket as stored under its account. Its files live in the data bucket
/// under [`Bucket::prefix`]; its counters are kept by the writes that
/// confirm and delete files, never by listing S3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    /// Its name.
    pub name: BucketName,
    /// The owner.
    pub account_id: AccountId,
    /// Bytes of its confirmed files.
    pub stored_bytes: u64,
    /// Its confirmed files.
    pub file_count: u64,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Bucket {
    /// The S3 key prefix of its files: `<accountId>/<bucket>/`.
    pub fn prefix(&self) -> String {
        prefix(&self.account_id, &self.name)
    }
}

/// The S3 key prefix of a bucket's files.
pub fn prefix(account: &AccountId, bucket: &BucketName) -> String {
    format!("{account}/{bucket}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_b2_rules() {
        for good in ["photos", "Team-Backups-2026", "a1b2c3", &"x".repeat(63)] {
            assert!(BucketName::parse("name", good).is_ok(), "{good:?}");
        }
        for bad in [
            "short",
            &"x".repeat(64),
            "with space",
            "under_score",
            "dots.in.name",
            "b2-reserved",
            "B2-Reserved",
            "ünïcode-name",
        ] {
            assert!(BucketName::parse("name", bad).is_err(), "{bad:?}");
        }
        let name = BucketName::parse("name", "Photos-2026").expect("valid");
        assert_eq!(name.claim_form(), "photos-2026");
    }
}
