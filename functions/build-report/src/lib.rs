//! The `build-report` job worker, behind its SQS queue: builds a group's
//! User Stats report of a period (and for a scheduled period emails it to
//! the admins), or emails a group's members their backup summaries. The
//! work lives in `shared::jobs::report`, so tests and the local run call
//! the same code.
//!
//! Each message is one job; failures are reported per message
//! (`ReportBatchItemFailures`), retried by SQS, and finally sent to the
//! queue's dead-letter queue (alarmed). Jobs are idempotent: a Ready report
//! is not built again, and each scheduled email is written once.
//!
//! DynamoDB and S3: see `shared::jobs::report::build` and `summarise`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use shared::Deps;
use shared::jobs::runner;

/// Runs the batch's jobs within the invocation's remaining time.
#[tracing::instrument(name = "build_report", skip_all, fields(messages = event.payload.records.len()))]
pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> SqsBatchResponse {
    runner::handle(deps, event).await
}
