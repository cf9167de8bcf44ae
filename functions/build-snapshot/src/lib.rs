//! The `build-snapshot` job worker, behind its SQS queue: streams the files
//! and folders an admin picked into one zip (stored entries, ZIP64) written
//! to the snapshots bucket by S3 multipart upload, memory bounded by a part
//! or two whatever the size, and marks the snapshot Ready (size, file count)
//! or Failed (why: nothing left to snapshot, a file deleted meanwhile).
//! The work lives in `shared::jobs::snapshot`, so tests and the local run
//! call the same code.
//!
//! Each message is one job; failures are reported per message
//! (`ReportBatchItemFailures`), retried by SQS and finally dead-lettered
//! (alarmed). A retry aborts the multipart upload an earlier attempt left
//! (noted on the snapshot) and starts over; a finished snapshot is left alone.
//!
//! DynamoDB: one `GetItem` (snapshot), one `GetItem` (a stranded upload),
//! one `UpdateItem` when the upload starts and one to finish. S3: one
//! `ListObjectsV2` per 1,000 objects per folder picked, one `GetObject` per
//! file, `CreateMultipartUpload`, one `UploadPart` per 8 MiB,
//! `CompleteMultipartUpload` (or `AbortMultipartUpload` on failure).

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;
use shared::Deps;
use shared::jobs::runner;

/// Runs the batch's jobs within the invocation's remaining time.
#[tracing::instrument(name = "build_snapshot", skip_all, fields(messages = event.payload.records.len()))]
pub async fn handler(deps: &Deps, event: LambdaEvent<SqsEvent>) -> SqsBatchResponse {
    runner::handle(deps, event).await
}
