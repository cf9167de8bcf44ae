//! Members: the list admins see, "Add Myself to the Group", and "Remove a
//! Group Member" (the member is told to add a payment method; their account
//! stays).

use super::announcements;
use super::groups::get_group;
use super::idempotency::write_once;
use super::joining::consents;
use super::retrying;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{Account, AccountId, GroupId, Member, Region, administered_by};
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::{AccountRef, NewMembership};

/// A page of members.
pub async fn list_members(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: usize,
    after: Option<&AccountId>,
) -> Result<(Vec<Member>, Option<AccountId>)> {
    get_group(deps, caller, gid).await?;
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    deps.repo.list_members(gid, limit, after).await
}

/// An admin joins their own group without a token (same limits).
pub async fn add_myself(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    region: Region,
    version_history: bool,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    retrying(|| add_myself_once(deps, caller, gid, region, version_history, idem.as_ref())).await
}

async fn add_myself_once(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    region: Region,
    version_history: bool,
    idem: Option<&IdempotencyRequest>,
) -> Result<Reply> {
    let (group, account) = deps
        .repo
        .group_with::<Account>(gid, &keys::account(&caller.account_id))
        .await?;
    let group = administered_by(group, caller)?;
    consents(&group, true, version_history)?;
    let now = deps.clock.now();
    let member = Member {
        account_id: caller.account_id.clone(),
        email: caller.email.clone(),
        region,
        joined_at: now,
        managed_access_accepted: group.managed,
        version_history_accepted: version_history,
    };
    let reply = Reply::json(201, &member)?;
    let membership = NewMembership {
        group_id: *gid,
        member,
        account: AccountRef::Caller(caller),
        joining: account.as_ref(),
        spend: None,
        admin: Some(&caller.account_id),
        approves_request: false,
        proven_domain: None,
        outbox: announcements::added_myself(gid, caller, now),
    };
    admit(deps, membership, reply, idem, now).await
}

/// Writes a new membership (join, approval or "add myself") under the
/// deployment's member limit, answering with `reply`, or with the first
/// reply on a replay.
pub(super) async fn admit(
    deps: &Deps,
    membership: NewMembership<'_>,
    reply: Reply,
    idem: Option<&IdempotencyRequest>,
    now: time::OffsetDateTime,
) -> Result<Reply> {
    let max_members = deps.settings.max_members;
    write_once(idem, reply, |record| async move {
        deps.repo
            .create_membership(&membership, max_members, record.as_ref(), now)
            .await
    })
    .await
}

/// Removes a member; they are emailed that they must add a payment method.
/// Their account stays.
pub async fn remove_member(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
) -> Result<()> {
    retrying(|| async {
        let (group, member, account) = deps
            .repo
            .group_with_account::<Member>(gid, &keys::member(gid, aid), aid)
            .await?;
        let group = administered_by(group, caller)?;
        let (Some(member), Some(account)) = (member, account) else {
            return Err(Error::NotFound("member"));
        };
        let now = deps.clock.now();
        let outbox = announcements::removed(
            &group,
            &member,
            account.email_verified,
            &caller.account_id,
            now,
        );
        deps.repo
            .remove_member(gid, Some(&caller.account_id), &account, &outbox, now)
            .await
    })
    .await
}

/// The caller leaves their group (in a managed group, withdrawing consent to
/// admin access): they get the same payment-method email as a removal, the
/// admins are told. Their account stays. 404 when in no group. Any session
/// may leave, whatever the group's SSO setting: giving up access is not
/// access, and a member who joined before the setting must not be held in.
pub async fn leave_group(deps: &Deps, caller: &Caller) -> Result<()> {
    retrying(|| async {
        let account = deps
            .repo
            .get_account(&caller.account_id)
            .await?
            .ok_or(Error::NotFound("group membership"))?;
        let gid = account
            .group_id
            .ok_or(Error::NotFound("group membership"))?;
        let (group, member) = deps
            .repo
            .group_with::<Member>(&gid, &keys::member(&gid, &caller.account_id))
            .await?;
        let (Some(group), Some(member)) = (group, member) else {
            return Err(Error::NotFound("group membership"));
        };
        let now = deps.clock.now();
        let outbox = announcements::left(&group, &member, caller.email_verified, now);
        deps.repo
            .remove_member(&gid, None, &account, &outbox, now)
            .await
    })
    .await
}
