//! The caller's own computers and B2 buckets (`/me/...`): what the backup
//! client checks in and what a member manages for themself. These read no
//! group, so a group's SSO setting does not bind them (it binds joining and
//! administering): checking it here would cost a group read on every
//! check-in.

use super::idempotency::write_once;
use super::retrying;
use crate::api::CheckInRequest;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{Bucket, BucketName, Computer, ComputerId};
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::QuietCheckIn;

/// A check-in's result: the computer as stored, and whether it is new.
#[derive(Debug, Clone)]
pub struct CheckedIn {
    /// The computer after the check-in.
    pub computer: Computer,
    /// It had never checked in before.
    pub created: bool,
}

/// Records a computer's status. A routine check-in is one write to the
/// computer; one that adds a computer or changes its alert count also
/// moves the account's and group's counters (and a new computer must fit
/// under the account's limit).
pub async fn check_in(
    deps: &Deps,
    caller: &Caller,
    cid: &ComputerId,
    request: CheckInRequest,
) -> Result<CheckedIn> {
    let now = deps.clock.now();
    let check_in = request.validate(now)?;
    let aid = &caller.account_id;
    retrying(|| async {
        let previous = match deps.repo.check_in_quietly(aid, cid, &check_in, now).await? {
            QuietCheckIn::Stored(computer) => {
                return Ok(CheckedIn {
                    computer,
                    created: false,
                });
            }
            QuietCheckIn::Counted(previous) => previous,
        };
        let account = deps.repo.get_account(aid).await?;
        deps.repo
            .check_in_counted(
                caller,
                account.as_ref(),
                cid,
                previous.as_ref(),
                &check_in,
                now,
            )
            .await?;
        let computer =
            check_in
                .clone()
                .into_computer(cid.clone(), aid.clone(), previous.as_ref(), now);
        Ok(CheckedIn {
            computer,
            created: previous.is_none(),
        })
    })
    .await
}

/// Retires a computer: it leaves the account's and group's counters.
pub async fn retire_computer(deps: &Deps, caller: &Caller, cid: &ComputerId) -> Result<()> {
    let aid = &caller.account_id;
    retrying(|| async {
        let (computer, account) = deps.repo.computer_and_account(aid, cid).await?;
        let (Some(computer), Some(account)) = (computer, account) else {
            return Err(Error::NotFound("computer"));
        };
        deps.repo
            .retire_computer(caller, &account, &computer, deps.clock.now())
            .await
    })
    .await
}

/// A page of the caller's computers, in id order.
pub async fn my_computers(
    deps: &Deps,
    caller: &Caller,
    limit: usize,
    after: Option<&ComputerId>,
) -> Result<(Vec<Computer>, Option<ComputerId>)> {
    deps.repo
        .list_computers(
            &caller.account_id,
            i32::try_from(limit).unwrap_or(i32::MAX),
            after,
        )
        .await
}

/// Creates a bucket (its name unique across the service, the account under
/// its limit of 100). Replies 201 with the bucket; a retry with the same
/// `Idempotency-Key` gets that reply again.
pub async fn create_bucket(
    deps: &Deps,
    caller: &Caller,
    name: BucketName,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let now = deps.clock.now();
    let bucket = Bucket {
        name,
        account_id: caller.account_id.clone(),
        stored_bytes: 0,
        file_count: 0,
        created_at: now,
    };
    let reply = Reply::json(201, &bucket)?;
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .create_bucket(caller, &bucket, record.as_ref(), now)
            .await
    })
    .await
}

/// The caller's buckets, by name.
pub async fn my_buckets(deps: &Deps, caller: &Caller) -> Result<Vec<Bucket>> {
    deps.repo.list_buckets(&caller.account_id).await
}

/// Deletes one of the caller's buckets, if it holds no files.
pub async fn delete_bucket(deps: &Deps, caller: &Caller, name: &BucketName) -> Result<()> {
    deps.repo
        .delete_bucket(caller, name, deps.clock.now())
        .await
}
