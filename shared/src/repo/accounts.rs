//! Accounts and the uniqueness claims of their verified email addresses.
//! An account is registered by the first write its owner makes (its items
//! join that write's transaction, so registering costs no round trip).

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Item, Repository, s};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{Account, AccountId, EmailAddress, GroupId, rfc3339};
use crate::problem::ProblemKind;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailClaim {
    account_id: AccountId,
}

/// What the caller's account must be for a write to go ahead.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Registration<'a> {
    /// Anything: created or refreshed.
    Any,
    /// In no group (filing a request to join `0`).
    InNoGroup(&'a GroupId),
    /// In no group, and joining `0` now.
    Joins(&'a GroupId),
}

/// The refusal when a verified address already belongs to another account.
pub(crate) fn email_in_use() -> Error {
    Error::refused(
        ProblemKind::EmailInUse,
        "this email address belongs to another account",
    )
}

/// The rule of one group per account, explained from the account as it was.
pub(crate) fn account_refusal(old: Option<Item>, gid: &GroupId) -> Error {
    let current = old
        .as_ref()
        .and_then(|o| o.get("groupId"))
        .and_then(|v| v.as_s().ok());
    match current {
        Some(g) if *g == gid.to_string() => Error::refused(
            ProblemKind::AlreadyMember,
            "you are already a member of this group",
        ),
        Some(_) => Error::refused(
            ProblemKind::AlreadyInAGroup,
            "this account already belongs to a group; leave it before joining another",
        ),
        None => Error::NotFound("account"),
    }
}

impl Repository {
    /// Adds the caller's registration to a write: the update that creates
    /// or refreshes their account, on the condition `registration` names,
    /// then the claim of their verified address (unique across accounts).
    /// Unverified addresses claim nothing: nobody can squat on another's
    /// email.
    pub(crate) fn add_registration<'a>(
        &self,
        tx: &mut Tx<'a>,
        caller: &Caller,
        registration: Registration<'a>,
        now: OffsetDateTime,
    ) -> Result<()> {
        let (joins, in_no_group) = match registration {
            Registration::Any => (None, None),
            Registration::InNoGroup(gid) => (None, Some(gid)),
            Registration::Joins(gid) => (Some(gid), Some(gid)),
        };
        let mut set = String::from(
            "SET id = :id, email = :email, emailVerified = :verified, entity = :entity, \
             createdAt = if_not_exists(createdAt, :now)",
        );
        if joins.is_some() {
            set.push_str(", groupId = :gid");
        }
        let mut change = Expr::new(set)
            .value(":id", s(caller.account_id.as_str()))
            .value(":email", s(caller.email.as_str()))
            .value(":verified", AttributeValue::Bool(caller.email_verified))
            .value(":entity", s("Account"))
            .value(":now", s(rfc3339(now)));
        if let Some(gid) = joins {
            change = change.value(":gid", s(gid.to_string()));
        }
        let guard = in_no_group.map(|gid| {
            Guard::new(
                Expr::new("attribute_not_exists(groupId)"),
                Refusal::explain(move |old| account_refusal(old, gid)),
            )
        });
        tx.update(&keys::account(&caller.account_id), change, guard)?;
        if !caller.email_verified {
            return Ok(());
        }
        let claim = EmailClaim {
            account_id: caller.account_id.clone(),
        };
        tx.put(
            &keys::email_claim(&caller.email),
            "EmailClaim",
            &claim,
            Some(Guard::new(
                Expr::new("attribute_not_exists(PK) OR accountId = :id")
                    .value(":id", s(caller.account_id.as_str())),
                Refusal::always(email_in_use),
            )),
        )
    }

    /// Creates or refreshes the caller's account. One `TransactWriteItems`.
    pub async fn register_account(&self, caller: &Caller, now: OffsetDateTime) -> Result<()> {
        let mut tx = Tx::new(self);
        self.add_registration(&mut tx, caller, Registration::Any, now)?;
        tx.commit().await.map(drop)
    }

    /// The account holding a verified address. One consistent `GetItem`.
    pub async fn account_id_by_email(&self, email: &EmailAddress) -> Result<Option<AccountId>> {
        let claim: Option<EmailClaim> = self.get(&keys::email_claim(email)).await?;
        Ok(claim.map(|c| c.account_id))
    }

    /// An account by id. One consistent `GetItem`.
    pub async fn get_account(&self, aid: &AccountId) -> Result<Option<Account>> {
        self.get(&keys::account(aid)).await
    }
}
