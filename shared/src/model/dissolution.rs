//! Dissolving a group: a preview whose short-lived token the confirmation
//! must present, then progress the dissolution job resumes from.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AccountId, TokenHash};

/// How long a preview's confirmation token works.
pub const PREVIEW_VALIDITY: time::Duration = time::Duration::minutes(15);

/// Where a dissolution is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DissolutionState {
    /// Previewed: a confirmation with the token starts it.
    Previewed,
    /// Confirmed: the job is detaching members and removing data.
    Confirmed,
    /// Finished.
    Done,
}

/// A group's dissolution record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dissolution {
    /// Where it is.
    pub state: DissolutionState,
    /// The preview's token hash (only while previewed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_hash: Option<TokenHash>,
    /// When the preview's token stops working (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
    /// The admin who previewed it.
    pub previewed_by: AccountId,
    /// The admin who confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<AccountId>,
    /// When it was confirmed.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub confirmed_at: Option<OffsetDateTime>,
    /// The final usage record was written (before any member left).
    #[serde(default)]
    pub final_usage_recorded: bool,
    /// Members detached so far.
    #[serde(default)]
    pub members_detached: u32,
}

/// A fresh confirmation token: its text (shown once) and its hash (stored).
pub fn confirmation_token() -> (String, TokenHash) {
    use base64::Engine;
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let hash = TokenHash::of(&text);
    (text, hash)
}
