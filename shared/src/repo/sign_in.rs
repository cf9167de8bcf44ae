//! Signing in (`GET /me`, `PATCH /me`): the one write that changes an
//! account's stored email, moving the uniqueness claim of its verified
//! address and the admin and member entries that show it. Only the
//! functions that sign in (they also ask the identity provider) link it.

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::accounts::{AccountWrite, EmailClaim, EmailRule, GroupRule, account_changed};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Repository, n, s};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{Account, AccountChanges, AccountId, EmailAddress, GroupId, rfc3339};
use crate::problem::ProblemKind;

/// The refusal when a verified address already belongs to another account.
pub(crate) fn email_in_use() -> Error {
    Error::refused(
        ProblemKind::EmailInUse,
        "this email address belongs to another account",
    )
}

/// How signing in takes the claim of the token's verified address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClaimMove {
    /// Nothing to claim: the token's address is unverified.
    Nothing,
    /// The claim is free, or already the caller's.
    Take,
    /// Held by an account whose stored address is no longer this one (it
    /// moved on without releasing it) or that is gone from the table.
    FromStale(AccountId),
    /// Held by an account still stored with this address, which the
    /// identity provider says no longer signs in with it (deleted, or its
    /// email changed there).
    FromGone(AccountId),
}

/// What an admin entry's address becomes.
#[derive(Debug, Clone, Copy)]
enum AdminEmail<'a> {
    /// The admin's address now (they signed in with it).
    Now(&'a EmailAddress),
    /// Passed to another account: mailed nothing for this admin.
    Withdrawn,
}

/// One sign-in, as planned from the caller's account and claims as read
/// (see [`Repository::sign_in`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignIn<'a> {
    /// Who signs in, with their token's email.
    pub caller: &'a Caller,
    /// Their own settings to change (`PATCH /me`), if any.
    pub changes: AccountChanges,
    /// Their account as read (`None`: signing in for the first time).
    pub stored: Option<&'a Account>,
    /// A claim of theirs to release: the stored verified address, when the
    /// token's differs.
    pub release: Option<&'a EmailAddress>,
    /// How the token's verified address is claimed.
    pub claim: &'a ClaimMove,
    /// Groups whose admin entry shows their address, to refresh (or, for
    /// an unverified address, to mark withdrawn).
    pub admin_of: &'a [GroupId],
    /// Groups whose admin entry shows the address for the account it is
    /// taken from (the claim's holder), to mark withdrawn.
    pub holder_admin_of: &'a [GroupId],
    /// The group whose member entry shows their address, to refresh.
    pub member_of: Option<&'a GroupId>,
}

impl Repository {
    /// Signs the caller in: creates or refreshes their account from their
    /// token, changing their settings in the same write (`PATCH /me`), and
    /// when their email differs from the stored one moves what hangs on it,
    /// all in one `TransactWriteItems`:
    ///
    /// * the claim of the stored verified address is released
    ///   (`sign_in.release`, read as theirs);
    /// * the token's verified address is claimed as `sign_in.claim` says
    ///   (from a free or own claim, or from a holder that moved on or is gone,
    ///   each re-checked by a condition here);
    /// * the email on the groups they administer and on their membership is
    ///   refreshed (for a verified address; an unverified one withdraws it
    ///   from their admin entries).
    ///
    /// Every read it was planned from is a condition: a change meanwhile is
    /// a `concurrent-change` refusal (the caller plans again).
    pub(crate) async fn sign_in(&self, sign_in: &SignIn<'_>, now: OffsetDateTime) -> Result<()> {
        let SignIn {
            caller,
            changes,
            stored,
            release,
            ref claim,
            admin_of,
            holder_admin_of,
            member_of,
        } = *sign_in;
        let mut tx = Tx::new(self);
        let was = stored.map(|a| (&a.email, a.email_verified));
        let mut write = AccountWrite::register(caller, GroupRule::Any).changing(changes);
        write.email = EmailRule::Refresh(was);
        self.add_account_write(&mut tx, write, now)?;
        let me = s(caller.account_id.as_str());
        if let Some(old) = release {
            tx.delete(
                &keys::email_claim(old),
                Some(Guard::new(
                    Expr::new("accountId = :id").value(":id", me.clone()),
                    Refusal::always(account_changed),
                )),
            )?;
        }
        let taken = EmailClaim {
            account_id: caller.account_id.clone(),
        };
        let claim_key = keys::email_claim(&caller.email);
        match claim {
            ClaimMove::Nothing => {}
            ClaimMove::Take => tx.put(
                &claim_key,
                "EmailClaim",
                &taken,
                Some(Guard::new(
                    Expr::new("attribute_not_exists(PK) OR accountId = :id").value(":id", me),
                    Refusal::always(account_changed),
                )),
            )?,
            ClaimMove::FromStale(holder) | ClaimMove::FromGone(holder) => {
                tx.put(
                    &claim_key,
                    "EmailClaim",
                    &taken,
                    Some(Guard::new(
                        Expr::new("accountId = :holder").value(":holder", s(holder.as_str())),
                        Refusal::always(account_changed),
                    )),
                )?;
                let address = s(caller.email.as_str());
                if matches!(claim, ClaimMove::FromStale(_)) {
                    tx.check(
                        &keys::account(holder),
                        Guard::new(
                            Expr::new(
                                "attribute_not_exists(PK) OR email <> :email \
                                 OR emailVerified = :no",
                            )
                            .value(":email", address)
                            .value(":no", AttributeValue::Bool(false)),
                            Refusal::always(account_changed),
                        ),
                    )?;
                } else {
                    // The identity provider says the holder no longer signs
                    // in with it: its stored address is no longer proven, so
                    // nothing is mailed to it on the holder's behalf.
                    tx.update(
                        &keys::account(holder),
                        Expr::new("SET emailVerified = :no")
                            .value(":no", AttributeValue::Bool(false)),
                        Some(Guard::new(
                            Expr::new("email = :email AND emailVerified = :yes")
                                .value(":email", address)
                                .value(":yes", AttributeValue::Bool(true)),
                            Refusal::always(account_changed),
                        )),
                    )?;
                }
                for gid in holder_admin_of {
                    self.add_admin_email_change(&mut tx, gid, holder, AdminEmail::Withdrawn, now)?;
                }
            }
        }
        // An unverified address is never shown for an admin to be mailed:
        // their entries are withdrawn until they sign in with a verified one.
        let shown = if caller.email_verified {
            AdminEmail::Now(&caller.email)
        } else {
            AdminEmail::Withdrawn
        };
        for gid in admin_of {
            self.add_admin_email_change(&mut tx, gid, &caller.account_id, shown, now)?;
        }
        if caller.email_verified {
            let email = s(caller.email.as_str());
            if let Some(gid) = member_of {
                tx.update(
                    &keys::member(gid, &caller.account_id),
                    Expr::new("SET email = :email").value(":email", email),
                    Some(Guard::new(
                        Expr::new("attribute_exists(PK)"),
                        Refusal::always(account_changed),
                    )),
                )?;
            }
        }
        tx.commit().await.map(drop)
    }

    /// Changes the address an admin entry shows, on condition the account
    /// still administers the group.
    fn add_admin_email_change(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        admin: &AccountId,
        change: AdminEmail<'_>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let set = match change {
            AdminEmail::Now(email) => Expr::new(
                "SET admins.#admin.email = :email, version = version + :one, updatedAt = :now \
                 REMOVE admins.#admin.emailWithdrawn",
            )
            .value(":email", s(email.as_str())),
            AdminEmail::Withdrawn => Expr::new(
                "SET admins.#admin.emailWithdrawn = :yes, version = version + :one, \
                 updatedAt = :now",
            )
            .value(":yes", AttributeValue::Bool(true)),
        };
        tx.update(
            &keys::group(gid),
            set.name("#admin", admin.as_str())
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                Expr::new("attribute_exists(admins.#admin)").name("#admin", admin.as_str()),
                Refusal::always(account_changed),
            )),
        )
    }
}
