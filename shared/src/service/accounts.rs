//! The caller's own account.

use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::Account;

/// Registers (first call) or refreshes the caller's account from their token
/// and returns it. Signing in once is what makes an account addressable by email.
pub async fn me(deps: &Deps, caller: &Caller) -> Result<Account> {
    deps.repo.register_account(caller, deps.clock.now()).await?;
    deps.repo
        .get_account(&caller.account_id)
        .await?
        .ok_or_else(|| Error::unexpected("account missing right after registration"))
}
