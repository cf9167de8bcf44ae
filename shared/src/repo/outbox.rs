//! Outbox items (DESIGN §4, §6): written by state changes inside their own
//! transaction, read and marked by the outbox sender.
//!
//! Item: PK `OUTBOX#<id>`, SK `OUTBOX`, `entity` = `Outbox`, the
//! [`OutboxItem`] fields (`id`, `payload`, `createdAt`), `expiresAt` (TTL,
//! creation + [`RETENTION`](crate::outbox::RETENTION)); the sender adds
//! `sentAt`, or `failedAt` and
//! `failure`, and removes `GSI1PK`/`GSI1SK` (the sparse index of unsettled
//! items, sharded: `OUTBOX#UNSETTLED#<n>`, sorted by creation). Marks are conditional, so a settled item is never re-marked
//! and a missing one is never recreated by an update.

use serde::Deserialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Repository, from_item, key_map, s, sdk_error, service_error};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::rfc3339;
use crate::outbox::{OutboxItem, StoredOutboxItem};

/// Delivery marks the sender adds to an item.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marks {
    #[serde(default, with = "time::serde::rfc3339::option")]
    sent_at: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    failed_at: Option<OffsetDateTime>,
    #[serde(default)]
    failure: Option<String>,
}

/// Only an item that exists and is neither sent nor failed may be marked.
const UNSETTLED: &str =
    "attribute_exists(PK) AND attribute_not_exists(sentAt) AND attribute_not_exists(failedAt)";

impl Repository {
    /// Writes one outbox item on its own, for tests and local tooling (state
    /// changes add `outbox_put` to their transaction; this sends that very
    /// `Put`, so the item has one shape). One conditional `PutItem`.
    pub async fn put_outbox_item(&self, item: &OutboxItem) -> Result<()> {
        self.send_outbox_put(item).await?.map_err(sdk_error)?;
        Ok(())
    }

    /// Sends `outbox_put`'s conditional `Put` as a `PutItem`, its outcome
    /// left for the caller (a failed condition means the id exists).
    pub(super) async fn send_outbox_put(
        &self,
        item: &OutboxItem,
    ) -> Result<
        std::result::Result<
            aws_sdk_dynamodb::operation::put_item::PutItemOutput,
            aws_sdk_dynamodb::error::SdkError<
                aws_sdk_dynamodb::operation::put_item::PutItemError,
                aws_smithy_runtime_api::client::orchestrator::HttpResponse,
            >,
        >,
    > {
        let put = self
            .outbox_put(item)?
            .put
            .ok_or_else(|| Error::unexpected("outbox_put built no Put"))?;
        Ok(self
            .client
            .put_item()
            .table_name(put.table_name)
            .set_item(Some(put.item))
            .set_condition_expression(put.condition_expression)
            .send()
            .await)
    }

    /// The item and its delivery marks; `None` if it does not exist (TTL
    /// removed it, or it never did). One consistent `GetItem`, because the
    /// stream delivers at least once and a stale read would send twice.
    pub async fn outbox_item(&self, id: &Uuid) -> Result<Option<StoredOutboxItem>> {
        let output = self
            .client
            .get_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::outbox(id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        let Some(attributes) = output.item else {
            return Ok(None);
        };
        let marks: Marks = from_item(attributes.clone())?;
        Ok(Some(StoredOutboxItem {
            item: from_item(attributes)?,
            sent_at: marks.sent_at,
            failed_at: marks.failed_at,
            failure: marks.failure,
        }))
    }

    /// Unsettled outbox items written before `before` (the stream should
    /// have delivered them long ago), at most `per_shard` of each shard,
    /// oldest first. One `Query` on GSI1 per shard (eventually consistent:
    /// the sender reads each item again, consistently, before delivering).
    pub async fn unsettled_outbox(
        &self,
        before: OffsetDateTime,
        per_shard: i32,
    ) -> Result<Vec<Uuid>> {
        let mut ids = Vec::new();
        for shard in 0..keys::OUTBOX_UNSETTLED_SHARDS {
            let out = self
                .client
                .query()
                .table_name(self.table())
                .index_name(keys::GSI1)
                .key_condition_expression("GSI1PK = :pk AND GSI1SK < :before")
                .expression_attribute_values(":pk", s(keys::outbox_unsettled(shard)))
                .expression_attribute_values(":before", s(rfc3339(before)))
                .limit(per_shard)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in out.items.unwrap_or_default() {
                let id = item
                    .get(keys::PK)
                    .and_then(|pk| pk.as_s().ok())
                    .and_then(|pk| pk.strip_prefix("OUTBOX#"))
                    .and_then(|id| Uuid::parse_str(id).ok())
                    .ok_or_else(|| Error::unexpected("an unsettled outbox entry without an id"))?;
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Marks a delivered item sent. `false` when it was already settled (or
    /// is missing): nothing changed. One conditional `UpdateItem`.
    pub async fn mark_outbox_sent(&self, id: &Uuid, at: OffsetDateTime) -> Result<bool> {
        self.mark_outbox(id, "SET sentAt = :at", vec![(":at", s(rfc3339(at)))])
            .await
    }

    /// Marks an item that can never be delivered, with a short reason (an
    /// error kind and code, never the message). `false` when it was already
    /// settled (or is missing). One conditional `UpdateItem`.
    pub async fn mark_outbox_failed(
        &self,
        id: &Uuid,
        at: OffsetDateTime,
        reason: &str,
    ) -> Result<bool> {
        self.mark_outbox(
            id,
            "SET failedAt = :at, failure = :reason",
            vec![(":at", s(rfc3339(at))), (":reason", s(reason))],
        )
        .await
    }

    /// Settling an item also drops an email's bodies: they may carry a live
    /// invite token, which must not outlive its delivery in the table.
    async fn mark_outbox(
        &self,
        id: &Uuid,
        update: &str,
        values: Vec<(&str, aws_sdk_dynamodb::types::AttributeValue)>,
    ) -> Result<bool> {
        let mut request = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::outbox(id))))
            .update_expression(format!(
                "{update} REMOVE payload.#text, payload.html, GSI1PK, GSI1SK"
            ))
            .expression_attribute_names("#text", "text")
            .condition_expression(UNSETTLED);
        for (name, value) in values {
            request = request.expression_attribute_values(name, value);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_conditional_check_failed_exception() {
                    Ok(false)
                } else {
                    Err(service_error(e))
                }
            }
        }
    }
}
