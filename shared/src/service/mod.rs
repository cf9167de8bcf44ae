//! Operations: each validates who may act, applies the rules and makes one
//! repository call. Handlers call exactly one of these.

pub mod accounts;
pub mod groups;
pub mod membership;

use crate::error::{Error, Result};
use crate::repo::{StoredResponse, Written};

/// Serialises a view as the reply for `status`, before the write that stores
/// it for replays.
pub(crate) fn stored(status: u16, view: &impl serde::Serialize) -> Result<StoredResponse> {
    Ok(StoredResponse {
        status,
        body: serde_json::to_string(view).map_err(Error::unexpected)?,
    })
}

/// The reply to send: the fresh one, or the original on a replay.
pub(crate) fn settle(written: Written, fresh: StoredResponse) -> StoredResponse {
    match written {
        Written::Fresh => fresh,
        Written::Replayed(original) => original,
    }
}

/// The reply of a write with no body (204).
pub(crate) fn no_content() -> StoredResponse {
    StoredResponse {
        status: 204,
        body: String::new(),
    }
}

/// Runs a write; if it is refused and the request carried an
/// `Idempotency-Key` already used for this very request, returns that
/// earlier reply instead of the refusal (a retry after the change happened).
pub(crate) async fn or_replay(
    deps: &crate::deps::Deps,
    idem: Option<&crate::http::IdempotencyRequest>,
    outcome: Result<StoredResponse>,
) -> Result<StoredResponse> {
    match (outcome, idem) {
        (
            Err(refusal @ (Error::Conflict { .. } | Error::NotFound(_) | Error::Gone { .. })),
            Some(idem),
        ) => match idem.earlier_reply(&deps.repo, deps.clock.now()).await? {
            Some(reply) => Ok(reply),
            None => Err(refusal),
        },
        (outcome, _) => outcome,
    }
}
