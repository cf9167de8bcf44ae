//! `BatchWriteItem` for work that writes or deletes many independent items
//! (usage records, a dissolved group's leftovers, scheduled jobs): 25 items
//! a call, unprocessed items retried with backoff. Each item is idempotent
//! on its own (a put of a whole item, a delete by key), so a batch cut
//! short by a crash is simply written again.

use std::time::Duration;

use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};

use super::{Item, Repository, key_map, sdk_error};
use crate::error::{Error, Result};
use crate::keys::Key;

/// Items per `BatchWriteItem` (DynamoDB's limit).
const PER_CALL: usize = 25;
/// Attempts at the items DynamoDB left unprocessed (throttling).
const ATTEMPTS: u32 = 8;

impl Repository {
    /// Puts every item. One `BatchWriteItem` per 25 (more when throttled).
    pub(crate) async fn put_all(&self, items: Vec<Item>) -> Result<()> {
        let requests = items
            .into_iter()
            .map(|item| {
                PutRequest::builder()
                    .set_item(Some(item))
                    .build()
                    .map(|put| WriteRequest::builder().put_request(put).build())
                    .map_err(Error::unexpected)
            })
            .collect::<Result<Vec<_>>>()?;
        self.write_all(requests).await
    }

    /// Deletes every key. One `BatchWriteItem` per 25 (more when throttled).
    pub(crate) async fn delete_all(&self, keys: &[Key]) -> Result<()> {
        let requests = keys
            .iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key_map(key)))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(Error::unexpected)
            })
            .collect::<Result<Vec<_>>>()?;
        self.write_all(requests).await
    }

    async fn write_all(&self, requests: Vec<WriteRequest>) -> Result<()> {
        for chunk in requests.chunks(PER_CALL) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0;
            while !pending.is_empty() {
                attempt += 1;
                if attempt > ATTEMPTS {
                    return Err(Error::unexpected(format!(
                        "{} items still unprocessed after {ATTEMPTS} attempts",
                        pending.len()
                    )));
                }
                if attempt > 1 {
                    let jitter = u64::from(rand::random::<u8>() % 50);
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt) + jitter))
                        .await;
                }
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(self.table(), pending)
                    .send()
                    .await
                    .map_err(sdk_error)?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(self.table()))
                    .unwrap_or_default();
            }
        }
        Ok(())
    }
}
