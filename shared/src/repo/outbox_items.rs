//! Turning outbox items into transaction puts (the sender's reads and marks live in `outbox.rs`).

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

use super::tx::{Refusal, Tx};
use super::{Repository, n, s, to_item};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::rfc3339;
use crate::outbox::{OutboxItem, RETENTION};

impl Repository {
    /// A `Put` of an outbox item, for the transaction of the change that causes it.
    pub(super) fn outbox_put(&self, item: &OutboxItem) -> Result<TransactWriteItem> {
        let mut attrs = to_item(&keys::outbox(&item.id), "Outbox", item)?;
        attrs.insert(
            keys::EXPIRES_AT.to_owned(),
            n((item.created_at + RETENTION).unix_timestamp()),
        );
        // On the sparse index of unsettled items until the sender settles it,
        // so the sweep finds what the stream did not deliver.
        attrs.insert(
            keys::GSI1PK.to_owned(),
            s(keys::outbox_unsettled(keys::outbox_shard(&item.id))),
        );
        attrs.insert(keys::GSI1SK.to_owned(), s(rfc3339(item.created_at)));
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(attrs))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(Error::unexpected)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Writes outbox items that no change causes in the same transaction
    /// (a schedule's jobs, a job's continuation): each is a whole new item,
    /// so writing one again is harmless. One `BatchWriteItem` per 25.
    pub async fn put_outbox_items(&self, items: &[OutboxItem]) -> Result<()> {
        let items = items
            .iter()
            .map(|item| {
                self.outbox_put(item)?
                    .put
                    .map(|put| put.item)
                    .ok_or_else(|| Error::unexpected("outbox_put built no Put"))
            })
            .collect::<Result<Vec<_>>>()?;
        self.put_all(items).await
    }

    /// Adds the outbox items a change causes to that change's transaction.
    pub(super) fn add_outbox(&self, tx: &mut Tx<'_>, items: &[OutboxItem]) -> Result<()> {
        for item in items {
            tx.push(
                self.outbox_put(item)?,
                Some(Refusal::always(|| {
                    Error::unexpected("an outbox item's id is already taken")
                })),
            );
        }
        Ok(())
    }
}
