//! The AWS adapter: the user pool's admin API, called with the function's
//! IAM credentials (no member token is needed or used).
//!
//! **Username.** Every call names the user by the account id, which is the
//! token's `sub`. In a pool with `UsernameAttributes: [email]` (ours),
//! Cognito gives each user a generated username equal to its `sub`, and the
//! admin API accepts either that username or the email alias (its reference
//! also lets a local user's `sub` stand for the username whatever the pool's
//! aliases). The `sub`
//! never changes while the email does ([`IdentityPort::set_email`]), so the
//! `sub` is the one that always names the same person, even mid-change.
//! moto models the same (username = `sub`; the email alias also resolves).

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::admin_initiate_auth::AdminInitiateAuthError;
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, AuthFlowType, SmsMfaSettingsType, SoftwareTokenMfaSettingsType,
};

use super::{IdentityError, IdentityPort, MfaMethod, SignInSettings};
use crate::model::{AccountId, EmailAddress, PhoneNumber};

/// Checks passwords with `AdminInitiateAuth` (`ADMIN_USER_PASSWORD_AUTH`)
/// and changes the account with `AdminUpdateUserAttributes`,
/// `AdminSetUserPassword` and `AdminSetUserMFAPreference`. The client is
/// built once per cold start and shared.
#[derive(Debug, Clone)]
pub struct CognitoIdentity {
    client: Client,
    user_pool_id: String,
    client_id: String,
}

impl CognitoIdentity {
    /// An adapter for the pool `user_pool_id`, authenticating through the
    /// app client `client_id` (which must allow `ALLOW_ADMIN_USER_PASSWORD_AUTH`
    /// and have no client secret, as the template's does).
    pub fn new(
        client: Client,
        user_pool_id: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        Self {
            client,
            user_pool_id: user_pool_id.into(),
            client_id: client_id.into(),
        }
    }

    /// Sets attributes on the account's user in one call.
    async fn update_attributes(
        &self,
        account: &AccountId,
        attributes: &[(&str, &str)],
    ) -> Result<(), IdentityError> {
        let attributes = attributes
            .iter()
            .map(|(name, value)| {
                AttributeType::builder()
                    .name(*name)
                    .value(*value)
                    .build()
                    .map_err(IdentityError::unavailable)
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .admin_update_user_attributes()
            .user_pool_id(&self.user_pool_id)
            .username(account.as_str())
            .set_user_attributes(Some(attributes))
            .send()
            .await
            .map_err(|e| service_error(e).map_or_else(|e| e, change_failed))?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl IdentityPort for CognitoIdentity {
    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn check_password(
        &self,
        account: &AccountId,
        password: &str,
    ) -> Result<(), IdentityError> {
        let outcome = self
            .client
            .admin_initiate_auth()
            .user_pool_id(&self.user_pool_id)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", account.as_str())
            .auth_parameters("PASSWORD", password)
            .send()
            .await;
        // Tokens or a challenge (MFA, a new password) both mean the password
        // was right: Cognito checks it before asking for anything more. The
        // tokens are dropped unread; they are never stored or logged.
        match outcome {
            Ok(_) => Ok(()),
            Err(e) => Err(service_error(e).map_or_else(|e| e, check_failed)),
        }
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_email(
        &self,
        account: &AccountId,
        new_email: &EmailAddress,
    ) -> Result<(), IdentityError> {
        // `email_verified` in the same call: the pool only replaces an email
        // that is verified (see IdentityPort::set_email).
        self.update_attributes(
            account,
            &[("email", new_email.as_str()), ("email_verified", "true")],
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn signs_in_with(
        &self,
        account: &AccountId,
        email: &EmailAddress,
    ) -> Result<bool, IdentityError> {
        // `ListUsers` by `sub` finds federated users too (the account id is
        // the `sub`, which `AdminGetUser` only accepts for the pool's own
        // users). An account id never holds a quote (`AccountId::parse`).
        let found = self
            .client
            .list_users()
            .user_pool_id(&self.user_pool_id)
            .filter(format!("sub = \"{}\"", account.as_str()))
            .limit(1)
            .send()
            .await
            .map_err(|e| IdentityError::unavailable(e.into_service_error()))?;
        let Some(user) = found.users().first() else {
            return Ok(false);
        };
        let attribute = |name: &str| {
            user.attributes()
                .iter()
                .find(|a| a.name() == name)
                .and_then(|a| a.value())
        };
        let same_email = attribute("email")
            .and_then(|raw| EmailAddress::parse("email", raw).ok())
            .is_some_and(|current| current == *email);
        Ok(same_email && attribute("email_verified") == Some("true"))
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_verified_phone(
        &self,
        account: &AccountId,
        phone: &PhoneNumber,
    ) -> Result<(), IdentityError> {
        self.update_attributes(
            account,
            &[
                ("phone_number", phone.as_str()),
                ("phone_number_verified", "true"),
            ],
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_password(
        &self,
        account: &AccountId,
        new_password: &str,
    ) -> Result<(), IdentityError> {
        self.client
            .admin_set_user_password()
            .user_pool_id(&self.user_pool_id)
            .username(account.as_str())
            .password(new_password)
            .permanent(true)
            .send()
            .await
            .map_err(|e| service_error(e).map_or_else(|e| e, change_failed))?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(account_id = %account))]
    async fn set_sign_in(
        &self,
        account: &AccountId,
        settings: &SignInSettings,
    ) -> Result<(), IdentityError> {
        let preferred = settings.preferred();
        self.client
            .admin_set_user_mfa_preference()
            .user_pool_id(&self.user_pool_id)
            .username(account.as_str())
            .sms_mfa_settings(
                SmsMfaSettingsType::builder()
                    .enabled(settings.sms())
                    .preferred_mfa(preferred == Some(MfaMethod::Sms))
                    .build(),
            )
            .software_token_mfa_settings(
                SoftwareTokenMfaSettingsType::builder()
                    .enabled(settings.software_token())
                    .preferred_mfa(preferred == Some(MfaMethod::SoftwareToken))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| service_error(e).map_or_else(|e| e, change_failed))?;
        Ok(())
    }
}

/// The operation's own error when Cognito answered with one; anything else
/// (timeouts, connection or credential failures, unreadable replies) is
/// [`IdentityError::Unavailable`]. The SDK has retried what it could.
fn service_error<E, R>(error: SdkError<E, R>) -> Result<E, IdentityError>
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match error {
        SdkError::ServiceError(context) => Ok(context.into_err()),
        other => Err(IdentityError::unavailable(other)),
    }
}

/// Error codes that mean "not now": throttling left after the SDK's
/// retries, or too many failed attempts of some action.
const TOO_MANY: [&str; 2] = ["TooManyRequestsException", "TooManyFailedAttemptsException"];

/// The message of Cognito's password lockout. It comes as
/// `NotAuthorizedException`, like a wrong password, and only its message
/// tells them apart (documented under "lockout behavior for failed sign-in
/// attempts"): the one place an error's text is read, because the code
/// alone would report a locked account as a wrong password.
const LOCKED_OUT: &str = "Password attempts exceeded";

/// What a refused `AdminInitiateAuth` means for the password check.
fn check_failed(error: AdminInitiateAuthError) -> IdentityError {
    match &error {
        AdminInitiateAuthError::NotAuthorizedException(e) if e.message() == Some(LOCKED_OUT) => {
            IdentityError::TooManyAttempts
        }
        // Wrong password or disabled user (the pool answers both alike),
        // unknown user (answered as NotAuthorized when the client prevents
        // user existence errors, as ours does; moto answers UserNotFound),
        // and users who cannot sign in with a password now.
        AdminInitiateAuthError::NotAuthorizedException(_)
        | AdminInitiateAuthError::UserNotFoundException(_)
        | AdminInitiateAuthError::UserNotConfirmedException(_)
        | AdminInitiateAuthError::PasswordResetRequiredException(_) => IdentityError::WrongPassword,
        AdminInitiateAuthError::TooManyRequestsException(_) => IdentityError::TooManyAttempts,
        other if TOO_MANY.contains(&other.code().unwrap_or_default()) => {
            IdentityError::TooManyAttempts
        }
        _ => IdentityError::unavailable(error),
    }
}

/// What a refused change (`AdminUpdateUserAttributes`,
/// `AdminSetUserPassword`, `AdminSetUserMFAPreference`) means, by error
/// code: the three operations share these exceptions, each its own type.
fn change_failed<E>(error: E) -> IdentityError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let reason = |fallback: &str| error.message().unwrap_or(fallback).to_owned();
    match error.code().unwrap_or_default() {
        "UserNotFoundException" => IdentityError::UnknownAccount,
        "AliasExistsException" => IdentityError::EmailInUse,
        "InvalidPasswordException" => IdentityError::InvalidPassword {
            reason: reason("does not meet the password policy"),
        },
        "PasswordHistoryPolicyViolationException" => IdentityError::InvalidPassword {
            reason: "must not be one of the account's recent passwords".into(),
        },
        // A factor that cannot be turned on as the account stands (no
        // verified phone, an authenticator app never set up), or a value the
        // pool does not accept; Cognito's message says which.
        "InvalidParameterException" => IdentityError::Refused {
            reason: reason("the identity provider refused the change"),
        },
        code if TOO_MANY.contains(&code) => IdentityError::TooManyAttempts,
        _ => IdentityError::unavailable(error),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cognitoidentityprovider::error::ErrorMetadata;
    use aws_sdk_cognitoidentityprovider::operation::admin_set_user_password::AdminSetUserPasswordError;
    use aws_sdk_cognitoidentityprovider::types::error::{
        InvalidPasswordException, NotAuthorizedException, PasswordResetRequiredException,
        TooManyRequestsException, UserNotFoundException,
    };

    use super::*;

    fn not_authorized(message: &str) -> AdminInitiateAuthError {
        AdminInitiateAuthError::NotAuthorizedException(
            NotAuthorizedException::builder().message(message).build(),
        )
    }

    #[test]
    fn a_refused_check_is_classified_without_telling_who_exists() {
        let cases: Vec<(&str, AdminInitiateAuthError, &str)> = vec![
            (
                "wrong password",
                not_authorized("Incorrect username or password."),
                "WrongPassword",
            ),
            (
                "disabled",
                not_authorized("User is disabled."),
                "WrongPassword",
            ),
            (
                "unknown user",
                AdminInitiateAuthError::UserNotFoundException(
                    UserNotFoundException::builder().build(),
                ),
                "WrongPassword",
            ),
            (
                "reset required",
                AdminInitiateAuthError::PasswordResetRequiredException(
                    PasswordResetRequiredException::builder().build(),
                ),
                "WrongPassword",
            ),
            (
                "lockout",
                not_authorized("Password attempts exceeded"),
                "TooManyAttempts",
            ),
            (
                "throttled",
                AdminInitiateAuthError::TooManyRequestsException(
                    TooManyRequestsException::builder().build(),
                ),
                "TooManyAttempts",
            ),
            (
                "too many failed attempts",
                AdminInitiateAuthError::generic(
                    ErrorMetadata::builder()
                        .code("TooManyFailedAttemptsException")
                        .build(),
                ),
                "TooManyAttempts",
            ),
            (
                "pool misconfigured",
                AdminInitiateAuthError::generic(
                    ErrorMetadata::builder()
                        .code("InvalidParameterException")
                        .build(),
                ),
                "Unavailable",
            ),
        ];
        for (case, error, expected) in cases {
            let got = format!("{:?}", check_failed(error));
            assert!(got.starts_with(expected), "{case}: {got}");
        }
    }

    #[test]
    fn a_refused_change_is_classified_by_its_code() {
        // As the SDK reads it off the wire: the code in the metadata too.
        let message = "Password did not conform with policy: Password not long enough";
        let invalid = AdminSetUserPasswordError::InvalidPasswordException(
            InvalidPasswordException::builder()
                .message(message)
                .meta(
                    ErrorMetadata::builder()
                        .code("InvalidPasswordException")
                        .message(message)
                        .build(),
                )
                .build(),
        );
        match change_failed(invalid) {
            IdentityError::InvalidPassword { reason } => {
                assert!(reason.contains("not long enough"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let cases = [
            ("UserNotFoundException", "UnknownAccount"),
            ("AliasExistsException", "EmailInUse"),
            ("PasswordHistoryPolicyViolationException", "InvalidPassword"),
            ("InvalidParameterException", "Refused"),
            ("TooManyRequestsException", "TooManyAttempts"),
            ("InternalErrorException", "Unavailable"),
        ];
        for (code, expected) in cases {
            let error =
                AdminSetUserPasswordError::generic(ErrorMetadata::builder().code(code).build());
            let got = format!("{:?}", change_failed(error));
            assert!(got.starts_with(expected), "{code}: {got}");
        }
    }
}
