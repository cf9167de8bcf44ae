//! The report schedules' target (EventBridge Scheduler, weekly and
//! monthly): finds the groups on each mailing's schedule through the
//! sparse index (never a scan) and writes one job per group and period
//! through the outbox: a `BuildReport` for groups whose admins get the
//! report, a `SendSummaries` for groups whose members get summaries. The
//! period is the one the schedule was due in, so a late delivery names the
//! same period, and a repeated one writes jobs that find their work done.
//!
//! EventBridge Scheduler invokes it asynchronously with the schedule's
//! input (`events/scheduler/weekly-report.json`); its retry policy and
//! dead-letter queue catch a failed run.
//!
//! DynamoDB per mailing: one `Query` on GSI1 per 500 groups, one
//! `BatchWriteItem` per 25 jobs.

use shared::Deps;
use shared::model::EmailCadence;

/// The schedule's input (one shape for every schedule).
pub use shared::jobs::ScheduledRun;

/// What a run wrote.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ran {
    /// The period the jobs are for.
    pub period: String,
    /// Jobs written.
    #[serde(flatten)]
    pub jobs: shared::jobs::report::Scheduled,
}

/// The cadence a schedule's name stands for.
pub fn cadence_of(schedule: &str) -> shared::Result<EmailCadence> {
    match schedule {
        "weekly" => Ok(EmailCadence::Weekly),
        "monthly" => Ok(EmailCadence::Monthly),
        _ => Err(shared::Error::invalid(
            "schedule",
            "this function runs the weekly and monthly report schedules",
        )),
    }
}

/// Writes the period's jobs; an error fails the invocation, so the
/// scheduler's retry policy runs it again.
#[tracing::instrument(name = "weekly_report", skip_all, fields(schedule = %run.schedule))]
pub async fn handler(deps: &Deps, run: ScheduledRun) -> shared::Result<Ran> {
    let cadence = cadence_of(&run.schedule)?;
    let (period, jobs) = shared::jobs::report::schedule(deps, cadence, run.scheduled_time).await?;
    tracing::info!(%period, reports = jobs.reports, summaries = jobs.summaries, "report jobs written");
    Ok(Ran {
        period: period.to_string(),
        jobs,
    })
}
