//! The `Idempotency-Key` header, read into the request identity a write
//! stores its reply under.

use lambda_http::{Body, Request};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::reply::IdempotencyRequest;

/// Header name (IETF draft `Idempotency-Key`).
pub const HEADER: &str = "idempotency-key";

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
        caller: caller.account_id.clone(),
        key_digest: format!("{:x}", Sha256::digest(key.as_bytes())),
        fingerprint: format!("{:x}", fingerprint.finalize()),
    }))
}
