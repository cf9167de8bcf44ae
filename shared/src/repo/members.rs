//! Members: joining (by token, approval or "add myself") and removal. The
//! group's count, the account's one group, the token and the request all
//! change in the membership's own transaction.

use time::OffsetDateTime;

use super::accounts::{AccountWrite, EmailRule, GroupRule, Who};
use super::groups::explain_group;
use super::requests::add_decision;
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, from_item, key_map, n, s, sdk_error};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    Account, AccountChanges, AccountId, DomainProof, GroupId, Member, TokenRecord, UsageDelta,
    rfc3339,
};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// A membership about to be created (join, approval or "add myself").
#[derive(Debug, Clone)]
pub struct NewMembership<'a> {
    /// The group.
    pub group_id: GroupId,
    /// The member record.
    pub member: Member,
    /// The joining caller (their account is registered in the same write).
    pub account: AccountRef<'a>,
    /// The joining account as read before the write (`None`: not yet
    /// registered): what it holds joins the group's counters, provided it
    /// did not change since.
    pub joining: Option<&'a Account>,
    /// The single-use token to spend, if joining by invitation.
    pub spend: Option<&'a TokenRecord>,
    /// Require this admin (for "add myself" and approvals).
    pub admin: Option<&'a AccountId>,
    /// The request being approved, deleted in the same write.
    pub approves_request: bool,
    /// The proof of the domain that admits the joiner (a listed domain's,
    /// as read): the write requires it still verified.
    pub proven_domain: Option<&'a DomainProof>,
    /// Emails and events.
    pub outbox: Vec<OutboxItem>,
}

/// Where a walk over a group's members starts.
#[derive(Debug, Clone, Copy)]
pub enum MembersFrom<'a> {
    /// The first member.
    Start,
    /// This member (included).
    At(&'a AccountId),
    /// The member after this one.
    After(&'a AccountId),
}

/// Who the membership is for: a signed-in caller (registered on the way) or
/// an existing account (an approval).
#[derive(Debug, Clone, Copy)]
pub enum AccountRef<'a> {
    /// The caller, from their token.
    Caller(&'a Caller),
    /// An account that already exists.
    Existing(&'a AccountId),
}

impl Repository {
    /// Creates a membership: the group's count rises if it is active and not
    /// full (`max_members`), the account joins if it is in no group, the
    /// token (if any) is spent, the request (if approving) is consumed, and
    /// the outbox items are written; a joiner admitted by their domain only
    /// while its proof is still verified. One `TransactWriteItems`.
    pub async fn create_membership(
        &self,
        m: &NewMembership<'_>,
        max_members: u32,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let gid = &m.group_id;
        let aid = &m.member.account_id;
        let admin = m.admin;
        let mut tx = Tx::new(self);
        if let Some(token) = m.spend {
            self.add_token_spend(&mut tx, gid, token, now)?;
        }
        if m.approves_request {
            add_decision(&mut tx, gid, aid)?;
        }
        let mut room = Expr::new("#status = :active AND memberCount < :max")
            .name("#status", "status")
            .value(":active", s("active"))
            .value(":max", n(max_members));
        if let Some(admin) = admin {
            room = room
                .and("attribute_exists(admins.#admin)")
                .name("#admin", admin.as_str());
        }
        tx.update(
            &keys::group(gid),
            Expr::new(
                "SET memberCount = memberCount + :one, version = version + :one, updatedAt = :now",
            )
            .value(":one", n(1))
            .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                room,
                Refusal::explain(move |old| match explain_group(old, admin) {
                    Err(refusal) => refusal,
                    Ok(group) => group.ensure_room(max_members).err().unwrap_or_else(|| {
                        Error::unexpected("group condition failed for an unknown reason")
                    }),
                }),
            )),
        )?;
        tx.create(
            &keys::member(gid, aid),
            "Member",
            &m.member,
            Refusal::always(|| {
                Error::refused(
                    ProblemKind::AlreadyMember,
                    "that account is already a member of this group",
                )
            }),
        )?;
        // The account joins only if it is in no group: one group per account.
        let usage = m.joining.map(Account::usage).unwrap_or_default();
        let joins = AccountWrite {
            who: match m.account {
                AccountRef::Caller(caller) => Who::Caller(caller),
                AccountRef::Existing(aid) => Who::Existing(aid),
            },
            group: GroupRule::Joins(gid),
            usage: UsageDelta::default(),
            buckets: 0,
            limit: None,
            read_at: Some(m.joining.map_or(0, |a| a.usage_version)),
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(&mut tx, joins, now)?;
        if let Some(proof) = m.proven_domain {
            tx.check(
                &keys::domain_proof(gid, proof.domain.as_str()),
                super::domains::still_verified(proof),
            )?;
        }
        self.add_group_usage(&mut tx, gid, UsageDelta::of(&usage, 1))?;
        self.add_outbox(&mut tx, &m.outbox)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Removes a member, by an admin (`admin`: still one) or by their own
    /// choice (`None`): the count drops, the account (as read) is detached
    /// and kept, what it holds leaves the group's counters, the outbox items
    /// are written. One `TransactWriteItems`.
    pub async fn remove_member(
        &self,
        gid: &GroupId,
        admin: Option<&AccountId>,
        leaving: &Account,
        outbox: &[OutboxItem],
        now: OffsetDateTime,
    ) -> Result<()> {
        let aid = &leaving.id;
        let mut tx = Tx::new(self);
        let guard = match admin {
            Some(admin) => Expr::new("attribute_exists(admins.#caller) AND memberCount > :zero")
                .name("#caller", admin.as_str()),
            None => Expr::new("memberCount > :zero"),
        };
        tx.update(
            &keys::group(gid),
            Expr::new(
                "SET memberCount = memberCount - :one, version = version + :one, updatedAt = :now",
            )
            .value(":one", n(1))
            .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                guard.value(":zero", n(0)),
                Refusal::explain(move |old| match explain_group(old, admin) {
                    Err(refusal) => refusal,
                    Ok(_) => Error::NotFound("member"),
                }),
            )),
        )?;
        tx.delete(
            &keys::member(gid, aid),
            Some(Guard::new(
                Expr::new("attribute_exists(PK)"),
                Refusal::always(|| Error::NotFound("member")),
            )),
        )?;
        self.add_leaving(&mut tx, gid, leaving, now)?;
        self.add_outbox(&mut tx, outbox)?;
        tx.commit().await.map(drop)
    }

    /// Detaches `leaving` from `gid` (its account is kept) and takes what it
    /// holds out of the group's counters, provided it did not change since
    /// it was read.
    pub(super) fn add_leaving<'a>(
        &self,
        tx: &mut Tx<'a>,
        gid: &'a GroupId,
        leaving: &'a Account,
        now: OffsetDateTime,
    ) -> Result<()> {
        let leaves = AccountWrite {
            who: Who::Existing(&leaving.id),
            group: GroupRule::Leaves(gid),
            usage: UsageDelta::default(),
            buckets: 0,
            limit: None,
            read_at: Some(leaving.usage_version),
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(tx, leaves, now)?;
        self.add_group_usage(tx, gid, UsageDelta::of(&leaving.usage(), -1))
    }

    /// Up to `limit` members in account-id order, from `from`; `true` when
    /// more follow. One `Query`.
    pub async fn members_from(
        &self,
        gid: &GroupId,
        from: MembersFrom<'_>,
        limit: i32,
    ) -> Result<(Vec<Member>, bool)> {
        let query = self
            .client
            .query()
            .table_name(self.table())
            .expression_attribute_values(":pk", s(keys::group_pk(gid)))
            .limit(limit);
        let query = match from {
            MembersFrom::Start => query
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":prefix", s(keys::MEMBER_PREFIX)),
            MembersFrom::At(aid) => query
                // Every member key sorts between `MEMBER#<aid>` and `MEMBER$`.
                .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :end")
                .expression_attribute_values(":from", s(keys::member(gid, aid).sk))
                .expression_attribute_values(":end", s(keys::MEMBERS_END)),
            MembersFrom::After(aid) => query
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":prefix", s(keys::MEMBER_PREFIX))
                .set_exclusive_start_key(Some(key_map(&keys::member(gid, aid)))),
        };
        let out = query.send().await.map_err(sdk_error)?;
        let members = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<Member>>>()?;
        Ok((members, out.last_evaluated_key.is_some()))
    }

    /// A page of members, in account-id order, and the last one's id when
    /// more follow. One `Query`.
    pub async fn list_members(
        &self,
        gid: &GroupId,
        limit: i32,
        after: Option<&AccountId>,
    ) -> Result<(Vec<Member>, Option<AccountId>)> {
        let from = after.map_or(MembersFrom::Start, MembersFrom::After);
        let (members, more) = self.members_from(gid, from, limit).await?;
        let next = if more {
            members.last().map(|m| m.account_id.clone())
        } else {
            None
        };
        Ok((members, next))
    }
}
