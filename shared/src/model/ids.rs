//! Identifiers. Group ids are ours (UUID v7: time-ordered); account ids come
//! from the identity provider's `sub` claim.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::FieldError;

/// A group's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupId(Uuid);

impl GroupId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// The 16 bytes of the id (embedded in invite tokens).
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The id from its 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Uuid::from_bytes(bytes))
    }

    /// Parses a path segment; anything but a UUID is rejected before it reaches a key.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        Uuid::parse_str(raw)
            .map(Self)
            .map_err(|_| FieldError::new(field, "must be a group id (UUID)"))
    }
}

impl Default for GroupId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// An account's identifier: the identity provider's stable subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    /// Accepts the characters Cognito and common IdPs use in `sub`, bounded so keys stay small.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ok_len = (1..=128).contains(&raw.len());
        let ok_chars = raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'|' | b':'));
        if ok_len && ok_chars {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::new(field, "must be an account id"))
        }
    }

    /// The id as stored in keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("accountId", &value).map_err(|e| e.reason)
    }
}

impl From<AccountId> for String {
    fn from(value: AccountId) -> Self {
        value.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A UUID path parameter (snapshot, upload): any other text is a 400 naming
/// the parameter.
pub fn parse_uuid(field: &str, raw: &str) -> Result<uuid::Uuid, FieldError> {
    uuid::Uuid::parse_str(raw).map_err(|_| FieldError::new(field, "must be a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_ids_round_trip_and_reject_non_uuids() {
        let id = GroupId::new();
        assert_eq!(GroupId::parse("gid", &id.to_string()).ok(), Some(id));
        for bad in ["", "abc", "GROUP#x", "00000000-0000-0000-0000-00000000000g"] {
            assert!(
                GroupId::parse("gid", bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn account_ids_reject_key_separators_and_oversized_values() {
        assert!(AccountId::parse("sub", "3f1c-9a_b.c").is_ok());
        for bad in ["", "a#b", "a b", &"x".repeat(129), "ü"] {
            assert!(
                AccountId::parse("sub", bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }
}
