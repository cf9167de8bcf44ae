//! "Update an Account on Behalf of a Member": an admin of a managed group
//! changes a member's email, phone, password or sign-in settings, each only
//! with the member's current password, checked by the identity port.
//! Wrong passwords are limited per member account and hour (a check is
//! reserved in the table before it is made, so concurrent guesses cannot
//! exceed the limit); a new phone takes effect only once the code texted
//! to it comes back. Each change is logged after the identity provider
//! made it, under the managed-access conditions. Removing the member or
//! deleting their account is not something this route can do.

use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::managed::Acting;
use crate::api::AccountChangeRequest;
use crate::credentials::{IdentityError, SignInSettings};
use crate::deps::Deps;
use crate::error::{Error, FieldError, Result};
use crate::model::{AuditAction, EmailAddress, PhoneNumber};
use crate::problem::ProblemKind;
use crate::repo::PhoneChange;

/// Wrong current passwords allowed per member account and hour.
pub const PASSWORD_CHECKS_PER_HOUR: u32 = 5;
/// Codes texted per member account and hour.
pub const CODES_PER_HOUR: u32 = 3;
/// Wrong codes allowed per phone change.
pub const CODE_ATTEMPTS: u32 = 5;
/// How long a texted code works.
pub const CODE_VALIDITY: time::Duration = time::Duration::minutes(10);

/// One change, validated.
#[derive(Debug, Clone)]
pub enum AccountChange {
    /// A new email.
    Email(EmailAddress),
    /// A new phone (pending its code).
    Phone(PhoneNumber),
    /// A new password.
    Password(String),
    /// New second factors.
    SignIn(SignInSettings),
}

impl AccountChange {
    /// The one change a request asks for; a request naming none, or more
    /// than one, is refused on `change`.
    pub fn from_request(req: &AccountChangeRequest) -> Result<Self> {
        let named = [
            req.email.is_some(),
            req.phone.is_some(),
            req.new_password.is_some(),
            req.sign_in.is_some(),
        ];
        if named.iter().filter(|n| **n).count() != 1 {
            return Err(Error::invalid(
                "change",
                "give exactly one of email, phone, newPassword, signIn",
            ));
        }
        let one = |e: FieldError| Error::Validation(vec![e]);
        if req.current_password.is_empty() {
            return Err(Error::invalid("currentPassword", "must not be empty"));
        }
        if let Some(email) = &req.email {
            return EmailAddress::parse("email", email)
                .map(Self::Email)
                .map_err(one);
        }
        if let Some(phone) = &req.phone {
            return PhoneNumber::parse("phone", phone)
                .map(Self::Phone)
                .map_err(one);
        }
        if let Some(password) = &req.new_password {
            crate::credentials::policy::check_new_password(password).map_err(|e| match e {
                IdentityError::InvalidPassword { reason } => Error::invalid("newPassword", reason),
                other => Error::unexpected(other),
            })?;
            return Ok(Self::Password(password.clone()));
        }
        let settings = req.sign_in.clone().unwrap_or_default();
        serde_json::from_value::<SignInSettings>(settings)
            .map(Self::SignIn)
            .map_err(|e| Error::invalid("signIn", e.to_string()))
    }
}

/// The identity provider's answer, as the API gives it.
fn identity_error(error: IdentityError) -> Error {
    match error {
        IdentityError::WrongPassword => Error::refused(
            ProblemKind::WrongPassword,
            "the member's current password is not right",
        ),
        IdentityError::TooManyAttempts => Error::refused_for(
            ProblemKind::TooManyAttempts,
            "too many attempts; try again later",
            std::time::Duration::from_secs(60),
        ),
        IdentityError::InvalidPassword { reason } => Error::invalid("newPassword", reason),
        IdentityError::EmailInUse => Error::refused(
            ProblemKind::EmailInUse,
            "this email address belongs to another account",
        ),
        IdentityError::UnknownAccount => Error::NotFound("group"),
        IdentityError::Refused { reason } => Error::invalid("signIn", reason),
        IdentityError::Unavailable(e) => Error::unexpected(e),
    }
}

/// What a change answers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeOutcome {
    /// `email`, `phone`, `password` or `signIn`.
    pub change: &'static str,
    /// `done`, or `pending` (a phone, until its code comes back).
    pub status: &'static str,
    /// When the texted code stops working (pending only).
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub code_expires_at: Option<time::OffsetDateTime>,
}

/// Checks the member's current password, then makes the change (a phone:
/// texts a code and waits for it). DynamoDB: one `BatchGetItem`, one or two
/// `UpdateItem` (the reserved check, given back when right), one
/// `TransactWriteItems` (the audit entry; for a phone, the pending change
/// too). The identity provider: one password check and one change.
pub async fn change_account(
    deps: &Deps,
    acting: Acting<'_>,
    request: &AccountChangeRequest,
) -> Result<ChangeOutcome> {
    let change = AccountChange::from_request(request)?;
    acting.check(deps).await?;
    let identity = deps.identity()?;
    let member = acting.member;
    let now = deps.clock.now();
    deps.repo
        .reserve_password_check(member, now, PASSWORD_CHECKS_PER_HOUR)
        .await?;
    identity
        .port
        .check_password(member, &request.current_password)
        .await
        .map_err(identity_error)?;
    deps.repo.release_password_check(member, now).await?;
    let (name, action) = match &change {
        AccountChange::Email(email) => {
            identity
                .port
                .set_email(member, email)
                .await
                .map_err(identity_error)?;
            ("email", AuditAction::EmailChanged)
        }
        AccountChange::Password(password) => {
            identity
                .port
                .set_password(member, password)
                .await
                .map_err(identity_error)?;
            ("password", AuditAction::PasswordChanged)
        }
        AccountChange::SignIn(settings) => {
            identity
                .port
                .set_sign_in(member, settings)
                .await
                .map_err(identity_error)?;
            ("signIn", AuditAction::SignInChanged)
        }
        AccountChange::Phone(phone) => {
            deps.repo
                .reserve_phone_code(member, now, CODES_PER_HOUR)
                .await?;
            let code = new_code();
            let salt = hex(&rand::random::<[u8; 16]>());
            let pending = PhoneChange {
                phone: phone.clone(),
                code_hash: code_hash(&salt, &code),
                salt,
                attempts: 0,
                valid_until: now + CODE_VALIDITY,
                group_id: *acting.group,
            };
            let entry = acting.audit(deps, AuditAction::PhoneChangeRequested);
            deps.repo
                .start_phone_change(member, &pending, &entry)
                .await?;
            let text = format!(
                "Your verification code is {code}. It expires in 10 minutes. If you did not expect it, tell your group's administrators."
            );
            identity
                .sms
                .send(phone, &text)
                .await
                .map_err(Error::unexpected)?;
            return Ok(ChangeOutcome {
                change: "phone",
                status: "pending",
                code_expires_at: Some(pending.valid_until),
            });
        }
    };
    deps.repo
        .log_member_change(&acting.audit(deps, action), member)
        .await?;
    Ok(ChangeOutcome {
        change: name,
        status: "done",
        code_expires_at: None,
    })
}

/// Confirms a phone change with the code texted to the new number; the
/// phone is then set, verified. DynamoDB: one `BatchGetItem`, one `GetItem`,
/// then one `UpdateItem` (a wrong code) or one `TransactWriteItems` (the
/// code spent, the audit entry). The identity provider: one change.
pub async fn confirm_phone(deps: &Deps, acting: Acting<'_>, code: &str) -> Result<ChangeOutcome> {
    let code = code.trim();
    if !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())) {
        return Err(Error::invalid(
            "code",
            "must be the 6 digits texted to the new number",
        ));
    }
    acting.check(deps).await?;
    let member = acting.member;
    let expired = || {
        Error::refused(
            ProblemKind::CodeExpired,
            "no code is waiting, or it expired; ask for a new one",
        )
    };
    let pending = deps
        .repo
        .phone_change(member)
        .await?
        .filter(|p| p.group_id == *acting.group)
        .ok_or_else(expired)?;
    if pending.valid_until <= deps.clock.now() {
        return Err(expired());
    }
    if pending.attempts >= CODE_ATTEMPTS {
        return Err(Error::refused_for(
            ProblemKind::TooManyAttempts,
            "too many wrong codes; ask for a new one",
            std::time::Duration::from_secs(1),
        ));
    }
    let given = code_hash(&pending.salt, code);
    if !bool::from(given.as_bytes().ct_eq(pending.code_hash.as_bytes())) {
        deps.repo
            .count_wrong_code(member, &pending, CODE_ATTEMPTS)
            .await?;
        return Err(Error::refused(
            ProblemKind::CodeInvalid,
            "the code is not right",
        ));
    }
    let entry = acting.audit(deps, AuditAction::PhoneChanged);
    deps.repo
        .spend_phone_code(member, &pending, &entry, CODE_ATTEMPTS)
        .await?;
    deps.identity()?
        .port
        .set_verified_phone(member, &pending.phone)
        .await
        .map_err(identity_error)?;
    Ok(ChangeOutcome {
        change: "phone",
        status: "done",
        code_expires_at: None,
    })
}

/// Six random digits.
fn new_code() -> String {
    format!("{:06}", rand::random_range(0..1_000_000u32))
}

fn code_hash(salt: &str, code: &str) -> String {
    hex(&Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
