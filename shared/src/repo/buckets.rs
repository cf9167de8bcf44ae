//! B2 buckets under their account, with a claim item that makes each name
//! unique across the service and the account's bucket counter under its
//! limit, all in the bucket's own transaction.

use time::OffsetDateTime;

use super::accounts::{AccountWrite, EmailRule, GroupRule, Limit, Who};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, from_item, s, sdk_error};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    AccountChanges, AccountId, Bucket, BucketName, MAX_BUCKETS_PER_ACCOUNT, UsageDelta,
};
use crate::problem::ProblemKind;

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameClaim {
    account_id: AccountId,
    name: BucketName,
}

fn bucket_limit(max: u32) -> Error {
    Error::refused(
        ProblemKind::BucketLimit,
        format!("an account can have at most {max} buckets; delete one first"),
    )
}

impl Repository {
    /// Creates a bucket: its name claimed across the service, the account
    /// (registered on the way) under its bucket limit. One `TransactWriteItems`.
    pub async fn create_bucket(
        &self,
        caller: &Caller,
        bucket: &Bucket,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        tx.create(
            &keys::bucket_name_claim(&bucket.name),
            "BucketNameClaim",
            &NameClaim {
                account_id: bucket.account_id.clone(),
                name: bucket.name.clone(),
            },
            Refusal::always(|| {
                Error::refused(
                    ProblemKind::BucketNameTaken,
                    "a bucket with this name already exists; bucket names are unique across the service",
                )
            }),
        )?;
        tx.create(
            &keys::bucket(&bucket.account_id, &bucket.name),
            "Bucket",
            bucket,
            Refusal::always(|| Error::unexpected("a bucket exists without its name claim")),
        )?;
        let write = AccountWrite {
            who: Who::Caller(caller),
            group: GroupRule::Any,
            usage: UsageDelta::default(),
            buckets: 1,
            limit: Some(Limit {
                counter: "bucketCount",
                max: MAX_BUCKETS_PER_ACCOUNT,
                refusal: bucket_limit,
            }),
            read_at: None,
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(&mut tx, write, now)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Deletes an empty bucket and frees its name. One `TransactWriteItems`.
    pub async fn delete_bucket(
        &self,
        caller: &Caller,
        name: &BucketName,
        now: OffsetDateTime,
    ) -> Result<()> {
        let aid = &caller.account_id;
        let mut tx = Tx::new(self);
        tx.delete(
            &keys::bucket(aid, name),
            Some(Guard::new(
                Expr::new("attribute_exists(PK) AND storedBytes = :zero AND fileCount = :zero")
                    .value(":zero", super::n(0)),
                Refusal::explain(|old| match old {
                    None => Error::NotFound("bucket"),
                    Some(_) => Error::refused(
                        ProblemKind::BucketNotEmpty,
                        "the bucket still holds files; delete them first",
                    ),
                }),
            )),
        )?;
        tx.delete(
            &keys::bucket_name_claim(name),
            Some(Guard::new(
                Expr::new("accountId = :aid").value(":aid", s(aid.as_str())),
                Refusal::always(|| Error::NotFound("bucket")),
            )),
        )?;
        let write = AccountWrite {
            who: Who::Caller(caller),
            group: GroupRule::Any,
            usage: UsageDelta::default(),
            buckets: -1,
            limit: None,
            read_at: None,
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(&mut tx, write, now)?;
        tx.commit().await.map(drop)
    }

    /// One bucket of an account. One consistent `GetItem`.
    pub async fn get_bucket(&self, aid: &AccountId, name: &BucketName) -> Result<Option<Bucket>> {
        self.get(&keys::bucket(aid, name)).await
    }

    /// Every bucket of an account (at most 100, so one page). One `Query`.
    pub async fn list_buckets(&self, aid: &AccountId) -> Result<Vec<Bucket>> {
        let out = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::account_gsi_pk(aid)))
            .expression_attribute_values(":prefix", s(keys::BUCKET_PREFIX))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        out.items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect()
    }
}
