//! Accounts and the uniqueness claims of their verified email addresses.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use time::OffsetDateTime;

use super::{Repository, key_map, s, to_item, tx::TxError};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{Account, AccountId, EmailAddress};

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailClaim {
    account_id: AccountId,
}

/// The conflict raised when a verified address already belongs to another account.
pub(crate) fn email_in_use() -> Error {
    Error::Conflict {
        kind: "email-in-use",
        detail: "this email address belongs to another account".into(),
    }
}

impl Repository {
    /// Transaction items that create or refresh the caller's account, and for a
    /// verified email claim the address (unique across accounts). Appended to
    /// the first write a caller makes, so registering costs no round trip.
    /// Unverified addresses claim nothing: nobody can squat on another's email.
    pub(crate) fn register_account_items(
        &self,
        caller: &Caller,
        now: OffsetDateTime,
    ) -> Result<Vec<TransactWriteItem>> {
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::account(&caller.account_id))))
            .update_expression(
                "SET id = :id, email = :email, emailVerified = :verified, entity = :entity, \
                 createdAt = if_not_exists(createdAt, :now)",
            )
            .expression_attribute_values(":id", s(caller.account_id.as_str()))
            .expression_attribute_values(":email", s(caller.email.as_str()))
            .expression_attribute_values(
                ":verified",
                aws_sdk_dynamodb::types::AttributeValue::Bool(caller.email_verified),
            )
            .expression_attribute_values(":entity", s("Account"))
            .expression_attribute_values(":now", s(crate::model::rfc3339(now)))
            .build()
            .map_err(Error::unexpected)?;
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        if caller.email_verified {
            let claim = to_item(
                &keys::email_claim(&caller.email),
                "EmailClaim",
                &EmailClaim {
                    account_id: caller.account_id.clone(),
                },
            )?;
            let put = Put::builder()
                .table_name(self.table())
                .set_item(Some(claim))
                .condition_expression("attribute_not_exists(PK) OR accountId = :id")
                .expression_attribute_values(":id", s(caller.account_id.as_str()))
                .build()
                .map_err(Error::unexpected)?;
            items.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(items)
    }

    /// Creates or refreshes the caller's account. One `TransactWriteItems`.
    pub async fn register_account(&self, caller: &Caller, now: OffsetDateTime) -> Result<()> {
        let items = self.register_account_items(caller, now)?;
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(reasons)) if reasons.get(1).is_some_and(|r| r.failed()) => {
                Err(email_in_use())
            }
            Err(e) => Err(e.into()),
        }
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
