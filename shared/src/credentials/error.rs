//! What can go wrong with a password-confirmed change, grouped by what the
//! caller (a route acting for an admin) answers.

/// The boxed cause kept inside [`IdentityError::Unavailable`] for the logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why the identity provider did not confirm a password or make a change.
/// Every variant but [`IdentityError::Unavailable`] is an expected outcome
/// the caller explains to the admin; none carries a password.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The password is not the account's current one. Also answered for an
    /// account the provider does not know, a disabled one, or one that cannot
    /// sign in with a password now (not confirmed, reset required): saying
    /// which would tell a guesser that the account exists.
    #[error("the password is not the account's current password")]
    WrongPassword,
    /// Too many attempts right now: the provider throttled the call, or locked
    /// password sign-in after repeated wrong passwords (Cognito's lockout
    /// lifts by itself, doubling from one second up to about 15 minutes).
    /// Nothing was changed; trying again later can succeed.
    #[error("too many attempts; try again later")]
    TooManyAttempts,
    /// The new password does not meet the password policy; `reason` says how,
    /// in words fit to show (it never quotes the password).
    #[error("the new password is not acceptable: {reason}")]
    InvalidPassword {
        /// What the policy requires, e.g. `must be at least 12 characters`.
        reason: String,
    },
    /// The new email address already signs in another account.
    #[error("the email address belongs to another account")]
    EmailInUse,
    /// The account to change is not known to the provider (a change, unlike a
    /// password check, is only asked for an account already confirmed).
    #[error("the account is not known to the identity provider")]
    UnknownAccount,
    /// The provider refused the change as the account stands, e.g. SMS
    /// sign-in codes without a verified phone, or an authenticator app the
    /// member never set up; `reason` says which, fit to show.
    #[error("the change was refused: {reason}")]
    Refused {
        /// Why, in words fit to show.
        reason: String,
    },
    /// The provider could not be reached or failed unexpectedly: logged with
    /// its cause, answered as a server error.
    #[error("the identity provider is unavailable")]
    Unavailable(#[source] BoxError),
}

impl IdentityError {
    /// Wraps any failure as [`IdentityError::Unavailable`], keeping its chain.
    pub fn unavailable(source: impl Into<BoxError>) -> Self {
        Self::Unavailable(source.into())
    }
}
