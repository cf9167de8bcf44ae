//! The `dissolve-group` job worker, behind its SQS queue: carries a
//! confirmed dissolution through (final usage, members detached and
//! emailed, leftovers removed).
//! The work lives in `shared::jobs`, so tests and the local run call the
//! same code.
//!
//! Each message is one job; failures are reported per message
//! (`ReportBatchItemFailures`), retried by SQS, and finally sent to the
//! queue's dead-letter queue (alarmed). Jobs are idempotent, and a long one
//! stops before the invocation's deadline, leaving a continuation job.
//!
//! DynamoDB: one `BatchGetItem` (group, dissolution); the final usage as
//! `record-usage` records it, then one `UpdateItem` (marked recorded); per 25
//! members one `Query`, and per member one `GetItem` (account) and one
//! `TransactWriteItems`; one consistent `Query` over the group's partition and
//! one `BatchWriteItem` per 25 leftovers deleted; one `TransactWriteItems` to
//! finish.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use shared::Deps;
use shared::jobs::runner;

/// Runs the batch's jobs within the invocation's remaining time.
#[tracing::instrument(name = "dissolve_group", skip_all, fields(messages = event.payload.records.len()))]
pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> SqsBatchResponse {
    runner::handle(deps, event).await
}
