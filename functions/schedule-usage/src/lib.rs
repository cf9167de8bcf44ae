//! The daily usage schedule's target: finds the groups on the usage
//! schedule through the sparse index (never a scan) and writes one
//! `RecordUsage` job per group for the scheduled day, through the outbox.
//! A schedule delivered twice writes the jobs twice, and a day recorded
//! twice stays one record (see `shared::jobs::usage`).
//!
//! EventBridge Scheduler invokes it asynchronously with the schedule's
//! input (`events/scheduler/usage.json`); its retry policy and dead-letter
//! queue catch a failed run.
//!
//! DynamoDB: one `Query` on GSI1 per 500 groups, one `BatchWriteItem` per 25 jobs.

use shared::Deps;

/// The schedule's input (one shape for every schedule).
pub use shared::jobs::ScheduledRun;

/// How many jobs a run wrote.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheduled {
    /// Jobs written.
    pub jobs: usize,
}

/// Writes the day's jobs; an error fails the invocation, so the
/// scheduler's retry policy runs it again.
#[tracing::instrument(name = "schedule_usage", skip_all, fields(schedule = %run.schedule))]
pub async fn handler(deps: &Deps, run: ScheduledRun) -> shared::Result<Scheduled> {
    if run.schedule != shared::repo::USAGE_SCHEDULE {
        return Err(shared::Error::invalid(
            "schedule",
            "this function runs the usage schedule",
        ));
    }
    let day = run.scheduled_time.date();
    let jobs = shared::jobs::usage::schedule(deps, day, deps.clock.now()).await?;
    tracing::info!(%day, jobs, "usage jobs written");
    Ok(Scheduled { jobs })
}
