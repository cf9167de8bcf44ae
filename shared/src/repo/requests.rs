//! Membership requests: filed by a joiner the policy does not admit
//! directly, decided once by an admin (approval is a membership, in
//! `members.rs`).

use time::OffsetDateTime;

use super::accounts::{AccountWrite, GroupRule};
use super::groups::{admin_guard, explain_group};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, s};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{AccountId, GroupId, MembershipRequest, TokenRecord};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// A membership request about to be filed by a signed-in caller.
#[derive(Debug, Clone, Copy)]
pub struct NewRequest<'a> {
    /// The group.
    pub group_id: GroupId,
    /// The request record.
    pub request: &'a MembershipRequest,
    /// The requester (registered in the same write).
    pub caller: &'a Caller,
    /// The single-use token to spend, if asking by invitation.
    pub spend: Option<&'a TokenRecord>,
    /// The admins' notification and the `Requested` event.
    pub outbox: &'a [OutboxItem],
}

/// Decides the pending request of `aid` (an approval or a denial): it is
/// consumed, so it is decided at most once.
pub(super) fn add_decision(tx: &mut Tx<'_>, gid: &GroupId, aid: &AccountId) -> Result<()> {
    tx.delete(
        &keys::request(gid, aid),
        Some(Guard::new(
            Expr::new("attribute_exists(PK)"),
            Refusal::always(|| Error::NotFound("request")),
        )),
    )
}

impl Repository {
    /// Files a membership request (the account must be in no group; a
    /// pending request is not duplicated). Refusals are explained in this
    /// order: the token, the group, the account, its email claim, a request
    /// already pending. One `TransactWriteItems`.
    pub async fn create_request(
        &self,
        new: &NewRequest<'_>,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let gid = &new.group_id;
        let mut tx = Tx::new(self);
        if let Some(token) = new.spend {
            self.add_token_spend(&mut tx, gid, token, now)?;
        }
        tx.check(
            &keys::group(gid),
            Guard::new(
                Expr::new("#status = :active")
                    .name("#status", "status")
                    .value(":active", s("active")),
                Refusal::explain(|old| match explain_group(old, None) {
                    Err(refusal) => refusal,
                    Ok(_) => Error::unexpected("group check failed on an active group"),
                }),
            ),
        )?;
        let account = AccountWrite::register(new.caller, GroupRule::InNoGroup(gid));
        self.add_account_write(&mut tx, account, now)?;
        tx.create(
            &keys::request(gid, &new.caller.account_id),
            "MembershipRequest",
            new.request,
            Refusal::always(|| {
                Error::refused(
                    ProblemKind::AlreadyRequested,
                    "a request to join this group is already pending",
                )
            }),
        )?;
        self.add_outbox(&mut tx, new.outbox)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Denies a pending request (once). One `TransactWriteItems`.
    pub async fn deny_request(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        aid: &AccountId,
        outbox: &[OutboxItem],
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        tx.check(&keys::group(gid), admin_guard(caller))?;
        add_decision(&mut tx, gid, aid)?;
        self.add_outbox(&mut tx, outbox)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// A page of a group's pending requests, by account id, and where the
    /// next page starts. One `Query`.
    pub async fn list_requests(
        &self,
        gid: &GroupId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<MembershipRequest>, Option<String>)> {
        self.page_prefix(gid, keys::REQUEST_PREFIX, limit, after)
            .await
    }
}
