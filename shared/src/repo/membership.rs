//! Invitations, invite links, joins, requests and removals. Every invariant
//! (group active and not full, one group per account, single-use tokens, a
//! request decided once, the daily invitation cap, admin-only actions) is a
//! condition in the same `TransactWriteItems` that makes the change, together
//! with the outbox items (emails, events) the change causes.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::accounts::email_in_use;
use super::tx::{Reason, TxError};
use super::{IdempotentWrite, Item, Repository, Written, from_item, key_map, n, s, to_item};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys::{self, Key};
use crate::model::{
    AccountId, EmailAddress, Group, GroupId, Invitation, InviteLinkState, Member,
    MembershipRequest, TokenHash, TokenKind, rfc3339,
};
use crate::outbox::OutboxItem;

/// How long a spent or expired token is kept so a late click gets a precise answer.
const TOKEN_GRACE: time::Duration = time::Duration::days(30);

/// A live token's record (the token text itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// Group it admits to.
    pub group_id: GroupId,
    /// Link or personal invitation.
    pub via: TokenKind,
    /// Hash, compared in constant time against the presented token's.
    pub token_hash: TokenHash,
    /// End of validity (epoch seconds); links have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
    /// Set when a single-use invitation was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<String>,
}

impl TokenRecord {
    /// True when the token can no longer be used because time ran out.
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        self.valid_until.is_some_and(|t| t <= now.unix_timestamp())
    }
}

/// A new email invitation with everything its write needs.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// The admin-facing record.
    pub invitation: Invitation,
    /// The token pointer.
    pub token: TokenRecord,
    /// The invitation email and the `Invited` event.
    pub outbox: Vec<OutboxItem>,
}

/// A membership about to be created (join, approval or "add myself").
#[derive(Debug, Clone)]
pub struct NewMembership<'a> {
    /// The group.
    pub group_id: GroupId,
    /// The member record.
    pub member: Member,
    /// The joining caller (their account is registered in the same write).
    pub account: AccountRef<'a>,
    /// The group's member limit.
    pub max_members: u32,
    /// The single-use token to spend, if joining by invitation.
    pub spend: Option<&'a TokenRecord>,
    /// Require this admin (for "add myself" and approvals).
    pub admin: Option<&'a AccountId>,
    /// The request being approved, deleted in the same write.
    pub approves_request: bool,
    /// Emails and events.
    pub outbox: Vec<OutboxItem>,
}

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

/// Who the membership is for: a signed-in caller (registered on the way) or
/// an existing account (an approval).
#[derive(Debug, Clone, Copy)]
pub enum AccountRef<'a> {
    /// The caller, from their token.
    Caller(&'a Caller),
    /// An account that already exists.
    Existing(&'a AccountId),
}

fn tx_item_condition_check(
    repo: &Repository,
    key: &Key,
    condition: &str,
    names: &[(&str, &str)],
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem> {
    let mut b = ConditionCheck::builder()
        .table_name(repo.table())
        .set_key(Some(key_map(key)))
        .condition_expression(condition)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    for (k, v) in names {
        b = b.expression_attribute_names(*k, *v);
    }
    for (k, v) in values {
        b = b.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder()
        .condition_check(b.build().map_err(Error::unexpected)?)
        .build())
}

fn tx_put<T: Serialize>(
    repo: &Repository,
    key: &Key,
    entity: &str,
    value: &T,
    extra: &[(&str, AttributeValue)],
    condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
) -> Result<TransactWriteItem> {
    let mut item = to_item(key, entity, value)?;
    for (k, v) in extra {
        item.insert((*k).to_owned(), v.clone());
    }
    let mut b = Put::builder().table_name(repo.table()).set_item(Some(item));
    if let Some((expr, values)) = condition {
        b = b
            .condition_expression(expr)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
    }
    Ok(TransactWriteItem::builder()
        .put(b.build().map_err(Error::unexpected)?)
        .build())
}

fn tx_delete(
    repo: &Repository,
    key: &Key,
    condition: Option<(&str, Vec<(&str, AttributeValue)>)>,
) -> Result<TransactWriteItem> {
    let mut b = Delete::builder()
        .table_name(repo.table())
        .set_key(Some(key_map(key)));
    if let Some((expr, values)) = condition {
        b = b
            .condition_expression(expr)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in values {
            b = b.expression_attribute_values(k, v);
        }
    }
    Ok(TransactWriteItem::builder()
        .delete(b.build().map_err(Error::unexpected)?)
        .build())
}

fn tx_update(
    repo: &Repository,
    key: &Key,
    update: &str,
    condition: Option<&str>,
    names: &[(&str, &str)],
    values: Vec<(&str, AttributeValue)>,
) -> Result<TransactWriteItem> {
    let mut b = Update::builder()
        .table_name(repo.table())
        .set_key(Some(key_map(key)))
        .update_expression(update)
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    if let Some(c) = condition {
        b = b.condition_expression(c);
    }
    for (k, v) in names {
        b = b.expression_attribute_names(*k, *v);
    }
    for (k, v) in values {
        b = b.expression_attribute_values(k, v);
    }
    Ok(TransactWriteItem::builder()
        .update(b.build().map_err(Error::unexpected)?)
        .build())
}

fn active() -> AttributeValue {
    s("active")
}

/// The admin-and-active guard on the group item, as a condition check.
fn admin_guard(repo: &Repository, gid: &GroupId, caller: &AccountId) -> Result<TransactWriteItem> {
    tx_item_condition_check(
        repo,
        &keys::group(gid),
        "attribute_exists(admins.#caller) AND #status = :active",
        &[("#caller", caller.as_str()), ("#status", "status")],
        vec![(":active", active())],
    )
}

/// Explains a failed group guard or update from the group's old image.
fn group_refusal(old: Option<&Item>, admin: Option<&AccountId>, max_members: Option<u32>) -> Error {
    match super::groups::group_refusal(old, admin) {
        Err(e) => e,
        Ok(group) if max_members.is_some_and(|max| group.member_count >= max) => {
            conflict("group-full", "the group has reached its member limit")
        }
        Ok(_) => Error::unexpected("group condition failed for an unknown reason"),
    }
}

fn conflict(kind: &'static str, detail: &str) -> Error {
    Error::Conflict {
        kind,
        detail: detail.to_owned(),
    }
}

/// Explains a failed token spend.
fn token_refusal(old: Option<&Item>, now: OffsetDateTime) -> Error {
    let record = old.and_then(|o| from_item::<TokenRecord>(o.clone()).ok());
    match record {
        None => Error::NotFound("invitation"),
        Some(r) if r.used_at.is_some() => {
            conflict("invitation-used", "this invitation has already been used")
        }
        Some(r) if r.expired(now) => Error::Gone {
            kind: "invitation-expired",
            detail: "this invitation has expired; ask an administrator to resend it".into(),
        },
        Some(_) => Error::NotFound("invitation"),
    }
}

fn failed(reasons: &[Reason], index: usize) -> bool {
    reasons.get(index).is_some_and(Reason::failed)
}

fn old_image(reasons: &[Reason], index: usize) -> Option<&Item> {
    reasons.get(index).and_then(|r| r.old.as_ref())
}

impl Repository {
    /// The group and one item of it (member, request, invitation or token),
    /// read together. One `BatchGetItem`.
    pub async fn group_with<T: serde::de::DeserializeOwned>(
        &self,
        gid: &GroupId,
        other: &Key,
    ) -> Result<(Option<Group>, Option<T>)> {
        let group_key = keys::group(gid);
        let items = self.batch_get(&[group_key.clone(), other.clone()]).await?;
        let (mut group, mut found) = (None, None);
        for item in items {
            let pk = item.get(keys::PK).and_then(|v| v.as_s().ok()).cloned();
            let sk = item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned();
            if pk.as_deref() == Some(group_key.pk.as_str())
                && sk.as_deref() == Some(group_key.sk.as_str())
            {
                group = Some(from_item(item)?);
            } else {
                found = Some(from_item(item)?);
            }
        }
        Ok((group, found))
    }

    /// Lists a group's items under a sort-key prefix. One `Query` per 1 MB page.
    async fn list_prefix<T: serde::de::DeserializeOwned>(
        &self,
        gid: &GroupId,
        prefix: &str,
    ) -> Result<Vec<T>> {
        let mut pages = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::group_pk(gid)))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            out.push(from_item(
                item.map_err(|e| Error::unexpected(e.into_service_error()))?,
            )?);
        }
        Ok(out)
    }

    /// Pending requests of a group. One `Query` per page.
    pub async fn list_requests(&self, gid: &GroupId) -> Result<Vec<MembershipRequest>> {
        self.list_prefix(gid, keys::REQUEST_PREFIX).await
    }

    /// Pending invitations of a group. One `Query` per page.
    pub async fn list_invitations(&self, gid: &GroupId) -> Result<Vec<Invitation>> {
        self.list_prefix(gid, keys::INVITE_PREFIX).await
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

    /// Makes `new` the group's only invite link, retiring `old` at once.
    /// One `TransactWriteItems`.
    pub async fn rotate_invite_link(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        old: Option<&TokenHash>,
        new: &TokenRecord,
        now: OffsetDateTime,
    ) -> Result<()> {
        let link = InviteLinkState {
            token_hash: new.token_hash.clone(),
            created_at: now,
        };
        let (cond, mut values) = match old {
            Some(h) => (
                "attribute_exists(admins.#caller) AND #status = :active AND inviteLink.tokenHash = :old",
                vec![(":old", s(h.as_str()))],
            ),
            None => (
                "attribute_exists(admins.#caller) AND #status = :active AND attribute_not_exists(inviteLink)",
                vec![],
            ),
        };
        values.push((":active", active()));
        values.push((
            ":link",
            serde_dynamo::to_attribute_value(&link).map_err(Error::unexpected)?,
        ));
        values.push((":one", n(1)));
        values.push((":now", s(rfc3339(now))));
        let mut items = vec![tx_update(
            self,
            &keys::group(gid),
            "SET inviteLink = :link, version = version + :one, updatedAt = :now",
            Some(cond),
            &[("#caller", caller.as_str()), ("#status", "status")],
            values,
        )?];
        items.push(tx_put(
            self,
            &keys::token(&new.token_hash),
            "Token",
            new,
            &[],
            Some(("attribute_not_exists(PK)", vec![])),
        )?);
        if let Some(h) = old {
            items.push(tx_delete(self, &keys::token(h), None)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(reasons)) if failed(&reasons, 0) => {
                let err = group_refusal(old_image(&reasons, 0), Some(caller), None);
                if matches!(err, Error::Unexpected(_)) {
                    // The link changed under us: another admin rotated it first.
                    return Err(conflict(
                        "link-changed",
                        "the invite link was changed concurrently; try again",
                    ));
                }
                Err(err)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Disables the invite link. One `TransactWriteItems`.
    pub async fn disable_invite_link(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        old: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<()> {
        let items = vec![
            tx_update(
                self,
                &keys::group(gid),
                "REMOVE inviteLink SET version = version + :one, updatedAt = :now",
                Some("attribute_exists(admins.#caller) AND inviteLink.tokenHash = :old"),
                &[("#caller", caller.as_str())],
                vec![
                    (":old", s(old.as_str())),
                    (":one", n(1)),
                    (":now", s(rfc3339(now))),
                ],
            )?,
            tx_delete(self, &keys::token(old), None)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(reasons)) if failed(&reasons, 0) => {
                match group_refusal(old_image(&reasons, 0), Some(caller), None) {
                    Error::Unexpected(_) => Err(Error::NotFound("invite link")),
                    e => Err(e),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes email invitations with their tokens and outbox items, counting
    /// them against the group's daily cap in the same transaction. Addresses
    /// with a live invitation are returned as refused; the rest are written.
    /// One `TransactWriteItems` per 20 addresses.
    pub async fn create_invitations(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        invitations: Vec<NewInvitation>,
        cap: u32,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<(Written, Vec<EmailAddress>)> {
        let mut refused = Vec::new();
        let chunks: Vec<Vec<NewInvitation>> = invitations
            .chunks(20)
            .map(<[NewInvitation]>::to_vec)
            .collect();
        let last = chunks.len().saturating_sub(1);
        for (index, mut chunk) in chunks.into_iter().enumerate() {
            loop {
                if chunk.is_empty() {
                    break;
                }
                let count = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
                let mut items = vec![
                    admin_guard(self, gid, caller)?,
                    tx_update(
                        self,
                        &keys::invite_quota(gid, now.date()),
                        "SET sent = if_not_exists(sent, :zero) + :n, expiresAt = :ttl, entity = :entity",
                        Some("(attribute_not_exists(sent) AND :n <= :cap) OR sent <= :room"),
                        &[],
                        vec![
                            (":zero", n(0)),
                            (":n", n(count)),
                            (":room", n(i64::from(cap) - i64::from(count))),
                            (":cap", n(cap)),
                            (":ttl", n((now + time::Duration::days(2)).unix_timestamp())),
                            (":entity", s("InviteQuota")),
                        ],
                    )?,
                ];
                let first_invite = items.len();
                for new in &chunk {
                    items.push(tx_put(
                        self,
                        &keys::invitation(gid, &new.invitation.email),
                        "Invitation",
                        &new.invitation,
                        &[],
                        Some(("attribute_not_exists(PK)", vec![])),
                    )?);
                    items.push(tx_put(
                        self,
                        &keys::token(&new.token.token_hash),
                        "Token",
                        &new.token,
                        &[token_ttl(&new.token)],
                        None,
                    )?);
                    for o in &new.outbox {
                        items.push(self.outbox_put(o)?);
                    }
                }
                let per_invite = 2 + chunk.first().map_or(0, |c| c.outbox.len());
                // The key is recorded with the last chunk, so a replay finds it
                // only once every address has been written.
                let chunk_idem = if index == last { idem } else { None };
                match self.transact_idempotent(items, chunk_idem, now).await {
                    Ok(Written::Replayed(reply)) => return Ok((Written::Replayed(reply), refused)),
                    Ok(Written::Fresh) => break,
                    Err(TxError::Cancelled(reasons)) => {
                        if failed(&reasons, 0) {
                            return Err(group_refusal(old_image(&reasons, 0), Some(caller), None));
                        }
                        if failed(&reasons, 1) {
                            return Err(invite_limit(cap));
                        }
                        let before = chunk.len();
                        let mut keep = Vec::new();
                        for (i, new) in chunk.into_iter().enumerate() {
                            if failed(&reasons, first_invite + i * per_invite) {
                                refused.push(new.invitation.email);
                            } else {
                                keep.push(new);
                            }
                        }
                        if keep.len() == before {
                            return Err(TxError::Cancelled(reasons).into());
                        }
                        chunk = keep;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok((Written::Fresh, refused))
    }

    /// Replaces an invitation's token with a fresh one (old link dead at once)
    /// and sends it again. One `TransactWriteItems`.
    pub async fn resend_invitation(
        &self,
        gid: &GroupId,
        old: &Invitation,
        new: &NewInvitation,
        cap: u32,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        // The admin sending it again is the new invitation's sender.
        let caller = &new.invitation.invited_by;
        let old_hash = old
            .token_hash
            .clone()
            .ok_or(Error::NotFound("invitation"))?;
        let mut items = vec![
            admin_guard(self, gid, caller)?,
            tx_update(
                self,
                &keys::invite_quota(gid, now.date()),
                "SET sent = if_not_exists(sent, :zero) + :one, expiresAt = :ttl, entity = :entity",
                Some("attribute_not_exists(sent) OR sent < :cap"),
                &[],
                vec![
                    (":zero", n(0)),
                    (":one", n(1)),
                    (":cap", n(cap)),
                    (":ttl", n((now + time::Duration::days(2)).unix_timestamp())),
                    (":entity", s("InviteQuota")),
                ],
            )?,
            tx_put(
                self,
                &keys::invitation(gid, &new.invitation.email),
                "Invitation",
                &new.invitation,
                &[],
                Some(("tokenHash = :old", vec![(":old", s(old_hash.as_str()))])),
            )?,
            tx_delete(self, &keys::token(&old_hash), None)?,
            tx_put(
                self,
                &keys::token(&new.token.token_hash),
                "Token",
                &new.token,
                &[token_ttl(&new.token)],
                None,
            )?,
        ];
        for o in &new.outbox {
            items.push(self.outbox_put(o)?);
        }
        match self.transact_idempotent(items, idem, now).await {
            Ok(written) => Ok(written),
            Err(TxError::Cancelled(reasons)) => {
                if failed(&reasons, 0) {
                    return Err(group_refusal(old_image(&reasons, 0), Some(caller), None));
                }
                if failed(&reasons, 1) {
                    return Err(invite_limit(cap));
                }
                if failed(&reasons, 2) {
                    return Err(conflict(
                        "invitation-changed",
                        "the invitation changed concurrently; try again",
                    ));
                }
                Err(TxError::Cancelled(reasons).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Revokes an invitation: its token stops working at once. One `TransactWriteItems`.
    pub async fn revoke_invitation(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        old: &Invitation,
    ) -> Result<()> {
        let old_hash = old
            .token_hash
            .clone()
            .ok_or(Error::NotFound("invitation"))?;
        let items = vec![
            admin_guard(self, gid, caller)?,
            tx_delete(
                self,
                &keys::invitation(gid, &old.email),
                Some(("tokenHash = :old", vec![(":old", s(old_hash.as_str()))])),
            )?,
            tx_delete(self, &keys::token(&old_hash), None)?,
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(reasons)) if failed(&reasons, 0) => {
                Err(group_refusal(old_image(&reasons, 0), Some(caller), None))
            }
            Err(TxError::Cancelled(_)) => Err(Error::NotFound("invitation")),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates a membership: the group's count rises if it is active and not
    /// full, the account joins if it is in no group, the token (if any) is
    /// spent, the request (if approving) is consumed, and the outbox items
    /// are written. One `TransactWriteItems`.
    pub async fn create_membership(
        &self,
        m: &NewMembership<'_>,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let gid = &m.group_id;
        let aid = &m.member.account_id;
        let mut cond = String::from("#status = :active AND memberCount < :max");
        let mut names: Vec<(&str, &str)> = vec![("#status", "status")];
        if let Some(admin) = m.admin {
            cond.push_str(" AND attribute_exists(admins.#admin)");
            names.push(("#admin", admin.as_str()));
        }
        let mut items = vec![
            tx_update(
                self,
                &keys::group(gid),
                "SET memberCount = memberCount + :one, version = version + :one, updatedAt = :now",
                Some(&cond),
                &names,
                vec![
                    (":active", active()),
                    (":max", n(m.max_members)),
                    (":one", n(1)),
                    (":now", s(rfc3339(now))),
                ],
            )?,
            tx_put(
                self,
                &keys::member(gid, aid),
                "Member",
                &m.member,
                &[],
                Some(("attribute_not_exists(PK)", vec![])),
            )?,
        ];
        // The account joins only if it is in no group: one group per account.
        let account_index = items.len();
        let mut claim_index = None;
        match m.account {
            AccountRef::Caller(caller) => {
                let mut registration = self.register_account_items(caller, now)?;
                let update = registration.remove(0);
                items.push(join_account_update(self, update, gid)?);
                if let Some(claim) = registration.pop() {
                    claim_index = Some(items.len());
                    items.push(claim);
                }
            }
            AccountRef::Existing(aid) => items.push(tx_update(
                self,
                &keys::account(aid),
                "SET groupId = :gid",
                Some("attribute_exists(PK) AND attribute_not_exists(groupId)"),
                &[],
                vec![(":gid", s(gid.to_string()))],
            )?),
        }
        let token_index = items.len();
        if let Some(token) = m.spend {
            items.extend(self.spend_token_items(gid, token, now)?);
        }
        let request_index = items.len();
        if m.approves_request {
            items.push(tx_delete(
                self,
                &keys::request(gid, aid),
                Some(("attribute_exists(PK)", vec![])),
            )?);
        }
        for o in &m.outbox {
            items.push(self.outbox_put(o)?);
        }
        match self.transact_idempotent(items, idem, now).await {
            Ok(written) => Ok(written),
            Err(TxError::Cancelled(reasons)) => {
                if m.spend.is_some()
                    && (failed(&reasons, token_index) || failed(&reasons, token_index + 1))
                {
                    return Err(token_refusal(old_image(&reasons, token_index), now));
                }
                if m.approves_request && failed(&reasons, request_index) {
                    return Err(Error::NotFound("request"));
                }
                if failed(&reasons, 0) {
                    return Err(group_refusal(
                        old_image(&reasons, 0),
                        m.admin,
                        Some(m.max_members),
                    ));
                }
                if failed(&reasons, 1) {
                    return Err(conflict(
                        "already-member",
                        "that account is already a member of this group",
                    ));
                }
                if failed(&reasons, account_index) {
                    return Err(account_refusal(old_image(&reasons, account_index), gid));
                }
                if claim_index.is_some_and(|i| failed(&reasons, i)) {
                    return Err(email_in_use());
                }
                Err(TxError::Cancelled(reasons).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn spend_token_items(
        &self,
        gid: &GroupId,
        token: &TokenRecord,
        now: OffsetDateTime,
    ) -> Result<Vec<TransactWriteItem>> {
        let mut items = Vec::new();
        match &token.via {
            TokenKind::Link => items.push(tx_item_condition_check(
                self,
                &keys::token(&token.token_hash),
                "attribute_exists(PK)",
                &[],
                vec![],
            )?),
            TokenKind::Invitation { email } => {
                items.push(tx_update(
                    self,
                    &keys::token(&token.token_hash),
                    "SET usedAt = :now",
                    Some("attribute_exists(PK) AND attribute_not_exists(usedAt) AND validUntil > :epoch"),
                    &[],
                    vec![(":now", s(rfc3339(now))), (":epoch", n(now.unix_timestamp()))],
                )?);
                items.push(tx_delete(
                    self,
                    &keys::invitation(gid, email),
                    Some(("tokenHash = :h", vec![(":h", s(token.token_hash.as_str()))])),
                )?);
            }
        }
        Ok(items)
    }

    /// Files a membership request (the account must be in no group; a
    /// pending request is not duplicated). One `TransactWriteItems`.
    pub async fn create_request(
        &self,
        new: &NewRequest<'_>,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let NewRequest {
            group_id: gid,
            request,
            caller,
            spend,
            outbox,
        } = *new;
        let gid = &gid;
        let mut items = vec![
            tx_item_condition_check(
                self,
                &keys::group(gid),
                "#status = :active",
                &[("#status", "status")],
                vec![(":active", active())],
            )?,
            tx_put(
                self,
                &keys::request(gid, &caller.account_id),
                "MembershipRequest",
                request,
                &[],
                Some(("attribute_not_exists(PK)", vec![])),
            )?,
        ];
        let mut registration = self.register_account_items(caller, now)?;
        let update = registration.remove(0);
        let account_index = items.len();
        items.push(not_in_a_group(self, update)?);
        let claim_index = registration.pop().map(|claim| {
            items.push(claim);
            items.len() - 1
        });
        let token_index = items.len();
        if let Some(token) = spend {
            items.extend(self.spend_token_items(gid, token, now)?);
        }
        for o in outbox {
            items.push(self.outbox_put(o)?);
        }
        match self.transact_idempotent(items, idem, now).await {
            Ok(written) => Ok(written),
            Err(TxError::Cancelled(reasons)) => {
                if spend.is_some()
                    && (failed(&reasons, token_index) || failed(&reasons, token_index + 1))
                {
                    return Err(token_refusal(old_image(&reasons, token_index), now));
                }
                if failed(&reasons, 0) {
                    return Err(group_refusal(old_image(&reasons, 0), None, None));
                }
                if failed(&reasons, account_index) {
                    return Err(account_refusal(old_image(&reasons, account_index), gid));
                }
                if failed(&reasons, 1) {
                    return Err(conflict(
                        "already-requested",
                        "a request to join this group is already pending",
                    ));
                }
                if claim_index.is_some_and(|i| failed(&reasons, i)) {
                    return Err(email_in_use());
                }
                Err(TxError::Cancelled(reasons).into())
            }
            Err(e) => Err(e.into()),
        }
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
        let mut items = vec![
            admin_guard(self, gid, caller)?,
            tx_delete(
                self,
                &keys::request(gid, aid),
                Some(("attribute_exists(PK)", vec![])),
            )?,
        ];
        for o in outbox {
            items.push(self.outbox_put(o)?);
        }
        match self.transact_idempotent(items, idem, now).await {
            Ok(written) => Ok(written),
            Err(TxError::Cancelled(reasons)) if failed(&reasons, 0) => {
                Err(group_refusal(old_image(&reasons, 0), Some(caller), None))
            }
            Err(TxError::Cancelled(reasons)) if failed(&reasons, 1) => {
                Err(Error::NotFound("request"))
            }
            Err(e) => Err(e.into()),
        }
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
        let mut items = vec![
            tx_update(
                self,
                &keys::group(gid),
                "SET memberCount = memberCount - :one, version = version + :one, updatedAt = :now",
                Some("attribute_exists(admins.#caller) AND memberCount > :zero"),
                &[("#caller", caller.as_str())],
                vec![(":one", n(1)), (":zero", n(0)), (":now", s(rfc3339(now)))],
            )?,
            tx_delete(
                self,
                &keys::member(gid, aid),
                Some(("attribute_exists(PK)", vec![])),
            )?,
            tx_update(
                self,
                &keys::account(aid),
                "REMOVE groupId",
                Some("groupId = :gid"),
                &[],
                vec![(":gid", s(gid.to_string()))],
            )?,
        ];
        for o in outbox {
            items.push(self.outbox_put(o)?);
        }
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(reasons)) if failed(&reasons, 0) => {
                match group_refusal(old_image(&reasons, 0), Some(caller), None) {
                    Error::Unexpected(_) => Err(Error::NotFound("member")),
                    e => Err(e),
                }
            }
            Err(TxError::Cancelled(_)) => Err(Error::NotFound("member")),
            Err(e) => Err(e.into()),
        }
    }

    /// A token record by hash. One consistent `GetItem`.
    pub async fn get_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>> {
        self.get(&keys::token(hash)).await
    }
}

fn token_ttl(token: &TokenRecord) -> (&'static str, AttributeValue) {
    let until = token.valid_until.unwrap_or(i64::MAX / 2);
    (
        keys::EXPIRES_AT,
        n(until.saturating_add(TOKEN_GRACE.whole_seconds())),
    )
}

fn invite_limit(cap: u32) -> Error {
    Error::LimitReached {
        kind: "invite-limit",
        detail: format!("a group may send at most {cap} invitations per day; try again tomorrow"),
    }
}

/// Adds "and join this group" to the caller's registration update.
fn join_account_update(
    repo: &Repository,
    registration: TransactWriteItem,
    gid: &GroupId,
) -> Result<TransactWriteItem> {
    let update = registration
        .update
        .ok_or_else(|| Error::unexpected("registration is an update"))?;
    let mut values: HashMap<String, AttributeValue> = update
        .expression_attribute_values
        .clone()
        .unwrap_or_default();
    values.insert(":gid".into(), s(gid.to_string()));
    let built = Update::builder()
        .table_name(repo.table())
        .set_key(Some(update.key.clone()))
        .update_expression(format!("{}, groupId = :gid", update.update_expression))
        .condition_expression("attribute_not_exists(groupId)")
        .set_expression_attribute_values(Some(values))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(Error::unexpected)?;
    Ok(TransactWriteItem::builder().update(built).build())
}

/// The caller's registration update, required to find them in no group.
fn not_in_a_group(repo: &Repository, registration: TransactWriteItem) -> Result<TransactWriteItem> {
    let update = registration
        .update
        .ok_or_else(|| Error::unexpected("registration is an update"))?;
    let built = Update::builder()
        .table_name(repo.table())
        .set_key(Some(update.key.clone()))
        .update_expression(update.update_expression.clone())
        .condition_expression("attribute_not_exists(groupId)")
        .set_expression_attribute_values(update.expression_attribute_values.clone())
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(Error::unexpected)?;
    Ok(TransactWriteItem::builder().update(built).build())
}

fn account_refusal(old: Option<&Item>, gid: &GroupId) -> Error {
    let current = old
        .and_then(|o| o.get("groupId"))
        .and_then(|v| v.as_s().ok())
        .cloned();
    match current {
        Some(g) if g == gid.to_string() => {
            conflict("already-member", "you are already a member of this group")
        }
        Some(_) => conflict(
            "already-in-a-group",
            "this account already belongs to a group; leave it before joining another",
        ),
        None => Error::NotFound("account"),
    }
}
