//! The caller's own account.

use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{Account, AccountChanges};

/// Registers (first call) or refreshes the caller's account from their token
/// and returns it. Signing in once is what makes an account addressable by email.
/// Never changes the owner's settings (e.g. their summary email opt-out).
pub async fn me(deps: &Deps, caller: &Caller) -> Result<Account> {
    deps.repo.register_account(caller, deps.clock.now()).await?;
    read_back(deps, caller).await
}

/// Changes the caller's own settings (only theirs: the account is the
/// caller's from their token), registering or refreshing the account in the
/// same write as [`me`] does, so the first call may be this one; returns the
/// account as [`me`] would. `changes` comes validated (non-empty) from
/// `api::UpdateMeRequest`.
pub async fn update_me(deps: &Deps, caller: &Caller, changes: AccountChanges) -> Result<Account> {
    deps.repo
        .update_account(caller, changes, deps.clock.now())
        .await?;
    read_back(deps, caller).await
}

async fn read_back(deps: &Deps, caller: &Caller) -> Result<Account> {
    deps.repo
        .get_account(&caller.account_id)
        .await?
        .ok_or_else(|| Error::unexpected("account missing right after registration"))
}
