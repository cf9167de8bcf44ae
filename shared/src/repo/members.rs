//! Members: joining (by token, approval or "add myself") and removal. The
//! group's count, the account's one group, the token and the request all
//! change in the membership's own transaction.

use time::OffsetDateTime;

use super::accounts::{Registration, account_refusal};
use super::groups::explain_group;
use super::requests::add_decision;
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, from_item, key_map, n, s};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{AccountId, GroupId, Member, TokenRecord, rfc3339};
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
    /// The single-use token to spend, if joining by invitation.
    pub spend: Option<&'a TokenRecord>,
    /// Require this admin (for "add myself" and approvals).
    pub admin: Option<&'a AccountId>,
    /// The request being approved, deleted in the same write.
    pub approves_request: bool,
    /// Emails and events.
    pub outbox: Vec<OutboxItem>,
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
    /// the outbox items are written. One `TransactWriteItems`.
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
        match m.account {
            AccountRef::Caller(caller) => {
                self.add_registration(&mut tx, caller, Registration::Joins(gid), now)?;
            }
            AccountRef::Existing(aid) => tx.update(
                &keys::account(aid),
                Expr::new("SET groupId = :gid").value(":gid", s(gid.to_string())),
                Some(Guard::new(
                    Expr::new("attribute_exists(PK) AND attribute_not_exists(groupId)"),
                    Refusal::explain(move |old| account_refusal(old, gid)),
                )),
            )?,
        }
        self.add_outbox(&mut tx, &m.outbox)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Removes a member: the count drops, the account is detached (and
    /// kept), the outbox items are written. One `TransactWriteItems`.
    pub async fn remove_member(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        aid: &AccountId,
        outbox: &[OutboxItem],
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new(
                "SET memberCount = memberCount - :one, version = version + :one, updatedAt = :now",
            )
            .value(":one", n(1))
            .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                Expr::new("attribute_exists(admins.#caller) AND memberCount > :zero")
                    .name("#caller", caller.as_str())
                    .value(":zero", n(0)),
                Refusal::explain(move |old| match explain_group(old, Some(caller)) {
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
        tx.update(
            &keys::account(aid),
            Expr::new("REMOVE groupId"),
            Some(Guard::new(
                Expr::new("groupId = :gid").value(":gid", s(gid.to_string())),
                Refusal::always(|| Error::NotFound("member")),
            )),
        )?;
        self.add_outbox(&mut tx, outbox)?;
        tx.commit().await.map(drop)
    }

    /// A page of members, in account-id order. One `Query`.
    pub async fn list_members(
        &self,
        gid: &GroupId,
        limit: i32,
        after: Option<&AccountId>,
    ) -> Result<(Vec<Member>, Option<AccountId>)> {
        let mut q = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::group_pk(gid)))
            .expression_attribute_values(":prefix", s(keys::MEMBER_PREFIX))
            .limit(limit);
        if let Some(after) = after {
            let key = keys::member(gid, after);
            q = q.set_exclusive_start_key(Some(key_map(&key)));
        }
        let out = q
            .send()
            .await
            .map_err(|e| Error::unexpected(e.into_service_error()))?;
        let members = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<Member>>>()?;
        let next = out
            .last_evaluated_key
            .and_then(|k| k.get(keys::SK).and_then(|v| v.as_s().ok()).cloned())
            .and_then(|sk| sk.strip_prefix(keys::MEMBER_PREFIX).map(str::to_owned))
            .and_then(|aid| AccountId::parse("nextToken", &aid).ok());
        Ok((members, next))
    }
}
