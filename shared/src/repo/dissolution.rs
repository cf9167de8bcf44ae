//! Dissolution: the preview record, the confirmation that stops the group
//! at once (a conditional write on the group: no joins, invitations or
//! edits after it), and the steps the dissolution job takes, each safe to
//! repeat after a crash.

use time::OffsetDateTime;

use super::groups::{active_admin, admin_guard, explain_group};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{
    IdempotentWrite, Item, Repository, Written, from_item, key_map, n, s, sdk_error, to_item,
};
use crate::error::{Error, Result};
use crate::keys::{self, Key};
use crate::model::{
    Account, AccountId, Dissolution, DissolutionState, Group, GroupId, Member, TokenHash, rfc3339,
};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// How long an abandoned preview lingers before TTL removes it.
const PREVIEW_TTL: time::Duration = time::Duration::days(1);

/// Why a confirmation was refused, from the dissolution record as it was.
fn explain_confirmation(old: Option<Item>, now: OffsetDateTime, presented: &TokenHash) -> Error {
    let Some(record) = old.and_then(|o| from_item::<Dissolution>(o).ok()) else {
        return Error::refused(
            ProblemKind::DissolutionTokenInvalid,
            "preview the dissolution first, then confirm it with the preview's token",
        );
    };
    match record.state {
        DissolutionState::Confirmed | DissolutionState::Done => Error::refused(
            ProblemKind::GroupDissolved,
            "the group is already being dissolved",
        ),
        DissolutionState::Previewed
            if !record
                .token_hash
                .as_ref()
                .is_some_and(|h| h.matches(presented)) =>
        {
            Error::refused(
                ProblemKind::DissolutionTokenInvalid,
                "this is not the token of the latest preview",
            )
        }
        DissolutionState::Previewed
            if record.valid_until.is_none_or(|t| t <= now.unix_timestamp()) =>
        {
            Error::refused(
                ProblemKind::DissolutionExpired,
                "the preview has expired; preview the dissolution again",
            )
        }
        DissolutionState::Previewed => {
            Error::unexpected("dissolution confirmation failed for no known reason")
        }
    }
}

/// The group is being dissolved (the job's steps require it).
fn dissolving(refusal: Refusal<'_>) -> Guard<'_> {
    Guard::new(
        Expr::new("#status = :dissolving")
            .name("#status", "status")
            .value(":dissolving", s("dissolving")),
        refusal,
    )
}

impl Repository {
    /// Records a preview (replacing an earlier one and its token), if the
    /// caller administers the active group. One `TransactWriteItems`.
    pub async fn preview_dissolution(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        record: &Dissolution,
    ) -> Result<()> {
        let mut item = to_item(&keys::dissolution(gid), "Dissolution", record)?;
        let lingers = record.valid_until.unwrap_or(0) + PREVIEW_TTL.whole_seconds();
        item.insert(keys::EXPIRES_AT.into(), n(lingers));
        let mut tx = Tx::new(self);
        tx.check(&keys::group(gid), admin_guard(caller))?;
        tx.put_item(
            item,
            Some(Guard::new(
                Expr::new("attribute_not_exists(PK) OR #state = :previewed")
                    .name("#state", "state")
                    .value(":previewed", s("previewed")),
                Refusal::always(|| {
                    Error::refused(
                        ProblemKind::GroupDissolved,
                        "the group is already being dissolved",
                    )
                }),
            )),
        )?;
        tx.commit().await.map(drop)
    }

    /// Confirms a previewed dissolution with its token: the group stops
    /// accepting changes at once and the dissolution job is written. One
    /// `TransactWriteItems`.
    #[allow(clippy::too_many_arguments)]
    pub async fn confirm_dissolution(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        presented: &TokenHash,
        job: &OutboxItem,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new("SET #status = :dissolving, version = version + :one, updatedAt = :now")
                .value(":dissolving", s("dissolving"))
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                active_admin(caller),
                Refusal::explain(move |old| match explain_group(old, Some(caller)) {
                    Err(refusal) => refusal,
                    Ok(_) => Error::unexpected("group guard failed on an active group"),
                }),
            )),
        )?;
        tx.update(
            &keys::dissolution(gid),
            Expr::new(
                "SET #state = :confirmed, confirmedBy = :caller, confirmedAt = :at \
                 REMOVE tokenHash, validUntil, expiresAt",
            )
            .name("#state", "state")
            .value(":confirmed", s("confirmed"))
            .value(":caller", s(caller.as_str()))
            .value(":at", s(rfc3339(now))),
            Some(Guard::new(
                Expr::new("#state = :previewed AND tokenHash = :hash AND validUntil > :epoch")
                    .value(":previewed", s("previewed"))
                    .value(":hash", s(presented.as_str()))
                    .value(":epoch", n(now.unix_timestamp())),
                Refusal::explain(move |old| explain_confirmation(old, now, presented)),
            )),
        )?;
        self.add_outbox(&mut tx, std::slice::from_ref(job))?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// The group and its dissolution record. One `BatchGetItem`.
    pub async fn dissolution_of(
        &self,
        gid: &GroupId,
    ) -> Result<(Option<Group>, Option<Dissolution>)> {
        self.group_with(gid, &keys::dissolution(gid)).await
    }

    /// Notes that the final usage record is written. One `UpdateItem`.
    pub async fn mark_final_usage(&self, gid: &GroupId) -> Result<()> {
        self.client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::dissolution(gid))))
            .update_expression("SET finalUsageRecorded = :yes")
            .expression_attribute_values(
                ":yes",
                aws_sdk_dynamodb::types::AttributeValue::Bool(true),
            )
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }

    /// Detaches one member of a dissolving group: the member item goes, the
    /// account (as read) is detached and kept, what it holds leaves the
    /// group's counters, and the member is told. One `TransactWriteItems`.
    pub async fn detach_member(
        &self,
        gid: &GroupId,
        member: &Member,
        account: &Account,
        outbox: &[OutboxItem],
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.delete(
            &keys::member(gid, &member.account_id),
            Some(Guard::new(
                Expr::new("attribute_exists(PK)"),
                Refusal::always(|| Error::NotFound("member")),
            )),
        )?;
        tx.update(
            &keys::group(gid),
            Expr::new("SET memberCount = memberCount - :one, updatedAt = :now")
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(dissolving(Refusal::always(|| {
                Error::unexpected("detaching a member of a group not dissolving")
            }))),
        )?;
        tx.update(
            &keys::dissolution(gid),
            Expr::new("ADD membersDetached :one").value(":one", n(1)),
            None,
        )?;
        self.add_leaving(&mut tx, gid, account, now)?;
        self.add_outbox(&mut tx, outbox)?;
        tx.commit().await.map(drop)
    }

    /// What a dissolved group leaves behind in its partition once its
    /// members are gone: invitations and their tokens, requests, admin
    /// links, schedule entries, billing, counters, quotas and every usage
    /// record but `keep`'s day. One consistent `Query` per 1 MB page.
    pub async fn group_leftovers(&self, group: &Group, keep: &Key) -> Result<Vec<Key>> {
        let gid = &group.id;
        let mut pages = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::group_pk(gid)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let own = [
            keys::group(gid).sk,
            keys::dissolution(gid).sk,
            keep.sk.clone(),
        ];
        let mut leftovers = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(sdk_error)?;
            let sk = item
                .get(keys::SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if own.contains(&sk) || sk.starts_with(keys::MEMBER_PREFIX) {
                continue;
            }
            if let Some(hash) = item.get("tokenHash").and_then(|v| v.as_s().ok()) {
                leftovers.push(Key {
                    pk: format!("TOKEN#{hash}"),
                    sk: "TOKEN".into(),
                });
            }
            leftovers.push(Key {
                pk: keys::group_pk(gid),
                sk,
            });
        }
        if let Some(link) = &group.invite_link {
            leftovers.push(keys::token(&link.token_hash));
        }
        Ok(leftovers)
    }

    /// Deletes leftovers by key (deleting one twice is harmless). One
    /// `BatchWriteItem` per 25.
    pub async fn delete_leftovers(&self, leftovers: &[Key]) -> Result<()> {
        self.delete_all(leftovers).await
    }

    /// Ends a dissolution: the group is dissolved (once: `false` when it
    /// already was) and the admins' email and the event are written. One
    /// `TransactWriteItems`.
    pub async fn finish_dissolution(
        &self,
        gid: &GroupId,
        outbox: &[OutboxItem],
        now: OffsetDateTime,
    ) -> Result<bool> {
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new(
                "SET #status = :dissolved, dissolvedAt = :now, updatedAt = :now, \
                 version = version + :one REMOVE inviteLink",
            )
            .value(":dissolved", s("dissolved"))
            .value(":one", n(1))
            .value(":now", s(rfc3339(now))),
            Some(dissolving(Refusal::always(|| {
                Error::refused(
                    ProblemKind::GroupDissolved,
                    "the group is already dissolved",
                )
            }))),
        )?;
        tx.update(
            &keys::dissolution(gid),
            Expr::new("SET #state = :done")
                .name("#state", "state")
                .value(":done", s("done")),
            None,
        )?;
        self.add_outbox(&mut tx, outbox)?;
        match tx.commit().await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ProblemKind::GroupDissolved => Ok(false),
            Err(e) => Err(e),
        }
    }
}
