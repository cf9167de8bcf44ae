//! The one sequence every idempotent write follows: decide the reply, store
//! it with the change under the request's `Idempotency-Key`, answer with it,
//! or with the first reply when the key was already used for this request.

use std::future::Future;

use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::{IdempotentWrite, Written};

/// Runs `write` with the record that keeps `reply` for replays (none
/// without a key), and answers with `reply`, or the first reply on a replay.
pub(crate) async fn write_once<Fut>(
    idem: Option<&IdempotencyRequest>,
    reply: Reply,
    write: impl FnOnce(Option<IdempotentWrite>) -> Fut,
) -> Result<Reply>
where
    Fut: Future<Output = Result<Written>>,
{
    let record = idem.map(|request| IdempotentWrite {
        request: request.clone(),
        reply: reply.clone(),
    });
    Ok(match write(record).await? {
        Written::Fresh => reply,
        Written::Replayed(first) => first,
    })
}

/// For operations whose own change makes a retry invalid (a spent token, a
/// decided request): when the operation is refused and its key was already
/// used for this very request, answers with that earlier reply, since the
/// change happened. One `GetItem`, only after a refusal with a key.
pub(crate) async fn or_replay(
    deps: &Deps,
    idem: Option<&IdempotencyRequest>,
    outcome: Result<Reply>,
) -> Result<Reply> {
    match (outcome, idem) {
        (Err(refusal @ (Error::Refused { .. } | Error::NotFound(_))), Some(request)) => {
            match deps.repo.stored_reply(request, deps.clock.now()).await? {
                Some(reply) => Ok(reply),
                None => Err(refusal),
            }
        }
        (outcome, _) => outcome,
    }
}
