//! Email invitations and the daily caps they count against (per group and
//! per sending account). A bulk invitation reserves its whole count first,
//! then writes each invitation with its token and email in one
//! transaction per 20 addresses.

use time::OffsetDateTime;

use super::groups::admin_guard;
use super::invite_link::TOKEN_GRACE;
use super::tx::{Cancelled, Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Item, Repository, Written, n, quota, s, to_item};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{
    AccountId, DailyCap, EmailAddress, GroupId, Invitation, TokenHash, TokenRecord,
};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// Addresses written per transaction (each takes an invitation, a token and
/// two outbox items, within DynamoDB's 100 items a transaction).
const PER_TRANSACTION: usize = 20;

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

/// Both daily caps an invitation counts against.
#[derive(Debug, Clone, Copy)]
pub struct InviteCaps {
    /// Per group and day.
    pub group: u32,
    /// Per sending account and day, over all its groups.
    pub account: u32,
}

/// The item of an invitation: the model plus its TTL, a number.
fn invitation_item(gid: &GroupId, invitation: &Invitation) -> Result<Item> {
    let mut item = to_item(
        &keys::invitation(gid, &invitation.email),
        "Invitation",
        invitation,
    )?;
    item.insert(
        keys::EXPIRES_AT.to_owned(),
        n((invitation.expires_at + TOKEN_GRACE).unix_timestamp()),
    );
    Ok(item)
}

impl Repository {
    /// Charges `count` invitations by `caller` to both daily caps, all or
    /// nothing, before any is written (so a bulk invitation never stops half
    /// way at a cap). One `TransactWriteItems` (admin check and two counters).
    pub async fn reserve_invitations(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        count: u32,
        caps: InviteCaps,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.check(&keys::group(gid), admin_guard(caller))?;
        self.add_invite_charge(&mut tx, gid, caller, count, caps, now)?;
        tx.commit().await.map(drop)
    }

    fn add_invite_charge(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        caller: &AccountId,
        count: u32,
        caps: InviteCaps,
        now: OffsetDateTime,
    ) -> Result<()> {
        let group = quota::group_invitations(gid, now);
        quota::add_charge(
            tx,
            &group,
            DailyCap::GroupInvitations,
            count,
            caps.group,
            now,
        )?;
        let account = quota::account_invitations(caller, now);
        quota::add_charge(
            tx,
            &account,
            DailyCap::AccountInvitations,
            count,
            caps.account,
            now,
        )
    }

    /// Gives back `count` reserved invitations that were not sent (their
    /// address already had a live invitation). One `TransactWriteItems`.
    pub async fn release_invitations(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        count: u32,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        quota::add_refund(&mut tx, &quota::group_invitations(gid, now), count)?;
        quota::add_refund(&mut tx, &quota::account_invitations(caller, now), count)?;
        tx.commit().await.map(drop)
    }

    /// Writes email invitations (already reserved) with their tokens and
    /// outbox items. Addresses with a live invitation are returned as
    /// refused; an expired one is replaced. One `TransactWriteItems` per 20
    /// addresses (more only when some are refused).
    pub async fn create_invitations(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        invitations: Vec<NewInvitation>,
        now: OffsetDateTime,
    ) -> Result<Vec<EmailAddress>> {
        let mut refused = Vec::new();
        let chunks: Vec<Vec<NewInvitation>> = invitations
            .chunks(PER_TRANSACTION)
            .map(<[NewInvitation]>::to_vec)
            .collect();
        for mut chunk in chunks {
            while !chunk.is_empty() {
                let mut tx = Tx::new(self);
                tx.check(&keys::group(gid), admin_guard(caller))?;
                for (entry, new) in chunk.iter().enumerate() {
                    let vacant = Expr::new("attribute_not_exists(PK) OR validUntil <= :now")
                        .value(":now", n(now.unix_timestamp()));
                    tx.put_item(
                        invitation_item(gid, &new.invitation)?,
                        Some(Guard::new(vacant, Refusal::Entry(entry))),
                    )?;
                    self.add_token(&mut tx, &new.token)?;
                    self.add_outbox(&mut tx, &new.outbox)?;
                }
                match tx.commit_batch().await {
                    Ok(_) => break,
                    Err(Cancelled::Refused(refusal)) => return Err(refusal),
                    Err(Cancelled::Entries(entries)) => {
                        let (taken, keep): (Vec<_>, Vec<_>) = chunk
                            .into_iter()
                            .enumerate()
                            .partition(|(entry, _)| entries.contains(entry));
                        refused.extend(taken.into_iter().map(|(_, new)| new.invitation.email));
                        chunk = keep.into_iter().map(|(_, new)| new).collect();
                    }
                }
            }
        }
        Ok(refused)
    }

    /// Stores the reply of a write made of several transactions (a bulk
    /// invitation), once all of them are done: `Replayed` with the first
    /// reply when a concurrent retry with the same key got there first. One
    /// `TransactWriteItems` of the one record.
    pub async fn record_reply(
        &self,
        record: &IdempotentWrite,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        tx.idempotent(Some(record), now);
        tx.commit().await
    }

    /// Replaces an invitation's token with a fresh one (old link dead at once)
    /// and sends it again. One `TransactWriteItems`.
    pub async fn resend_invitation(
        &self,
        gid: &GroupId,
        old: &Invitation,
        new: &NewInvitation,
        caps: InviteCaps,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        // The admin sending it again is the new invitation's sender.
        let sender = &new.invitation.invited_by;
        let (mut tx, old_hash) = self.retire(gid, sender, old)?;
        self.add_invite_charge(&mut tx, gid, sender, 1, caps, now)?;
        // The resend limits were checked on `old`: written only if it is
        // still the invitation (its token) that was checked.
        tx.put_item(
            invitation_item(gid, &new.invitation)?,
            Some(Guard::new(
                Expr::new("tokenHash = :old").value(":old", s(old_hash.as_str())),
                Refusal::always(|| {
                    Error::refused(
                        ProblemKind::InvitationChanged,
                        "the invitation changed concurrently; try again",
                    )
                }),
            )),
        )?;
        self.add_token(&mut tx, &new.token)?;
        self.add_outbox(&mut tx, &new.outbox)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Revokes an invitation: its token stops working at once. One `TransactWriteItems`.
    pub async fn revoke_invitation(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        old: &Invitation,
    ) -> Result<()> {
        let (mut tx, old_hash) = self.retire(gid, caller, old)?;
        tx.delete(
            &keys::invitation(gid, &old.email),
            Some(Guard::new(
                Expr::new("tokenHash = :old").value(":old", s(old_hash.as_str())),
                Refusal::always(|| Error::NotFound("invitation")),
            )),
        )?;
        tx.commit().await.map(drop)
    }

    /// Starts a change of invitation `old` by admin `caller`: the admin
    /// guard, and the end of the old token; the caller adds what replaces
    /// the invitation, on the condition that its token is still `old`'s.
    fn retire<'a>(
        &'a self,
        gid: &GroupId,
        caller: &'a AccountId,
        old: &'a Invitation,
    ) -> Result<(Tx<'a>, &'a TokenHash)> {
        let old_hash = old
            .token_hash
            .as_ref()
            .ok_or(Error::NotFound("invitation"))?;
        let mut tx = Tx::new(self);
        tx.check(&keys::group(gid), admin_guard(caller))?;
        tx.delete(&keys::token(old_hash), None)?;
        Ok((tx, old_hash))
    }

    /// A page of a group's invitations, by address, and where the next page
    /// starts. One `Query`.
    pub async fn list_invitations(
        &self,
        gid: &GroupId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<Invitation>, Option<String>)> {
        self.page_prefix(gid, keys::INVITE_PREFIX, limit, after)
            .await
    }
}
