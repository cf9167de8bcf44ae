//! The `record-usage` job worker, behind its SQS queue: records one
//! group's usage for a day (each member account's, and the group's total).
//! The work lives in `shared::jobs`, so tests and the local run call the
//! same code.
//!
//! Each message is one job; failures are reported per message
//! (`ReportBatchItemFailures`), retried by SQS, and finally sent to the
//! queue's dead-letter queue (alarmed). Jobs are idempotent, and a long one
//! stops before the invocation's deadline, leaving a continuation job.
//!
//! DynamoDB, per group: one `BatchGetItem` (group, billing, counters); per
//! 100 members one `Query`, one `BatchGetItem` (accounts) and four
//! `BatchWriteItem`s (account usage); one `PutItem` (the group's total).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use shared::Deps;
use shared::jobs::runner;

/// Runs the batch's jobs within the invocation's remaining time.
#[tracing::instrument(name = "record_usage", skip_all, fields(messages = event.payload.records.len()))]
pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> SqsBatchResponse {
    runner::handle(deps, event).await
}
