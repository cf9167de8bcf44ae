//! Operations: each validates who may act, applies the rules and makes one
//! repository write. Handlers call exactly one of these. Modules follow the
//! product's journeys; what each journey announces (emails, events) is
//! built in `announcements`.

#[cfg(feature = "identity-port")]
pub mod accounts;
mod announcements;
pub mod audit;
pub mod billing;
#[cfg(feature = "identity-port")]
pub mod contact;
pub mod dissolution;
pub mod domains;
#[cfg(feature = "files")]
pub mod files;
pub mod groups;
mod idempotency;
pub mod invitations;
pub mod joining;
pub mod managed;
pub mod me;
pub mod members;
pub mod reports;
pub mod requests;
pub mod users;

use std::future::Future;

use crate::error::Result;
use crate::problem::ProblemKind;

/// Attempts of an operation whose write found its reads outdated.
const ATTEMPTS: u32 = 3;

/// Runs an operation again (reads included) when its write was refused
/// because something it read changed meanwhile (an account's usage or group
/// moving under a join, a check-in or a removal); gives up after a few
/// attempts with that refusal.
pub(crate) async fn retrying<T, Fut>(mut operation: impl FnMut() -> Fut) -> Result<T>
where
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Err(e) if e.kind() == ProblemKind::ConcurrentChange && attempt < ATTEMPTS => {
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}
