//! The span every API request runs in (opened by `http::serve`), and what
//! makes a request findable in the logs: the operation, the group and
//! account it concerns, and how it ended. Services record the group when
//! only they learn it (a join names its group through its token).

use tracing::Span;
use tracing::field::{Empty, display};

use crate::model::{AccountId, GroupId};
use crate::problem::ProblemKind;

/// A new request span for `operation` (the function's name).
pub(crate) fn request(operation: &'static str) -> Span {
    tracing::info_span!(
        "request",
        operation,
        group_id = Empty,
        account_id = Empty,
        status = Empty,
        problem = Empty,
    )
}

/// The group the current request concerns.
pub fn record_group(gid: &GroupId) {
    Span::current().record("group_id", display(gid));
}

/// The (verified) account making the current request.
pub fn record_account(aid: &AccountId) {
    Span::current().record("account_id", display(aid));
}

/// How the current request ended: its status, and its problem kind when refused.
pub(crate) fn record_outcome(status: u16, problem: Option<ProblemKind>) {
    let span = Span::current();
    span.record("status", status);
    if let Some(kind) = problem {
        span.record("problem", kind.slug());
    }
}
