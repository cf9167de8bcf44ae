//! The job Lambdas' common work: an SQS batch of jobs, each run within the
//! time the invocation has left, failures reported per message so only
//! those are retried (and finally dead-lettered).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_http::LambdaEvent;
use tracing::Instrument;

use super::{Budget, Job, dissolve, usage};
use crate::deps::Deps;
use crate::error::Result;

/// Runs one job. A dissolution stops before `budget` runs out and leaves a
/// continuation job for the rest.
pub async fn run(deps: &Deps, job: &Job, budget: Budget) -> Result<()> {
    // Boxed: the jobs' futures are deep, and a worker's `main` need not
    // carry their whole layout in its own.
    match job {
        Job::RecordUsage { group_id, day } => Box::pin(usage::record(deps, group_id, *day))
            .await
            .map(drop),
        Job::DissolveGroup { group_id } => Box::pin(dissolve::run(deps, group_id, budget))
            .await
            .map(drop),
        #[cfg(feature = "snapshots")]
        Job::BuildSnapshot {
            account_id,
            snapshot_id,
            ..
        } => Box::pin(super::snapshot::build(deps, account_id, snapshot_id)).await,
        #[cfg(not(feature = "snapshots"))]
        Job::BuildSnapshot { .. } => Err(crate::Error::unexpected(
            "this worker is built without snapshots; the job goes to build-snapshot",
        )),
        #[cfg(feature = "reports")]
        Job::BuildReport { group_id, period } => {
            Box::pin(super::report::build(deps, group_id, period)).await
        }
        #[cfg(feature = "reports")]
        Job::SendSummaries { group_id, period } => {
            Box::pin(super::report::summarise(deps, group_id, period))
                .await
                .map(drop)
        }
        #[cfg(not(feature = "reports"))]
        Job::BuildReport { .. } | Job::SendSummaries { .. } => Err(crate::Error::unexpected(
            "this worker is built without reports; the job goes to build-report",
        )),
    }
}

/// Time kept back from an invocation's deadline to record progress and answer.
const MARGIN: std::time::Duration = std::time::Duration::from_secs(20);

/// A job worker Lambda's whole handler: the batch's jobs within the time the
/// invocation has left (a dissolution stops before it runs out and leaves a
/// continuation job).
pub async fn handle(deps: &Deps, event: LambdaEvent<SqsEvent>) -> SqsBatchResponse {
    let left = event
        .context
        .deadline()
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    run_batch(
        deps,
        event.payload,
        Budget::for_time(left.saturating_sub(MARGIN)),
    )
    .await
}

/// Runs every job of an SQS batch, one after the other; the response names
/// the messages to retry. A message that is not a job can never succeed:
/// it is reported failed, so it ends in the dead-letter queue for a person.
pub async fn run_batch(deps: &Deps, event: SqsEvent, budget: Budget) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let id = message.message_id.clone().unwrap_or_default();
        let outcome = match serde_json::from_str::<Job>(message.body.as_deref().unwrap_or("")) {
            Ok(job) => {
                let span = tracing::info_span!("job", kind = job.kind().name(), group_id = %job.group_id(), message_id = %id);
                run(deps, &job, budget).instrument(span).await
            }
            Err(e) => {
                tracing::error!(message_id = %id, error = %e, "not a job; leaving it to the dead-letter queue");
                Err(crate::Error::unexpected(e))
            }
        };
        if let Err(e) = outcome {
            tracing::error!(message_id = %id, error = %e, "job failed; it will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
