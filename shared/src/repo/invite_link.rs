//! The group's shared invite link, and the token records behind links and
//! email invitations (only a token's hash is ever a key).

use time::OffsetDateTime;

use super::groups::{active_admin, explain_group};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Item, Repository, from_item, n, s, to_item};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{
    AccountId, GroupId, InviteLinkState, TokenHash, TokenKind, TokenRecord, rfc3339,
};
use crate::problem::ProblemKind;

/// How long a spent or expired token is kept so a late click gets a precise
/// answer; an expired invitation is kept as long (shown as expired, ready to
/// resend), so the two leave the table together.
pub(super) const TOKEN_GRACE: time::Duration = time::Duration::days(30);

/// Why a token could not be spent, from its record as it was: unknown, or
/// refused by the token rule (used, expired).
fn explain_token(old: Option<Item>, now: OffsetDateTime) -> Error {
    let Some(record) = old.and_then(|o| from_item::<TokenRecord>(o).ok()) else {
        return Error::NotFound("invitation");
    };
    match record.ensure_usable(now) {
        Err(refusal) => refusal,
        Ok(()) => Error::NotFound("invitation"),
    }
}

impl Repository {
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
        let unchanged = match old {
            Some(h) => active_admin(caller)
                .and("inviteLink.tokenHash = :old")
                .value(":old", s(h.as_str())),
            None => active_admin(caller).and("attribute_not_exists(inviteLink)"),
        };
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new("SET inviteLink = :link, version = version + :one, updatedAt = :now")
                .value(
                    ":link",
                    serde_dynamo::to_attribute_value(&link).map_err(Error::unexpected)?,
                )
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                unchanged,
                Refusal::explain(move |old| match explain_group(old, Some(caller)) {
                    Err(refusal) => refusal,
                    // Another admin rotated or disabled the link first.
                    Ok(_) => Error::refused(
                        ProblemKind::LinkChanged,
                        "the invite link was changed concurrently; try again",
                    ),
                }),
            )),
        )?;
        tx.create(
            &keys::token(&new.token_hash),
            "Token",
            new,
            Refusal::always(|| Error::unexpected("a new token's hash is already stored")),
        )?;
        if let Some(h) = old {
            tx.delete(&keys::token(h), None)?;
        }
        tx.commit().await.map(drop)
    }

    /// Disables the invite link. One `TransactWriteItems`.
    pub async fn disable_invite_link(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        old: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new("REMOVE inviteLink SET version = version + :one, updatedAt = :now")
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                Expr::new("attribute_exists(admins.#caller) AND inviteLink.tokenHash = :old")
                    .name("#caller", caller.as_str())
                    .value(":old", s(old.as_str())),
                Refusal::explain(move |old| match explain_group(old, Some(caller)) {
                    Err(refusal) => refusal,
                    Ok(_) => Error::NotFound("invite link"),
                }),
            )),
        )?;
        tx.delete(&keys::token(old), None)?;
        tx.commit().await.map(drop)
    }

    /// A token record by hash. One consistent `GetItem`.
    pub async fn get_token(&self, hash: &TokenHash) -> Result<Option<TokenRecord>> {
        self.get(&keys::token(hash)).await
    }

    /// Stores a new invitation's token; it expires (TTL) a grace period
    /// after its validity, so a late click still gets a precise answer.
    pub(super) fn add_token(&self, tx: &mut Tx<'_>, token: &TokenRecord) -> Result<()> {
        let until = token.valid_until.unwrap_or(i64::MAX / 2);
        let mut item = to_item(&keys::token(&token.token_hash), "Token", token)?;
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            n(until.saturating_add(TOKEN_GRACE.whole_seconds())),
        );
        tx.put_item(item, None)
    }

    /// Spends a presented token within a join or request: a link must still
    /// be the group's; an invitation is used once, before it expires, and its
    /// pending invitation goes with it.
    pub(super) fn add_token_spend<'a>(
        &self,
        tx: &mut Tx<'a>,
        gid: &GroupId,
        token: &'a TokenRecord,
        now: OffsetDateTime,
    ) -> Result<()> {
        let key = keys::token(&token.token_hash);
        match &token.via {
            TokenKind::Link => tx.check(
                &key,
                // Also an invitation's token used as a link by someone
                // else: it must still be unspent.
                Guard::new(
                    Expr::new("attribute_exists(PK) AND attribute_not_exists(usedAt)"),
                    Refusal::explain(move |old| explain_token(old, now)),
                ),
            ),
            TokenKind::Invitation { email } => {
                tx.update(
                    &key,
                    Expr::new("SET usedAt = :now").value(":now", s(rfc3339(now))),
                    Some(Guard::new(
                        Expr::new(
                            "attribute_exists(PK) AND attribute_not_exists(usedAt) AND validUntil > :epoch",
                        )
                        .value(":epoch", n(now.unix_timestamp())),
                        Refusal::explain(move |old| explain_token(old, now)),
                    )),
                )?;
                tx.delete(
                    &keys::invitation(gid, email),
                    Some(Guard::new(
                        Expr::new("tokenHash = :h").value(":h", s(token.token_hash.as_str())),
                        Refusal::always(|| Error::NotFound("invitation")),
                    )),
                )
            }
        }
    }
}
