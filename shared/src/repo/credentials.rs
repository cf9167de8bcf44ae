//! The local identity adapter's credentials (`LocalIdentity`): one item
//! per account beside its profile, holding what Cognito holds in AWS, the
//! password as an Argon2id PHC hash and the sign-in attributes. Never read
//! or written by a deployed function.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Repository, key_map, s, service_error};
use crate::credentials::SignInSettings;
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{AccountId, EmailAddress, PhoneNumber, rfc3339};

/// The `entity` attribute of credential items.
const ENTITY: &str = "Credential";

/// An account's local credential, as stored.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredCredential {
    /// Whose.
    pub account_id: AccountId,
    /// The password's Argon2id hash as a PHC string; never the password.
    pub password_hash: String,
    /// The address the account signs in with, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailAddress>,
    /// Whether that address is verified.
    #[serde(default)]
    pub email_verified: bool,
    /// The account's phone, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    /// Whether that phone is verified (SMS sign-in codes need it).
    #[serde(default)]
    pub phone_verified: bool,
    /// Second factors.
    #[serde(default)]
    pub sign_in: SignInSettings,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

impl std::fmt::Debug for StoredCredential {
    /// Everything but the hash, which has no business in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("account_id", &self.account_id)
            .field("password_hash", &"..")
            .field("email", &self.email)
            .field("email_verified", &self.email_verified)
            .field("phone", &self.phone)
            .field("phone_verified", &self.phone_verified)
            .field("sign_in", &self.sign_in)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// One change to an existing credential.
#[derive(Debug, Clone, Copy)]
pub enum CredentialChange<'a> {
    /// A new password, already hashed (a PHC string).
    PasswordHash(&'a str),
    /// A new sign-in email, verified.
    VerifiedEmail(&'a EmailAddress),
    /// A new phone, verified.
    VerifiedPhone(&'a PhoneNumber),
    /// New second-factor settings (SMS codes only with a verified phone).
    SignIn(&'a SignInSettings),
}

/// What became of a [`CredentialChange`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialWrite {
    /// Stored.
    Written,
    /// The account has no credential: nothing to change.
    Missing,
    /// SMS codes were asked for, but the account has no verified phone.
    NoVerifiedPhone,
}

impl Repository {
    /// The account's local credential, if it has one. One consistent `GetItem`.
    pub async fn credential(&self, aid: &AccountId) -> Result<Option<StoredCredential>> {
        self.get(&keys::credential(aid)).await
    }

    /// Sets an account's password hash and verified sign-in email, creating
    /// the credential if there is none (other attributes are kept): how a
    /// local user is given a password. One `UpdateItem`.
    pub async fn put_credential(
        &self,
        aid: &AccountId,
        email: &EmailAddress,
        password_hash: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        self.client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::credential(aid))))
            .update_expression(
                "SET #entity = :entity, #aid = :aid, #hash = :hash, #email = :email, \
                 #emailVerified = :yes, #updatedAt = :now",
            )
            .expression_attribute_names("#entity", keys::ENTITY)
            .expression_attribute_names("#aid", "accountId")
            .expression_attribute_names("#hash", "passwordHash")
            .expression_attribute_names("#email", "email")
            .expression_attribute_names("#emailVerified", "emailVerified")
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":entity", s(ENTITY))
            .expression_attribute_values(":aid", s(aid.as_str()))
            .expression_attribute_values(":hash", s(password_hash))
            .expression_attribute_values(":email", s(email.as_str()))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", s(rfc3339(now)))
            .send()
            .await
            .map_err(super::sdk_error)?;
        Ok(())
    }

    /// Deletes an account's local credential (the local run's "delete the
    /// user"). One `DeleteItem`.
    pub async fn delete_credential(&self, aid: &AccountId) -> Result<()> {
        self.client
            .delete_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::credential(aid))))
            .send()
            .await
            .map_err(super::sdk_error)?;
        Ok(())
    }

    /// Makes one change to an existing credential, conditionally: the item
    /// must exist, and for SMS codes its phone must be verified. One
    /// `UpdateItem` (its old image on a failed condition says which).
    pub async fn change_credential(
        &self,
        aid: &AccountId,
        change: CredentialChange<'_>,
        now: OffsetDateTime,
    ) -> Result<CredentialWrite> {
        let yes = || AttributeValue::Bool(true);
        // What to set: (placeholder, attribute, value) for each attribute.
        let sets: Vec<(&str, &str, AttributeValue)> = match change {
            CredentialChange::PasswordHash(hash) => vec![("hash", "passwordHash", s(hash))],
            CredentialChange::VerifiedEmail(email) => vec![
                ("email", "email", s(email.as_str())),
                ("emailVerified", "emailVerified", yes()),
            ],
            CredentialChange::VerifiedPhone(phone) => vec![
                ("phone", "phone", s(phone.as_str())),
                ("phoneVerified", "phoneVerified", yes()),
            ],
            CredentialChange::SignIn(settings) => vec![(
                "signIn",
                "signIn",
                serde_dynamo::to_attribute_value(settings).map_err(Error::unexpected)?,
            )],
        };
        let needs_phone = matches!(change, CredentialChange::SignIn(settings) if settings.sms());
        let mut condition = "attribute_exists(PK)".to_owned();
        let mut expression = "SET #updatedAt = :updatedAt".to_owned();
        let mut request = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::credential(aid))))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .expression_attribute_names("#updatedAt", "updatedAt")
            .expression_attribute_values(":updatedAt", s(rfc3339(now)));
        for (placeholder, attribute, value) in sets {
            expression.push_str(&format!(", #{placeholder} = :{placeholder}"));
            request = request
                .expression_attribute_names(format!("#{placeholder}"), attribute)
                .expression_attribute_values(format!(":{placeholder}"), value);
        }
        if needs_phone {
            condition.push_str(" AND #phoneVerifiedNow = :verified");
            request = request
                .expression_attribute_names("#phoneVerifiedNow", "phoneVerified")
                .expression_attribute_values(":verified", yes());
        }
        let request = request
            .update_expression(expression)
            .condition_expression(condition);
        match request.send().await {
            Ok(_) => Ok(CredentialWrite::Written),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(e) => Ok(match e.item {
                    None => CredentialWrite::Missing,
                    Some(_) => CredentialWrite::NoVerifiedPhone,
                }),
                other => Err(service_error(other)),
            },
        }
    }
}
