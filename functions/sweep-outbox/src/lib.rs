//! The outbox sweep: every five minutes (EventBridge Scheduler), delivers
//! the outbox items the stream did not settle, with the outbox sender's own
//! code (`OutboxSender::sweep`). Nothing is sent twice: each item is read
//! again consistently and marked with the same conditions as a stream
//! delivery.
//!
//! DynamoDB: one `Query` on GSI1 per index shard (8), then per unsettled
//! item one consistent `GetItem` and one conditional `UpdateItem`.

use lambda_runtime::LambdaEvent;
use shared::delivery::{OutboxSender, SweepReport};

/// Items younger than this are the stream's to deliver.
pub const OLDER_THAN: std::time::Duration = std::time::Duration::from_secs(5 * 60);

/// Sweeps once; the schedule's payload carries nothing the sweep needs.
#[tracing::instrument(name = "sweep_outbox", skip_all)]
pub async fn handler(sender: &OutboxSender, _event: LambdaEvent<serde_json::Value>) -> SweepReport {
    sender.sweep(OLDER_THAN).await
}
