//! `Idempotency-Key` records: written in the same transaction as the change
//! they guard, so one key can never produce two changes.

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Item, Repository, from_item, n, to_item};
use crate::error::{Error, Result};
use crate::keys;
use crate::reply::{IdempotencyRequest, Reply};

/// How long a key is remembered.
pub const RETENTION: time::Duration = time::Duration::hours(24);

/// What a write stores under its idempotency key: the reply a retry gets.
#[derive(Debug, Clone)]
pub struct IdempotentWrite {
    /// The key and the request it came with.
    pub request: IdempotencyRequest,
    /// The reply to replay.
    pub reply: Reply,
}

/// The result of a guarded write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// The change was made now.
    Fresh,
    /// The key was seen before with the same request: here is the original reply.
    Replayed(Reply),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Record {
    fingerprint: String,
    response: Reply,
    expires_at: i64,
}

impl IdempotentWrite {
    /// The transaction item that records the key (fails if the key is live).
    pub(crate) fn put(&self, repo: &Repository, now: OffsetDateTime) -> Result<TransactWriteItem> {
        let record = Record {
            fingerprint: self.request.fingerprint.clone(),
            response: self.reply.clone(),
            expires_at: (now + RETENTION).unix_timestamp(),
        };
        let item = to_item(
            &keys::idempotency(&self.request.caller, &self.request.key_digest),
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

    /// The record's condition failed: the key is live. The same request
    /// replays its first reply; another one is refused.
    pub(crate) fn replay(&self, old: Option<Item>) -> Result<Written> {
        let old =
            old.ok_or_else(|| Error::unexpected("idempotency record missing from cancellation"))?;
        let record: Record = from_item(old)?;
        if record.fingerprint == self.request.fingerprint {
            Ok(Written::Replayed(record.response))
        } else {
            Err(Error::IdempotencyKeyReused)
        }
    }
}

impl Repository {
    /// The stored reply for this key, if a live record exists: `Ok(Some)`
    /// when the fingerprint matches, `IdempotencyKeyReused` when it does not.
    /// Used only after a write was refused, to tell a retry from a conflict.
    /// One consistent `GetItem`.
    pub async fn stored_reply(
        &self,
        request: &IdempotencyRequest,
        now: OffsetDateTime,
    ) -> Result<Option<Reply>> {
        let record: Option<Record> = self
            .get(&keys::idempotency(&request.caller, &request.key_digest))
            .await?;
        match record {
            Some(r) if r.expires_at < now.unix_timestamp() => Ok(None),
            Some(r) if r.fingerprint == request.fingerprint => Ok(Some(r.response)),
            Some(_) => Err(Error::IdempotencyKeyReused),
            None => Ok(None),
        }
    }
}
