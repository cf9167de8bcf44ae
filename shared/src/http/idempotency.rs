//! The `Idempotency-Key` header: what a write stores so a retry replays it.

use lambda_http::{Body, Request};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::repo::{IdempotentWrite, StoredResponse};

/// Header name (IETF draft `Idempotency-Key`).
pub const HEADER: &str = "idempotency-key";

/// A write's idempotency identity, before its response is known.
#[derive(Debug, Clone)]
pub struct IdempotencyRequest {
    caller: Caller,
    key_digest: String,
    fingerprint: String,
}

impl IdempotencyRequest {
    /// Attaches the response the write will store for replays.
    pub fn with_response(&self, response: &StoredResponse) -> IdempotentWrite {
        IdempotentWrite {
            caller: self.caller.account_id.clone(),
            key_digest: self.key_digest.clone(),
            fingerprint: self.fingerprint.clone(),
            response: response.clone(),
        }
    }
}

impl IdempotencyRequest {
    /// After a refused write: the reply of the earlier request with this key,
    /// if that is what refused it (its change already happened).
    pub async fn earlier_reply(
        &self,
        repo: &crate::repo::Repository,
        now: time::OffsetDateTime,
    ) -> Result<Option<StoredResponse>> {
        repo.stored_reply(
            &self.caller.account_id,
            &self.key_digest,
            &self.fingerprint,
            now,
        )
        .await
    }
}

/// Reads the header, if present: 1–255 visible ASCII characters.
pub fn idempotency_request(req: &Request, caller: &Caller) -> Result<Option<IdempotencyRequest>> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Error::invalid("Idempotency-Key", "must be 1-255 visible ASCII characters")
        })?;
    let body: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    let mut fingerprint = Sha256::new();
    fingerprint.update(req.method().as_str());
    fingerprint.update([0]);
    fingerprint.update(req.uri().path());
    fingerprint.update([0]);
    fingerprint.update(body);
    Ok(Some(IdempotencyRequest {
        caller: caller.clone(),
        key_digest: format!("{:x}", Sha256::digest(key.as_bytes())),
        fingerprint: format!("{:x}", fingerprint.finalize()),
    }))
}
