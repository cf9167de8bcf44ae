//! The local adapter: what Cognito keeps, kept in the service's own table
//! (one `CREDENTIAL` item per account, through the [`Repository`]), with
//! passwords as Argon2id hashes. For the local run and tests; no deployed
//! function builds it.
//!
//! It mirrors the pool's behaviour where a caller could tell: the same
//! password policy, a wrong password and an unknown account answered alike
//! (and in about the same time), SMS codes only with a verified phone, no
//! authenticator app unless one was set up (it never is locally: that
//! set-up is the member's own flow). Not mirrored: Cognito's lockout after
//! repeated wrong passwords, and email uniqueness across credentials (the
//! service's own `EMAIL#` claim keeps accounts' addresses unique).

use std::sync::Arc;

use super::hash::{decoy_hash, hash_off_runtime, verify_off_runtime};
use super::policy::{MAX_PASSWORD_CHARS, check_new_password};
use super::{IdentityError, IdentityPort, SignInSettings};
use crate::clock::Clock;
use crate::error::Error;
use crate::model::{AccountId, EmailAddress, PhoneNumber};
use crate::problem::ProblemKind;
use crate::repo::{CredentialChange, CredentialWrite, Repository};

/// The credential store of the local run and the tests.
#[derive(Clone)]
pub struct LocalIdentity {
    repo: Repository,
    clock: Arc<dyn Clock>,
}

impl LocalIdentity {
    /// A store in `repo`'s table, stamping changes with `clock`.
    pub fn new(repo: Repository, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Gives an account a password (checked against the policy) and its
    /// verified sign-in email, creating its credential if it has none: what
    /// signing up does in Cognito, and what `local password` runs.
    #[tracing::instrument(skip_all, fields(account_id = %account))]
    pub async fn provision(
        &self,
        account: &AccountId,
        email: &EmailAddress,
        password: &str,
    ) -> Result<(), IdentityError> {
        check_new_password(password)?;
        let hash = hash_off_runtime(password).await?;
        self.repo
            .put_credential(account, email, &hash, self.clock.now())
            .await
            .map_err(repo_error)
    }

    /// Removes an account's credential: what deleting the user does in
    /// Cognito (the account's items in the service stay, as they would).
    #[tracing::instrument(skip_all, fields(account_id = %account))]
    pub async fn remove(&self, account: &AccountId) -> Result<(), IdentityError> {
        self.repo
            .delete_credential(account)
            .await
            .map_err(repo_error)
    }

    /// Makes one change to an existing credential.
    async fn change(
        &self,
        account: &AccountId,
        change: CredentialChange<'_>,
    ) -> Result<(), IdentityError> {
        match self
            .repo
            .change_credential(account, change, self.clock.now())
            .await
            .map_err(repo_error)?
        {
            CredentialWrite::Written => Ok(()),
            CredentialWrite::Missing => Err(IdentityError::UnknownAccount),
            CredentialWrite::NoVerifiedPhone => Err(IdentityError::Refused {
                reason: "SMS sign-in codes need a verified phone number first".into(),
            }),
        }
    }
}

#[async_trait::async_trait]
impl IdentityPort for LocalIdentity {
    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn check_password(
        &self,
        account: &AccountId,
        password: &str,
    ) -> Result<(), IdentityError> {
        // Longer than any password the policy lets in: no hashing needed
        // to know (and no way to make the check spend unbounded work).
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Err(IdentityError::WrongPassword);
        }
        let credential = self.repo.credential(account).await.map_err(repo_error)?;
        match credential {
            Some(credential) => verify_off_runtime(password, &credential.password_hash).await,
            // No such account: spend the same Argon2 run, then answer as for
            // a wrong password.
            None => match verify_off_runtime(password, decoy_hash()).await {
                Err(IdentityError::Unavailable(e)) => Err(IdentityError::Unavailable(e)),
                _ => Err(IdentityError::WrongPassword),
            },
        }
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_email(
        &self,
        account: &AccountId,
        new_email: &EmailAddress,
    ) -> Result<(), IdentityError> {
        self.change(account, CredentialChange::VerifiedEmail(new_email))
            .await
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn signs_in_with(
        &self,
        account: &AccountId,
        email: &EmailAddress,
    ) -> Result<bool, IdentityError> {
        // The local pool is its credentials: an account without one (a
        // token minted with no password, or one removed) is no user of it.
        let credential = self.repo.credential(account).await.map_err(repo_error)?;
        Ok(credential.is_some_and(|c| c.email_verified && c.email.as_ref() == Some(email)))
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_verified_phone(
        &self,
        account: &AccountId,
        phone: &PhoneNumber,
    ) -> Result<(), IdentityError> {
        self.change(account, CredentialChange::VerifiedPhone(phone))
            .await
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_password(
        &self,
        account: &AccountId,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        check_new_password(new_password)?;
        let hash = hash_off_runtime(new_password).await?;
        self.change(account, CredentialChange::PasswordHash(&hash))
            .await
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_sign_in(
        &self,
        account: &AccountId,
        settings: &SignInSettings,
    ) -> Result<(), IdentityError> {
        if settings.software_token() {
            return Err(IdentityError::Refused {
                reason: "the member has not set up an authenticator app".into(),
            });
        }
        self.change(account, CredentialChange::SignIn(settings))
            .await
    }
}

/// A failed table call: throttling is "not now", anything else unexpected.
fn repo_error(error: Error) -> IdentityError {
    match error.kind() {
        ProblemKind::Busy => IdentityError::TooManyAttempts,
        _ => IdentityError::unavailable(error),
    }
}
