//! What a write answers and what a retry of it gets back: neutral ground
//! for the HTTP glue (which renders and parses), the service (which decides
//! the reply) and the repository (which stores it with the change).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::AccountId;

/// A reply as sent, and as stored for replays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body (empty for 204).
    pub body: String,
}

impl Reply {
    /// `view` as JSON with `status`.
    pub fn json(status: u16, view: &impl Serialize) -> Result<Self> {
        Ok(Self {
            status,
            body: serde_json::to_string(view).map_err(Error::unexpected)?,
        })
    }

    /// A reply with no body.
    pub fn no_content() -> Self {
        Self {
            status: 204,
            body: String::new(),
        }
    }
}

/// A write's `Idempotency-Key`, as the HTTP glue read it: whose key, and
/// what request it came with. Keys are per caller, and only their digest is
/// kept, so arbitrary key text never shapes a table key.
#[derive(Debug, Clone)]
pub struct IdempotencyRequest {
    /// The caller who sent the key.
    pub(crate) caller: AccountId,
    /// SHA-256 of the key (hex).
    pub(crate) key_digest: String,
    /// SHA-256 of method, path and body: the same key with another request is refused.
    pub(crate) fingerprint: String,
}
