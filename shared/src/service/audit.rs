//! Reading the audit log: a group's for its admins (managed or not: admin
//! and policy changes are logged in every group), and what was done to the
//! caller's own account, over every group it was in.

use crate::api::{AuditPage, page};
use crate::deps::Deps;
use crate::error::Result;
use crate::identity::Caller;
use crate::model::{AuditAction, AuditEntry, GroupId, Origin, administered_by};
use crate::repo::Position;

/// An entry of `caller` acting in `gid`, stamped now.
pub fn entry(
    deps: &Deps,
    caller: &Caller,
    gid: GroupId,
    subject: Option<&crate::model::AccountId>,
    action: AuditAction,
    origin: &Origin,
) -> AuditEntry {
    AuditEntry::new(
        gid,
        (&caller.account_id, &caller.email),
        subject,
        action,
        origin,
        deps.clock.now(),
    )
}

fn to_page(entries: Vec<AuditEntry>, next: Option<Position>) -> Result<AuditPage> {
    Ok(AuditPage {
        entries,
        next_token: next.as_ref().map(page::encode).transpose()?,
    })
}

/// A page of the group's log, newest first. DynamoDB: one `GetItem`, one `Query`.
pub async fn group_log(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: usize,
    after: Option<Position>,
) -> Result<AuditPage> {
    administered_by(deps.repo.get_group(gid).await?, caller)?;
    let (entries, next) = deps.repo.group_audit(gid, limit, after.as_ref()).await?;
    to_page(entries, next)
}

/// A page of what admins did to the caller's account, newest first.
/// DynamoDB: one `Query` on GSI1.
pub async fn my_log(
    deps: &Deps,
    caller: &Caller,
    limit: usize,
    after: Option<Position>,
) -> Result<AuditPage> {
    let (entries, next) = deps
        .repo
        .account_audit(&caller.account_id, limit, after.as_ref())
        .await?;
    to_page(entries, next)
}
