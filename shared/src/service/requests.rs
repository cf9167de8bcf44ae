//! "Invite & Approve", the approving half: the Requesting Membership list
//! and its decisions; the requester is emailed either way.

use super::announcements;
use super::groups::get_group;
use super::idempotency::{or_replay, write_once};
use super::members::admit;
use super::retrying;
use crate::api::page;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::{Caller, SignIn};
use crate::keys;
use crate::model::{Account, AccountId, Group, GroupId, MembershipRequest, administered_by};
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::{AccountRef, NewMembership};

/// A page of pending requests by account id, and the token of the next page.
pub async fn list_requests(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: usize,
    next_token: Option<&str>,
) -> Result<(Vec<MembershipRequest>, Option<String>)> {
    get_group(deps, caller, gid).await?;
    let after: Option<String> = next_token.map(page::decode).transpose()?;
    let (requests, next) = deps
        .repo
        .list_requests(gid, limit, after.as_deref())
        .await?;
    Ok((requests, next.as_ref().map(page::encode).transpose()?))
}

/// The group (if the caller administers it), the request of `aid` and its account.
async fn request_of(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
) -> Result<(Group, MembershipRequest, Option<Account>)> {
    let (group, request, account) = deps
        .repo
        .group_with_account::<MembershipRequest>(gid, &keys::request(gid, aid), aid)
        .await?;
    let group = administered_by(group, caller)?;
    Ok((group, request.ok_or(Error::NotFound("request"))?, account))
}

/// An admin's answer to a membership request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The requester becomes a member.
    Approve,
    /// The request is turned down.
    Deny,
}

/// Decides a pending request, once: an approval is a membership (the same
/// limits and transaction as a join) and replies 200 with the member; a
/// denial replies 204. The requester is emailed either way.
pub async fn decide(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    decision: Decision,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let outcome = retrying(|| decide_once(deps, caller, gid, aid, decision, idem.as_ref())).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn decide_once(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    decision: Decision,
    idem: Option<&IdempotencyRequest>,
) -> Result<Reply> {
    let (group, request, account) = request_of(deps, caller, gid, aid).await?;
    let now = deps.clock.now();
    let approved = decision == Decision::Approve;
    let outbox = announcements::decided(&group, &request, &caller.account_id, approved, now);
    if !approved {
        return write_once(idem, Reply::no_content(), |record| async move {
            deps.repo
                .deny_request(gid, &caller.account_id, aid, &outbox, record.as_ref(), now)
                .await
        })
        .await;
    }
    // The requester's session when they asked must satisfy the group's
    // SSO setting as it is now, as a join would.
    group.admits_request(SignIn::from_provider(request.sso_provider))?;
    let member = request.approve(now);
    let reply = Reply::json(200, &member)?;
    let membership = NewMembership {
        group_id: *gid,
        member,
        account: AccountRef::Existing(aid),
        joining: account.as_ref(),
        spend: None,
        admin: Some(&caller.account_id),
        approves_request: true,
        proven_domain: None,
        outbox,
    };
    admit(deps, membership, reply, idem, now).await
}
