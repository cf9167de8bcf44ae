//! A person's account, created from their verified identity on first use.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AccountId, EmailAddress};

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
}
