//! Email invitations and the per-group daily quota that caps them. An
//! invitation, its token, its email and its count against the quota are
//! written in one transaction.

use time::OffsetDateTime;

use super::groups::admin_guard;
use super::tx::{Cancelled, Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, n, s};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{AccountId, EmailAddress, GroupId, Invitation, TokenHash, TokenRecord};
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

/// The daily cap's refusal.
fn invite_limit(cap: u32) -> Error {
    Error::refused(
        ProblemKind::InviteLimit,
        format!("a group may send at most {cap} invitations per day; try again tomorrow"),
    )
}

impl Repository {
    /// Counts `count` invitations against today's quota: refused whole when
    /// they do not all fit under `cap`.
    fn add_quota_charge(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        count: u32,
        cap: u32,
        now: OffsetDateTime,
    ) -> Result<()> {
        tx.update(
            &keys::invite_quota(gid, now.date()),
            Expr::new(
                "SET sent = if_not_exists(sent, :zero) + :n, expiresAt = :ttl, entity = :entity",
            )
            .value(":zero", n(0))
            .value(":n", n(count))
            .value(":ttl", n((now + time::Duration::days(2)).unix_timestamp()))
            .value(":entity", s("InviteQuota")),
            Some(Guard::new(
                Expr::new("(attribute_not_exists(sent) AND :n <= :cap) OR sent <= :room")
                    .value(":room", n(i64::from(cap) - i64::from(count)))
                    .value(":cap", n(cap)),
                Refusal::always(move || invite_limit(cap)),
            )),
        )
    }

    /// Writes email invitations with their tokens and outbox items, counting
    /// them against the group's daily cap in the same transaction. Addresses
    /// with a live invitation are returned as refused; the rest are written.
    /// A replay refuses nothing: this very request wrote them. One
    /// `TransactWriteItems` per 20 addresses.
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
            .chunks(PER_TRANSACTION)
            .map(<[NewInvitation]>::to_vec)
            .collect();
        let last = chunks.len().saturating_sub(1);
        for (index, mut chunk) in chunks.into_iter().enumerate() {
            while !chunk.is_empty() {
                let count = u32::try_from(chunk.len()).unwrap_or(u32::MAX);
                let mut tx = Tx::new(self);
                tx.check(&keys::group(gid), admin_guard(caller))?;
                self.add_quota_charge(&mut tx, gid, count, cap, now)?;
                for (entry, new) in chunk.iter().enumerate() {
                    tx.create(
                        &keys::invitation(gid, &new.invitation.email),
                        "Invitation",
                        &new.invitation,
                        Refusal::Entry(entry),
                    )?;
                    self.add_token(&mut tx, &new.token)?;
                    self.add_outbox(&mut tx, &new.outbox)?;
                }
                // The key is recorded with the last chunk, so a replay finds it
                // only once every address has been written.
                tx.idempotent(if index == last { idem } else { None }, now);
                match tx.commit_batch().await {
                    Ok(Written::Fresh) => break,
                    Ok(replayed) => return Ok((replayed, Vec::new())),
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
        let (mut tx, old_hash) = self.retire(gid, &new.invitation.invited_by, old)?;
        self.add_quota_charge(&mut tx, gid, 1, cap, now)?;
        tx.put(
            &keys::invitation(gid, &new.invitation.email),
            "Invitation",
            &new.invitation,
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

    /// Pending invitations of a group. One `Query` per page.
    pub async fn list_invitations(&self, gid: &GroupId) -> Result<Vec<Invitation>> {
        self.list_prefix(gid, keys::INVITE_PREFIX).await
    }
}
