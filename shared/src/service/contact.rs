//! "Update an Account on Behalf of a Member": an admin of a managed group
//! changes a member's email, phone, password or sign-in settings, each only
//! with the member's current password, checked by the identity port.
//! Wrong passwords are limited per member account and hour (a check is
//! reserved in the table before it is made, so concurrent guesses cannot
//! exceed the limit); a new phone or email takes effect only once the code
//! sent to it (by SMS, or by email) comes back, so an address is never set
//! verified without proof that it is the member's. A password or sign-in
//! change is logged after the identity provider made it, under the
//! managed-access conditions. Removing the member or
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
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;
use crate::repo::{ContactChange, ContactTarget};

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

/// Checks the member's current password, then makes the change (a phone or
/// email: sends a code and waits for it). DynamoDB: one `BatchGetItem`, one
/// or two `UpdateItem` (the reserved check, given back when right), one
/// `TransactWriteItems` (the audit entry; for a phone or email, the pending
/// change too, after one `UpdateItem` counting codes, and for an email one
/// `GetItem` for the group's name). The identity provider: one password
/// check, and one change for a password or sign-in settings.
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
    let (name, action) = match change {
        AccountChange::Password(password) => {
            identity
                .port
                .set_password(member, &password)
                .await
                .map_err(identity_error)?;
            ("password", AuditAction::PasswordChanged)
        }
        AccountChange::SignIn(settings) => {
            identity
                .port
                .set_sign_in(member, &settings)
                .await
                .map_err(identity_error)?;
            ("signIn", AuditAction::SignInChanged)
        }
        AccountChange::Phone(phone) => {
            return start_change(deps, acting, ContactTarget::Phone { phone }).await;
        }
        AccountChange::Email(email) => {
            return start_change(deps, acting, ContactTarget::Email { email }).await;
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

/// Sends a code to the new phone (SMS, after the pending change is stored)
/// or email (through the outbox, in the same transaction as the pending
/// change) and answers 202; at most [`CODES_PER_HOUR`] codes a member.
async fn start_change(
    deps: &Deps,
    acting: Acting<'_>,
    target: ContactTarget,
) -> Result<ChangeOutcome> {
    let member = acting.member;
    let now = deps.clock.now();
    deps.repo
        .reserve_contact_code(member, now, CODES_PER_HOUR)
        .await?;
    let code = new_code();
    let salt = hex(&rand::random::<[u8; 16]>());
    let pending = ContactChange {
        target: target.clone(),
        code_hash: code_hash(&salt, &code),
        salt,
        attempts: 0,
        valid_until: now + CODE_VALIDITY,
        group_id: *acting.group,
    };
    let (name, requested) = match &target {
        ContactTarget::Phone { .. } => ("phone", AuditAction::PhoneChangeRequested),
        ContactTarget::Email { .. } => ("email", AuditAction::EmailChangeRequested),
    };
    let entry = acting.audit(deps, requested);
    let code_email = match &target {
        ContactTarget::Email { email } => {
            let group = deps
                .repo
                .get_group(acting.group)
                .await?
                .ok_or(Error::NotFound("group"))?;
            Some(OutboxItem::email(
                crate::notify::email_change_code(email, &group.name, &code),
                now,
            ))
        }
        ContactTarget::Phone { .. } => None,
    };
    deps.repo
        .start_contact_change(member, &pending, &entry, code_email.as_ref())
        .await?;
    if let ContactTarget::Phone { phone } = &target {
        let text = format!(
            "Your verification code is {code}. It expires in 10 minutes. If you did not expect it, tell your group's administrators."
        );
        deps.identity()?
            .sms
            .send(phone, &text)
            .await
            .map_err(Error::unexpected)?;
    }
    Ok(ChangeOutcome {
        change: name,
        status: "pending",
        code_expires_at: Some(pending.valid_until),
    })
}

/// Confirms a phone or email change with the code sent to the new number or
/// address; it is then set, verified. DynamoDB: one `BatchGetItem`, one `GetItem`,
/// then one `UpdateItem` (a wrong code) or one `TransactWriteItems` (the
/// code spent, the audit entry). The identity provider: one change.
pub async fn confirm_contact(deps: &Deps, acting: Acting<'_>, code: &str) -> Result<ChangeOutcome> {
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
        .contact_change(member)
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
    let (name, action) = match &pending.target {
        ContactTarget::Phone { .. } => ("phone", AuditAction::PhoneChanged),
        ContactTarget::Email { .. } => ("email", AuditAction::EmailChanged),
    };
    let entry = acting.audit(deps, action);
    deps.repo
        .spend_contact_code(member, &pending, &entry, CODE_ATTEMPTS)
        .await?;
    let port = &deps.identity()?.port;
    match &pending.target {
        ContactTarget::Phone { phone } => port.set_verified_phone(member, phone).await,
        ContactTarget::Email { email } => port.set_email(member, email).await,
    }
    .map_err(identity_error)?;
    Ok(ChangeOutcome {
        change: name,
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
