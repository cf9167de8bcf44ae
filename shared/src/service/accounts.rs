//! The caller's own account, and signing in: the one place a person's
//! stored email follows their token, with the uniqueness claim of their
//! verified address and the admin and member entries that show it.

use time::OffsetDateTime;

use super::retrying;
use crate::credentials::IdentityError;
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{Account, AccountChanges};
use crate::repo::{ClaimMove, SignIn, email_in_use};

/// Registers (first call) or refreshes the caller's account from their token
/// and returns it: what a client calls when a person signs in. Signing in
/// once is what makes an account addressable by email, and signing in
/// after an email change (or after the address passed from a deleted
/// account to a new one) is what moves the address's claim (see
/// [`sign_in`]). Never changes the owner's settings (e.g. their summary
/// email opt-out).
pub async fn me(deps: &Deps, caller: &Caller) -> Result<Account> {
    sign_in(deps, caller, AccountChanges::default()).await
}

/// Changes the caller's own settings (only theirs: the account is the
/// caller's from their token), signing them in in the same write as [`me`]
/// does, so the first call may be this one; returns the account as [`me`]
/// would. `changes` comes validated (non-empty) from `api::UpdateMeRequest`.
pub async fn update_me(deps: &Deps, caller: &Caller, changes: AccountChanges) -> Result<Account> {
    sign_in(deps, caller, changes).await
}

/// Signs the caller in. The account is read, and when the token's email is
/// the stored one (the usual case) written back at once: one `GetItem` and
/// one `TransactWriteItems`. When it differs, the stored verified address's
/// claim is released and the new one taken in that same transaction:
///
/// * a free claim (or the caller's own) is taken;
/// * a claim held by an account stored with another address (it moved on)
///   or with none is taken from it;
/// * a claim held by an account still stored with this address is taken
///   only if the identity provider says that account no longer signs in
///   with it (deleted, or its email changed there), and that account's
///   stored address is marked unverified in the same transaction;
///   otherwise the caller is refused with `email-in-use`.
///
/// The reads that decide (the claims, their holder's account, the groups
/// the caller administers) are conditions of the write, so a change
/// meanwhile makes it plan again.
async fn sign_in(deps: &Deps, caller: &Caller, changes: AccountChanges) -> Result<Account> {
    let now = deps.clock.now();
    let mut first_attempt = true;
    retrying(|| {
        let first = std::mem::replace(&mut first_attempt, false);
        sign_in_once(deps, caller, changes, first, now)
    })
    .await
}

/// One attempt of [`sign_in`]. A new account's first attempt takes its
/// address's claim as if free (it nearly always is): should it be held,
/// the write is refused as a concurrent change and the next attempt reads
/// who holds it.
async fn sign_in_once(
    deps: &Deps,
    caller: &Caller,
    changes: AccountChanges,
    first: bool,
    now: OffsetDateTime,
) -> Result<Account> {
    let me = &caller.account_id;
    let stored = deps.repo.get_account(me).await?;
    let moved = stored
        .as_ref()
        .filter(|a| a.email != caller.email || a.email_verified != caller.email_verified);
    let release = match moved {
        Some(old) if old.email_verified => {
            let holder = deps.repo.account_id_by_email(&old.email).await?;
            (holder.as_ref() == Some(me)).then_some(&old.email)
        }
        _ => None,
    };
    let claim = if !caller.email_verified {
        ClaimMove::Nothing
    } else if (stored.is_some() && moved.is_none()) || (stored.is_none() && first) {
        // Stored verified with this address: its claim is the caller's
        // (it is taken in the same write that stores the address, and
        // only taken away by marking the address unverified).
        ClaimMove::Take
    } else {
        plan_claim(deps, caller).await?
    };
    let (admin_of, member_of) = match moved {
        Some(old) => (
            deps.repo.administered_group_ids(me).await?,
            old.group_id.as_ref(),
        ),
        None => (Vec::new(), None),
    };
    let holder_admin_of = match &claim {
        ClaimMove::FromStale(holder) | ClaimMove::FromGone(holder) => {
            deps.repo.administered_group_ids(holder).await?
        }
        ClaimMove::Nothing | ClaimMove::Take => Vec::new(),
    };
    let sign_in = SignIn {
        caller,
        changes,
        stored: stored.as_ref(),
        release,
        claim: &claim,
        admin_of: &admin_of,
        holder_admin_of: &holder_admin_of,
        member_of,
    };
    deps.repo.sign_in(&sign_in, now).await?;
    Ok(signed_in(stored, caller, changes, now))
}

/// How the token's verified address can be claimed, from who holds it now.
async fn plan_claim(deps: &Deps, caller: &Caller) -> Result<ClaimMove> {
    let Some(holder) = deps.repo.account_id_by_email(&caller.email).await? else {
        return Ok(ClaimMove::Take);
    };
    if holder == caller.account_id {
        return Ok(ClaimMove::Take);
    }
    let still_stored = deps
        .repo
        .get_account(&holder)
        .await?
        .is_some_and(|a| a.email_verified && a.email == caller.email);
    if !still_stored {
        return Ok(ClaimMove::FromStale(holder));
    }
    let port = &deps.identity()?.port;
    match port.signs_in_with(&holder, &caller.email).await {
        Ok(true) => Err(email_in_use()),
        Ok(false) => Ok(ClaimMove::FromGone(holder)),
        Err(IdentityError::TooManyAttempts) => Err(Error::refused_for(
            crate::ProblemKind::Busy,
            "the identity provider is busy; try again shortly",
            std::time::Duration::from_secs(5),
        )),
        Err(other) => Err(Error::unexpected(other)),
    }
}

/// The account as the sign-in left it: `stored` (none: a new account) with
/// the token's email and the changed settings, as the write set them.
fn signed_in(
    stored: Option<Account>,
    caller: &Caller,
    changes: AccountChanges,
    now: OffsetDateTime,
) -> Account {
    let mut account = stored.unwrap_or_else(|| Account {
        id: caller.account_id.clone(),
        email: caller.email.clone(),
        email_verified: caller.email_verified,
        created_at: now,
        group_id: None,
        computer_count: 0,
        alert_count: 0,
        stored_bytes: 0,
        bucket_count: 0,
        backup_summary_emails: true,
        usage_version: 0,
    });
    account.email = caller.email.clone();
    account.email_verified = caller.email_verified;
    if let Some(on) = changes.backup_summary_emails {
        account.backup_summary_emails = on;
    }
    account
}
