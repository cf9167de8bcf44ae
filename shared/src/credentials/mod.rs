//! Identity for password-confirmed changes (DESIGN §6): admins of a managed
//! group change a member's email, phone, password and sign-in settings on
//! the member's behalf, each only with the member's current password.
//!
//! Two ports, because each has two real implementations:
//!
//! * [`IdentityPort`]: [`CognitoIdentity`] in AWS (the user pool is where
//!   members sign in, so it is where their password is checked and their
//!   sign-in attributes change); [`LocalIdentity`] for the local run and
//!   tests, an Argon2 credential store in the service's own table.
//! * [`SmsSender`]: [`SnsSms`] in AWS (SNS `Publish` to a phone number);
//!   [`FolderSms`] locally, one file per message, as the email outbox does.
//!
//! Callers hold them as `Arc<dyn IdentityPort>` / `Arc<dyn SmsSender>`,
//! built once per cold start by [`identity_from_env`] and [`sms_from_env`].
//! Passwords pass through as `&str` and are never logged, stored (only
//! Argon2 hashes are, locally) or put into an error.

mod cognito;
mod env;
mod error;
pub mod hash;
mod local;
pub mod policy;
mod sign_in;
mod sms;

pub use cognito::CognitoIdentity;
pub use env::{COGNITO_CLIENT_ID, COGNITO_USER_POOL_ID, identity_from_env, sms_from_env};
pub use error::{BoxError, IdentityError};
pub use local::LocalIdentity;
pub use sign_in::{MfaMethod, SignInSettings};
pub use sms::{FolderSms, SmsEntry, SmsError, SmsId, SmsSender, SnsSms};

use crate::model::{AccountId, EmailAddress, PhoneNumber};

/// The identity provider, as the password-confirmed changes need it. Every
/// method names the account by its id (the token's `sub`), which never
/// changes, while the email it signs in with can.
///
/// The port checks and changes; it does not decide. A route first checks
/// the member's current password with [`IdentityPort::check_password`], and
/// only on `Ok` makes the change (and its own records of it, such as the
/// account item and its email claim, which stay the repository's job).
#[async_trait::async_trait]
pub trait IdentityPort: Send + Sync {
    /// `Ok(())` if `password` is the account's current password;
    /// [`IdentityError::WrongPassword`] if not, or if the account is unknown
    /// (so a guess learns nothing about which accounts exist);
    /// [`IdentityError::TooManyAttempts`] when throttled or locked out.
    /// In Cognito a wrong password typed here counts toward the member's own
    /// sign-in lockout, as a wrong password typed at sign-in would.
    async fn check_password(
        &self,
        account: &AccountId,
        password: &str,
    ) -> Result<(), IdentityError>;

    /// Makes `new_email` the address the account signs in with and receives
    /// mail at, **marked verified**. Why verified: the user pool requires an
    /// email to be verified before it replaces the old one
    /// (`AttributesRequireVerificationBeforeUpdate`), and the code Cognito
    /// would send can only be confirmed with the member's own access token,
    /// which an admin's request does not have; an unverified update would
    /// leave the old address in force. So the caller must have established
    /// that the address is the member's before calling (a code it sent
    /// there, or the managed group's domain). [`IdentityError::EmailInUse`]
    /// if another account signs in with it.
    async fn set_email(
        &self,
        account: &AccountId,
        new_email: &EmailAddress,
    ) -> Result<(), IdentityError>;

    /// Whether `account` still exists and signs in with `email`, verified.
    /// `Ok(false)` once the account was deleted, or its email changed or
    /// lost its verification: the service's claim of that address, still
    /// held by the account, may then pass to the person who now signs in
    /// with it (a re-registration, or an address given up and taken).
    async fn signs_in_with(
        &self,
        account: &AccountId,
        email: &EmailAddress,
    ) -> Result<bool, IdentityError>;

    /// Makes `phone` the account's phone number, marked verified: call it
    /// once the member has typed back the code sent there by [`SmsSender`].
    async fn set_verified_phone(
        &self,
        account: &AccountId,
        phone: &PhoneNumber,
    ) -> Result<(), IdentityError>;

    /// Replaces the account's password with `new_password`, permanently (the
    /// member is not asked to change it at the next sign-in).
    /// [`IdentityError::InvalidPassword`] if the policy refuses it.
    async fn set_password(
        &self,
        account: &AccountId,
        new_password: &str,
    ) -> Result<(), IdentityError>;

    /// Sets the account's second factors, all of them at once (see
    /// [`SignInSettings`]). [`IdentityError::Refused`] when a factor cannot
    /// be turned on as the account stands (SMS without a verified phone, an
    /// authenticator app never set up).
    async fn set_sign_in(
        &self,
        account: &AccountId,
        settings: &SignInSettings,
    ) -> Result<(), IdentityError>;
}
