//! The daily domain re-check's target (EventBridge Scheduler): looks up
//! the TXT record of every verified domain again, least recently checked
//! first, a few at a time (never a scan: verified domains carry a sparse
//! index entry). A record still there is noted; a record definitely gone
//! (NXDOMAIN, or no TXT record with the value) suspends its domain, so its
//! addresses ask to join again, and emails the group's admins once. A
//! look-up that could not tell (timeout, SERVFAIL) changes nothing and is
//! tried again the next day. A run stops starting look-ups 20 seconds
//! before its deadline; the next run carries on with the least recently
//! checked.
//!
//! EventBridge Scheduler invokes it asynchronously with the schedule's
//! input (`events/scheduler/recheck-domains.json`); its retry policy and
//! dead-letter queue catch a failed run.
//!
//! DynamoDB: one `Query` on GSI1 per 100 verified domains; per domain
//! still proven one conditional `UpdateItem`; per domain suspended one
//! `GetItem` (the group: its admins) and one `TransactWriteItems` (the
//! suspension and the admins' email). DNS: one TXT look-up per domain.

use shared::Deps;
use shared::jobs::Budget;
use shared::jobs::domains::Rechecked;

/// The schedule's input (one shape for every schedule).
pub use shared::jobs::ScheduledRun;

/// The schedule's name in its input.
pub const SCHEDULE: &str = "domains";

/// Re-checks the verified domains within `budget`; an error fails the
/// invocation, so the scheduler's retry policy runs it again (a domain
/// already suspended is not suspended, nor its admins emailed, twice).
#[tracing::instrument(name = "recheck_domains", skip_all, fields(schedule = %run.schedule))]
pub async fn handler(deps: &Deps, run: ScheduledRun, budget: Budget) -> shared::Result<Rechecked> {
    if run.schedule != SCHEDULE {
        return Err(shared::Error::invalid(
            "schedule",
            "this function runs the domain re-check schedule",
        ));
    }
    shared::jobs::domains::recheck(deps, budget).await
}
