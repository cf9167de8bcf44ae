//! A group's billing data and daily usage: the billing item (renewal day,
//! prices, payment method reference) and one usage item per group and day,
//! which the estimate reads.

use time::{Date, OffsetDateTime};

use super::groups::admin_guard;
use super::synopsis::GroupStats;
use super::tx::{Expr, Tx};
use super::{Repository, from_item, s, sdk_error};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{Account, AccountId, Billing, Group, GroupId, GroupUsage, PaymentMethod};

/// The daily usage job's schedule name.
pub const USAGE_SCHEDULE: &str = "usage";

/// A group's entry on a schedule: the sparse index finds it.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScheduleEntry {
    pub group_id: GroupId,
    #[serde(rename = "GSI1PK")]
    pub gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    pub gsi1sk: String,
}

impl ScheduleEntry {
    /// `gid` on `schedule`.
    pub fn new(gid: &GroupId, schedule: &str) -> Self {
        Self {
            group_id: *gid,
            gsi1pk: keys::schedule_gsi_pk(schedule),
            gsi1sk: gid.to_string(),
        }
    }
}

/// One account's usage on one day, as recorded by the daily job.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountUsage {
    /// The account.
    pub account_id: AccountId,
    /// The group that paid for it that day.
    pub group_id: GroupId,
    /// The day.
    #[serde(with = "crate::model::day")]
    pub day: Date,
    /// Its computers.
    pub computers: u64,
    /// Its B2 bytes.
    pub stored_bytes: u64,
}

impl Repository {
    /// Records accounts' usage for their day (a second record of the same
    /// day replaces the first). One `BatchWriteItem` per 25.
    pub async fn put_account_usage(&self, records: &[AccountUsage]) -> Result<()> {
        let items = records
            .iter()
            .map(|r| {
                super::to_item(
                    &keys::account_usage(&r.account_id, r.day),
                    "AccountUsage",
                    r,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        self.put_all(items).await
    }

    /// Accounts by id (missing ones left out). One `BatchGetItem` per 100.
    pub async fn accounts(&self, aids: &[AccountId]) -> Result<Vec<Account>> {
        let mut accounts = Vec::with_capacity(aids.len());
        for chunk in aids.chunks(100) {
            let keys: Vec<_> = chunk.iter().map(keys::account).collect();
            for item in self.batch_get(&keys).await? {
                accounts.push(from_item(item)?);
            }
        }
        Ok(accounts)
    }

    /// A page of the groups on `schedule`, after `after`, through the sparse
    /// index. One `Query` on GSI1.
    pub async fn groups_on_schedule(
        &self,
        schedule: &str,
        after: Option<&GroupId>,
        limit: i32,
    ) -> Result<(Vec<GroupId>, bool)> {
        self.groups_on_schedule_at(schedule, schedule, after, limit)
            .await
    }

    /// [`Repository::groups_on_schedule`] for entries kept under `slot`
    /// in their group's partition (an entry that moves between schedules
    /// keeps its slot). One `Query` on GSI1.
    pub(crate) async fn groups_on_schedule_at(
        &self,
        schedule: &str,
        slot: &str,
        after: Option<&GroupId>,
        limit: i32,
    ) -> Result<(Vec<GroupId>, bool)> {
        let mut query = self
            .client
            .query()
            .table_name(self.table())
            .index_name(keys::GSI1)
            .key_condition_expression("GSI1PK = :pk")
            .expression_attribute_values(":pk", s(keys::schedule_gsi_pk(schedule)))
            .limit(limit);
        if let Some(gid) = after {
            let entry = keys::schedule_entry(gid, slot);
            let mut start = super::key_map(&entry);
            start.insert(keys::GSI1PK.into(), s(keys::schedule_gsi_pk(schedule)));
            start.insert(keys::GSI1SK.into(), s(gid.to_string()));
            query = query.set_exclusive_start_key(Some(start));
        }
        let out = query.send().await.map_err(sdk_error)?;
        let groups = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<ScheduleEntry>(item).map(|e| e.group_id))
            .collect::<Result<Vec<_>>>()?;
        Ok((groups, out.last_evaluated_key.is_some()))
    }

    /// Starts a new group's billing, and puts it on the daily usage schedule.
    pub(crate) fn add_billing_start(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        billing: &Billing,
    ) -> Result<()> {
        tx.put(&keys::billing(gid), "Billing", billing, None)?;
        tx.put(
            &keys::schedule_entry(gid, USAGE_SCHEDULE),
            "ScheduleEntry",
            &ScheduleEntry::new(gid, USAGE_SCHEDULE),
            None,
        )
    }

    /// The group, its billing data and its counters. One `BatchGetItem`.
    pub async fn billing_of(
        &self,
        gid: &GroupId,
    ) -> Result<(Option<Group>, Option<Billing>, GroupStats)> {
        let [group, billing, stats] = self
            .get_n([keys::group(gid), keys::billing(gid), keys::group_stats(gid)])
            .await?;
        Ok((
            group.map(from_item).transpose()?,
            billing.map(from_item).transpose()?,
            stats.map(from_item).transpose()?.unwrap_or_default(),
        ))
    }

    /// Sets or replaces the payment method, if the caller administers the
    /// active group; a group billed before billing items existed gets one
    /// (`fallback`). One `TransactWriteItems`.
    pub async fn set_payment_method(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        method: &PaymentMethod,
        fallback: &Billing,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.check(&keys::group(gid), admin_guard(caller))?;
        tx.update(
            &keys::billing(gid),
            Expr::new(
                "SET paymentMethod = :method, entity = :entity, \
                 renewalDay = if_not_exists(renewalDay, :day), prices = if_not_exists(prices, :prices)",
            )
            .value(":method", to_av(method)?)
            .value(":entity", s("Billing"))
            .value(":day", to_av(&fallback.renewal_day)?)
            .value(":prices", to_av(&fallback.prices)?),
            None,
        )?;
        tx.commit().await.map(drop)
    }

    /// A group's usage items from `from` to `to`, inclusive. One `Query`
    /// (a year of days fits in one page).
    pub async fn group_usage_between(
        &self,
        gid: &GroupId,
        from: Date,
        to: Date,
    ) -> Result<Vec<GroupUsage>> {
        let mut pages = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":pk", s(keys::group_pk(gid)))
            .expression_attribute_values(":from", s(keys::group_usage(gid, from).sk))
            .expression_attribute_values(":to", s(keys::group_usage(gid, to).sk))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut usage = Vec::new();
        while let Some(item) = pages.next().await {
            usage.push(from_item(item.map_err(sdk_error)?)?);
        }
        Ok(usage)
    }

    /// Records a group's usage for its day (a second record of the same day
    /// replaces the first: one record per day). One `PutItem`.
    pub async fn put_group_usage(
        &self,
        gid: &GroupId,
        usage: &GroupUsage,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut item = super::to_item(&keys::group_usage(gid, usage.day), "GroupUsage", usage)?;
        item.insert("recordedAt".into(), s(crate::model::rfc3339(now)));
        self.client
            .put_item()
            .table_name(self.table())
            .set_item(Some(item))
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(())
    }
}

fn to_av<T: serde::Serialize>(value: &T) -> Result<aws_sdk_dynamodb::types::AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(Error::unexpected)
}
