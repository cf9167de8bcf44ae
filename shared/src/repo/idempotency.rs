//! `Idempotency-Key` records: written in the same transaction as the change
//! they guard, so one key can never produce two changes.

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Repository, from_item, n, to_item, tx::Reason};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::AccountId;

/// How long a key is remembered.
pub const RETENTION: time::Duration = time::Duration::hours(24);

/// The response a retried request gets back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: String,
}

/// What a write stores under its idempotency key.
#[derive(Debug, Clone)]
pub struct IdempotentWrite {
    /// The caller who sent the key (keys are per caller).
    pub caller: AccountId,
    /// SHA-256 of the client's key (hex), so arbitrary key text never shapes our keys.
    pub key_digest: String,
    /// SHA-256 of method, path and body: a different request under the same key is refused.
    pub fingerprint: String,
    /// The response to replay.
    pub response: StoredResponse,
}

/// The result of a guarded write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The change was made now.
    Fresh,
    /// The key was seen before with the same request: here is the original response.
    Replayed(StoredResponse),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    fingerprint: String,
    response: StoredResponse,
    expires_at: i64,
}

impl IdempotentWrite {
    /// The transaction item that records the key (fails if the key is live).
    pub(crate) fn put(&self, repo: &Repository, now: OffsetDateTime) -> Result<TransactWriteItem> {
        let record = Record {
            fingerprint: self.fingerprint.clone(),
            response: self.response.clone(),
            expires_at: (now + RETENTION).unix_timestamp(),
        };
        let item = to_item(
            &keys::idempotency(&self.caller, &self.key_digest),
            "Idempotency",
            &record,
        )?;
        let put = Put::builder()
            .table_name(repo.table())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK) OR expiresAt < :now")
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::unexpected)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Interprets the idempotency item's cancellation reason, if it failed.
    pub(crate) fn outcome(&self, reason: Option<&Reason>) -> Option<Result<Written>> {
        let reason = reason.filter(|r| r.failed())?;
        let Some(old) = reason.old.clone() else {
            return Some(Err(Error::unexpected(
                "idempotency record missing from cancellation",
            )));
        };
        Some(match from_item::<Record>(old) {
            Ok(record) if record.fingerprint == self.fingerprint => {
                Ok(Written::Replayed(record.response))
            }
            Ok(_) => Err(Error::IdempotencyKeyReused),
            Err(e) => Err(e),
        })
    }
}

impl Repository {
    /// The stored reply for `key_digest`, if a live record exists: `Ok(Some)`
    /// when the fingerprint matches, `IdempotencyKeyReused` when it does not.
    /// Used only after a write was refused, to tell a retry from a conflict.
    /// One consistent `GetItem`.
    pub async fn stored_reply(
        &self,
        caller: &AccountId,
        key_digest: &str,
        fingerprint: &str,
        now: OffsetDateTime,
    ) -> Result<Option<StoredResponse>> {
        let record: Option<Record> = self.get(&keys::idempotency(caller, key_digest)).await?;
        match record {
            Some(r) if r.expires_at < now.unix_timestamp() => Ok(None),
            Some(r) if r.fingerprint == fingerprint => Ok(Some(r.response)),
            Some(_) => Err(Error::IdempotencyKeyReused),
            None => Ok(None),
        }
    }
}
