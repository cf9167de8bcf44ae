//! What password-confirmed changes keep in the table: the limit on wrong
//! current passwords (a counter per member account and hour, reserved
//! before each check so concurrent guesses cannot exceed it), and a phone or
//! email change waiting for the code sent to the new number or address.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::access::check_acting_for;
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Repository, key_map, n, s, sdk_error};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{AccountId, AuditEntry, EmailAddress, GroupId, PhoneNumber};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// The new phone or email of a change, proven by the code sent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ContactTarget {
    /// A phone number: the code goes by SMS.
    Phone {
        /// The new number.
        phone: PhoneNumber,
    },
    /// An email address: the code goes by email.
    Email {
        /// The new address.
        email: EmailAddress,
    },
}

/// A phone or email change waiting for its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactChange {
    /// The new number or address, set verified once the code comes back.
    pub target: ContactTarget,
    /// SHA-256 of the salt and the code, hex.
    pub code_hash: String,
    /// The salt, hex.
    pub salt: String,
    /// Wrong codes given so far.
    pub attempts: u32,
    /// When the code stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub valid_until: OffsetDateTime,
    /// The group whose admin asked.
    pub group_id: GroupId,
}

fn too_many(detail: &str, retry_after: std::time::Duration) -> Error {
    Error::refused_for(ProblemKind::TooManyAttempts, detail, retry_after)
}

impl Repository {
    /// Reserves one check of `aid`'s current password in this hour, under
    /// `max`; refused (429) once `max` were made. One conditional
    /// `UpdateItem`.
    pub async fn reserve_password_check(
        &self,
        aid: &AccountId,
        now: OffsetDateTime,
        max: u32,
    ) -> Result<()> {
        let hour = now.unix_timestamp() / 3600;
        self.reserve_in_hour(
            keys::password_failures(aid, hour),
            now,
            max,
            "too many wrong passwords for this account; try again later",
        )
        .await
    }

    /// Reserves one code sent for `aid`'s phone and email changes in this
    /// hour, under `max` (a member is never flooded with codes). One
    /// conditional `UpdateItem`.
    pub async fn reserve_contact_code(
        &self,
        aid: &AccountId,
        now: OffsetDateTime,
        max: u32,
    ) -> Result<()> {
        let hour = now.unix_timestamp() / 3600;
        self.reserve_in_hour(
            keys::contact_codes(aid, hour),
            now,
            max,
            "too many codes sent for this account this hour; try again later",
        )
        .await
    }

    /// Adds one to an hourly counter under `max`, kept two hours (TTL).
    async fn reserve_in_hour(
        &self,
        key: crate::keys::Key,
        now: OffsetDateTime,
        max: u32,
        refusal: &str,
    ) -> Result<()> {
        let hour = now.unix_timestamp() / 3600;
        let result = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&key)))
            .update_expression("ADD attempts :one SET expiresAt = :ttl")
            .condition_expression("attribute_not_exists(attempts) OR attempts < :max")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":max", n(max))
            .expression_attribute_values(":ttl", n((hour + 2) * 3600))
            .send()
            .await;
        if super::condition_held(result)? {
            return Ok(());
        }
        let left = u64::try_from((hour + 1) * 3600 - now.unix_timestamp()).unwrap_or(1);
        Err(too_many(
            refusal,
            std::time::Duration::from_secs(left.max(1)),
        ))
    }

    /// Gives back a reserved check that found the right password (only
    /// wrong ones count). One `UpdateItem`.
    pub async fn release_password_check(&self, aid: &AccountId, now: OffsetDateTime) -> Result<()> {
        let hour = now.unix_timestamp() / 3600;
        self.client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::password_failures(aid, hour))))
            .update_expression("ADD attempts :minus")
            .condition_expression("attempts > :zero")
            .expression_attribute_values(":minus", n(-1))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map(drop)
            .or_else(|e| {
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception())
                {
                    Ok(())
                } else {
                    Err(sdk_error(e))
                }
            })
    }

    /// Logs a change made on a member's behalf, if the caller may still act
    /// for them. One `TransactWriteItems`.
    pub async fn log_member_change(&self, entry: &AuditEntry, member: &AccountId) -> Result<()> {
        let mut tx = Tx::new(self);
        check_acting_for(&mut tx, &entry.group_id, member, &entry.actor)?;
        self.add_audit(&mut tx, entry)?;
        tx.commit().await.map(drop)
    }

    /// Records a change waiting for its code (replacing an earlier one) with
    /// its audit entry and, for an email, the email carrying the code, under
    /// the managed-access conditions. One `TransactWriteItems`.
    pub async fn start_contact_change(
        &self,
        member: &AccountId,
        change: &ContactChange,
        entry: &AuditEntry,
        code_email: Option<&OutboxItem>,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        check_acting_for(&mut tx, &change.group_id, member, &entry.actor)?;
        let mut item = super::to_item(&keys::contact_change(member), "ContactChange", change)?;
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            n(change.valid_until.unix_timestamp() + 3600),
        );
        tx.put_item(item, None)?;
        self.add_audit(&mut tx, entry)?;
        if let Some(email) = code_email {
            self.add_outbox(&mut tx, std::slice::from_ref(email))?;
        }
        tx.commit().await.map(drop)
    }

    /// The change waiting for a code. One consistent `GetItem`.
    pub async fn contact_change(&self, member: &AccountId) -> Result<Option<ContactChange>> {
        self.get(&keys::contact_change(member)).await
    }

    /// Counts a wrong code, under `max` attempts. One conditional `UpdateItem`.
    pub async fn count_wrong_code(
        &self,
        member: &AccountId,
        change: &ContactChange,
        max: u32,
    ) -> Result<()> {
        let result = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::contact_change(member))))
            .update_expression("ADD attempts :one")
            .condition_expression("codeHash = :hash AND attempts < :max")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":hash", s(&change.code_hash))
            .expression_attribute_values(":max", n(max))
            .send()
            .await;
        if super::condition_held(result)? {
            return Ok(());
        }
        Err(too_many(
            "too many wrong codes; ask for a new one",
            std::time::Duration::from_secs(1),
        ))
    }

    /// Spends the code (the change must still be the one read, with
    /// attempts left) and logs the change, under the managed-access
    /// conditions. One `TransactWriteItems`.
    pub async fn spend_contact_code(
        &self,
        member: &AccountId,
        change: &ContactChange,
        entry: &AuditEntry,
        max: u32,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        check_acting_for(&mut tx, &change.group_id, member, &entry.actor)?;
        tx.delete(
            &keys::contact_change(member),
            Some(Guard::new(
                Expr::new("codeHash = :hash AND attempts < :max")
                    .value(":hash", AttributeValue::S(change.code_hash.clone()))
                    .value(":max", n(max)),
                Refusal::always(|| {
                    Error::refused(
                        ProblemKind::CodeExpired,
                        "the code was replaced or used up; ask for a new one",
                    )
                }),
            )),
        )?;
        self.add_audit(&mut tx, entry)?;
        tx.commit().await.map(drop)
    }
}
