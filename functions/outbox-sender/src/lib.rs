//! The outbox sender: fed by the table's DynamoDB stream, it delivers each
//! new outbox item (email through the `Mailer`, membership event through the
//! `EventPublisher`) and marks it sent. The work lives in
//! `shared::delivery`, so tests and the local run call the same code.
//!
//! Records still failing transiently are returned as partial batch failures
//! (`ReportBatchItemFailures`): the event source mapping retries them
//! (bisecting the batch) and finally sends them to its on-failure
//! destination.
//!
//! DynamoDB: per outbox record, one consistent `GetItem` and one conditional
//! `UpdateItem`; other records cost nothing.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;
use shared::delivery::OutboxSender;

/// Handles one batch of stream records; never fails as a whole, so only the
/// records that need it are retried.
#[tracing::instrument(name = "outbox_sender", skip_all, fields(records = event.payload.records.len()))]
pub async fn handler(sender: &OutboxSender, event: LambdaEvent<Event>) -> DynamoDbEventResponse {
    let failed = sender.deliver_records(&event.payload.records).await;
    if !failed.is_empty() {
        tracing::warn!(failed = failed.len(), "reporting batch item failures");
    }
    response(failed)
}

/// The partial batch response naming each failed record by sequence number.
pub fn response(failed_sequence_numbers: Vec<String>) -> DynamoDbEventResponse {
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed_sequence_numbers
        .into_iter()
        .map(|sequence_number| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            failure
        })
        .collect();
    response
}
