//! The one DynamoDB repository (single table, DESIGN §4). Invariants live in
//! condition expressions and transactions; each public operation documents its
//! round trips. SDK errors are matched by kind, never by their text.

mod access;
mod accounts;
mod audit;
mod batch;
mod billing;
mod buckets;
mod computers;
mod contact;
#[cfg(feature = "identity-port")]
mod credentials;
mod dissolution;
mod domains;
mod files;
mod groups;
mod idempotency;
mod invitations;
mod invite_link;
mod members;
mod outbox;
mod outbox_items;
mod pages;
mod quota;
mod reports;
mod requests;
#[cfg(feature = "identity-port")]
mod sign_in;
mod snapshots;
mod synopsis;
mod tx;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use billing::{AccountUsage, USAGE_SCHEDULE};
pub use computers::QuietCheckIn;
pub use contact::{ContactChange, ContactTarget};
#[cfg(feature = "identity-port")]
pub use credentials::{CredentialChange, CredentialWrite, StoredCredential};
pub use domains::{DomainEdit, GroupForDomainEdit};
pub use idempotency::{IdempotentWrite, Written};
pub use invitations::{InviteCaps, NewInvitation};
pub use members::{AccountRef, MembersFrom, NewMembership};
pub use pages::Position;
pub use requests::NewRequest;
#[cfg(feature = "identity-port")]
pub(crate) use sign_in::{ClaimMove, SignIn, email_in_use};
pub use snapshots::SnapshotOutcome;
pub use synopsis::GroupStats;

use crate::error::Error;
use crate::keys::{self, Key};
use crate::model::{Account, AccountId, Group, GroupId};

/// A DynamoDB item as the SDK sees it.
pub type Item = HashMap<String, AttributeValue>;

/// Access to the service's table.
#[derive(Debug, Clone)]
pub struct Repository {
    client: Client,
    table: String,
}

impl Repository {
    /// Wraps a client built once per cold start.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table name (for wiring and diagnostics).
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The client (for the stand-ins' table set-up and tests).
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Repository {
    /// One consistent `GetItem`, deserialised.
    pub(crate) async fn get<T: DeserializeOwned>(&self, key: &Key) -> Result<Option<T>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(self.table())
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.item.map(from_item).transpose()
    }

    /// Consistent `BatchGetItem` of up to 100 keys, retrying unprocessed keys.
    pub(crate) async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, Error> {
        let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .set_keys(Some(keys.iter().map(key_map).collect()))
            .consistent_read(true)
            .build()
            .map_err(Error::unexpected)?;
        let mut pending = Some(request);
        let mut items = Vec::new();
        while let Some(request) = pending.take() {
            let out = self
                .client
                .batch_get_item()
                .request_items(self.table(), request)
                .send()
                .await
                .map_err(sdk_error)?;
            items.extend(
                out.responses
                    .unwrap_or_default()
                    .remove(self.table())
                    .unwrap_or_default(),
            );
            pending = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(self.table()))
                .filter(|k| !k.keys.is_empty());
        }
        Ok(items)
    }

    /// Consistent reads of up to 100 items in one `BatchGetItem`, answered
    /// in the order asked (`None` where an item does not exist).
    pub(crate) async fn get_all(&self, keys: &[Key]) -> Result<Vec<Option<Item>>, Error> {
        let mut found = vec![None; keys.len()];
        for item in self.batch_get(keys).await? {
            let pk = item.get(keys::PK).and_then(|v| v.as_s().ok());
            let sk = item.get(keys::SK).and_then(|v| v.as_s().ok());
            let position = keys
                .iter()
                .position(|k| Some(&k.pk) == pk && Some(&k.sk) == sk);
            if let Some(i) = position {
                found[i] = Some(item);
            }
        }
        Ok(found)
    }

    /// The group and one item of its partition (member, request,
    /// invitation) or its token, read together. One `BatchGetItem`.
    pub async fn group_with<T: DeserializeOwned>(
        &self,
        gid: &GroupId,
        other: &Key,
    ) -> Result<(Option<Group>, Option<T>), Error> {
        let [group, other] = self.get_n([keys::group(gid), other.clone()]).await?;
        Ok((
            group.map(from_item).transpose()?,
            other.map(from_item).transpose()?,
        ))
    }

    /// The group, one other item and an account, read together (a change
    /// that moves the account into or out of the group). One `BatchGetItem`.
    pub async fn group_with_account<T: DeserializeOwned>(
        &self,
        gid: &GroupId,
        other: &Key,
        aid: &AccountId,
    ) -> Result<(Option<Group>, Option<T>, Option<Account>), Error> {
        let [group, other, account] = self
            .get_n([keys::group(gid), other.clone(), keys::account(aid)])
            .await?;
        Ok((
            group.map(from_item).transpose()?,
            other.map(from_item).transpose()?,
            account.map(from_item).transpose()?,
        ))
    }

    /// What a join reads, together: the group, the presented token, the
    /// joiner's account and the group's proof of the joiner's email domain
    /// (named by the address, so it is read before the group is: absent
    /// unless the group lists that domain). One `BatchGetItem`.
    pub async fn join_reads<T: DeserializeOwned>(
        &self,
        gid: &GroupId,
        token: &Key,
        aid: &AccountId,
        email_domain: &str,
    ) -> Result<
        (
            Option<Group>,
            Option<T>,
            Option<Account>,
            Option<crate::model::DomainProof>,
        ),
        Error,
    > {
        let [group, token, account, proof] = self
            .get_n([
                keys::group(gid),
                token.clone(),
                keys::account(aid),
                keys::domain_proof(gid, email_domain),
            ])
            .await?;
        Ok((
            group.map(from_item).transpose()?,
            token.map(from_item).transpose()?,
            account.map(from_item).transpose()?,
            proof.map(from_item).transpose()?,
        ))
    }

    /// [`Repository::get_all`] for a fixed number of keys.
    pub(crate) async fn get_n<const N: usize>(
        &self,
        keys: [Key; N],
    ) -> Result<[Option<Item>; N], Error> {
        self.get_all(&keys)
            .await?
            .try_into()
            .map_err(|_| Error::unexpected("BatchGetItem answered another number of keys"))
    }

    /// One page of a group's items under a sort-key prefix, resuming after
    /// the sort key `after` (a page token the caller was given); with the
    /// sort key to resume after when more may follow. One consistent `Query`.
    pub(crate) async fn page_prefix<T: DeserializeOwned>(
        &self,
        gid: &GroupId,
        prefix: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<T>, Option<String>), Error> {
        let mut query = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::group_pk(gid)))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        if let Some(after) = after {
            if !after.starts_with(prefix) {
                return Err(Error::invalid(
                    "nextToken",
                    "is not a token this list gave out",
                ));
            }
            query = query.set_exclusive_start_key(Some(key_map(&Key {
                pk: keys::group_pk(gid),
                sk: after.to_owned(),
            })));
        }
        let out = query.send().await.map_err(sdk_error)?;
        let items = out.items.unwrap_or_default();
        let next = match out.last_evaluated_key {
            Some(_) => items
                .last()
                .and_then(|i| i.get(keys::SK))
                .and_then(|sk| sk.as_s().ok())
                .cloned(),
            None => None,
        };
        let page = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok((page, next))
    }
}

/// Converts a key to the SDK's map.
pub(crate) fn key_map(key: &Key) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (keys::SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Serialises a value into an item carrying its key and entity type.
pub(crate) fn to_item<T: Serialize>(key: &Key, entity: &str, value: &T) -> Result<Item, Error> {
    let mut item: Item = serde_dynamo::to_item(value).map_err(Error::unexpected)?;
    item.extend(key_map(key));
    item.insert(
        keys::ENTITY.to_owned(),
        AttributeValue::S(entity.to_owned()),
    );
    Ok(item)
}

/// Deserialises an item, ignoring key attributes.
pub(crate) fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, Error> {
    serde_dynamo::from_item(item).map_err(Error::unexpected)
}

/// DynamoDB error codes that mean "too much at once", left after the SDK's
/// own retries: answered 503 `busy` with `Retry-After`, not 500.
const THROTTLED: [&str; 4] = [
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

/// The one mapping of a failed SDK call: throttling is [`Error::busy`],
/// anything else unexpected (with its cause kept for the logs).
pub(crate) fn sdk_error<E, R>(error: aws_sdk_dynamodb::error::SdkError<E, R>) -> Error
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata
        + aws_smithy_runtime_api::client::result::CreateUnhandledError
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    service_error(error.into_service_error())
}

/// A conditional write's outcome: `true` when it was made, `false` when its
/// condition failed (an expected answer, for the caller to interpret), any
/// other failure as [`sdk_error`].
pub(crate) fn condition_held<O, E, R>(
    outcome: Result<O, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, Error>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata
        + aws_smithy_runtime_api::client::result::CreateUnhandledError
        + std::error::Error
        + Send
        + Sync
        + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match outcome {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.code() == Some("ConditionalCheckFailedException")) =>
        {
            Ok(false)
        }
        Err(e) => Err(sdk_error(e)),
    }
}

/// [`sdk_error`] for an operation error already taken apart (after its
/// expected cases, such as a failed condition, were matched).
pub(crate) fn service_error<E>(error: E) -> Error
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    if THROTTLED.contains(&error.code().unwrap_or_default()) {
        return Error::busy();
    }
    Error::unexpected(error)
}

/// A string attribute.
pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub(crate) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}
