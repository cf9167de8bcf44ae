//! Computers under their account. A routine check-in (same alerts count,
//! known computer) is one conditional `UpdateItem` on the computer alone; a
//! check-in that changes a count (a new computer, alerts raised or cleared)
//! moves the account's and its group's counters in one transaction, with
//! the computer limit a condition on the account's counter.

use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{ReturnValue, ReturnValuesOnConditionCheckFailure};
use time::OffsetDateTime;

use super::accounts::{AccountWrite, EmailRule, GroupRule, Limit, Who, account_changed};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{Repository, from_item, key_map, n, s, sdk_error, service_error};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    Account, AccountChanges, AccountId, CheckIn, Computer, ComputerId, Group, GroupId,
    MAX_COMPUTERS_PER_ACCOUNT, Member, UsageDelta, rfc3339,
};
use crate::problem::ProblemKind;
#[cfg(feature = "reports")]
use crate::{model::AlertKind, report::ComputerRow};
#[cfg(feature = "reports")]
use aws_sdk_dynamodb::types::AttributeValue;
#[cfg(feature = "reports")]
use serde::{
    Deserialize,
    de::{IntoDeserializer, value::StrDeserializer},
};

/// The refusal past the computer limit.
fn computer_limit(max: u32) -> Error {
    Error::refused(
        ProblemKind::ComputerLimit,
        format!("an account can back up at most {max} computers; retire one first"),
    )
}

/// What a check-in found before it wrote.
pub enum QuietCheckIn {
    /// Nothing counted changed: the computer is stored.
    Stored(Computer),
    /// A count changes (the computer as it was, `None` when new): the
    /// check-in must go through [`Repository::check_in_counted`].
    Counted(Option<Computer>),
}

impl Repository {
    /// A check-in of a known computer whose alert count is unchanged: one
    /// conditional `UpdateItem`, returning the stored computer; otherwise
    /// the computer as it was, for the counted path.
    pub async fn check_in_quietly(
        &self,
        aid: &AccountId,
        cid: &ComputerId,
        check_in: &CheckIn,
        now: OffsetDateTime,
    ) -> Result<QuietCheckIn> {
        // Condition: known, with as many alerts as now reported.
        let (change, _) = computer_change(aid, cid, check_in, now)?;
        let mut request = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::computer(aid, cid))))
            .update_expression(change.text)
            .condition_expression("attribute_exists(PK) AND alertCount = :alertCount")
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (k, v) in change.names {
            request = request.expression_attribute_names(k, v);
        }
        for (k, v) in change.values {
            request = request.expression_attribute_values(k, v);
        }
        match request.send().await {
            Ok(out) => Ok(QuietCheckIn::Stored(from_item(
                out.attributes.unwrap_or_default(),
            )?)),
            Err(err) => match err.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(e) => {
                    Ok(QuietCheckIn::Counted(e.item.map(from_item).transpose()?))
                }
                other => Err(service_error(other)),
            },
        }
    }

    /// A check-in that changes a count: the computer (unless it changed
    /// since `previous` was read), the caller's account counters (still in
    /// the group `account` was read in; a new computer only under the
    /// limit) and the group's counters, in one `TransactWriteItems`.
    pub async fn check_in_counted(
        &self,
        caller: &Caller,
        account: Option<&Account>,
        cid: &ComputerId,
        previous: Option<&Computer>,
        check_in: &CheckIn,
        now: OffsetDateTime,
    ) -> Result<()> {
        let aid = &caller.account_id;
        let (change, alerts) = computer_change(aid, cid, check_in, now)?;
        let unchanged = match previous {
            None => Expr::new("attribute_not_exists(PK)"),
            Some(p) => {
                Expr::new("alertCount = :previousAlerts").value(":previousAlerts", n(p.alert_count))
            }
        };
        let mut tx = Tx::new(self);
        tx.update(
            &keys::computer(aid, cid),
            change,
            Some(Guard::new(unchanged, Refusal::always(account_changed))),
        )?;
        let delta = UsageDelta {
            computers: i64::from(previous.is_none()),
            alerts: i64::from(alerts) - previous.map_or(0, |p| i64::from(p.alert_count)),
            stored_bytes: 0,
        };
        let group = account.and_then(|a| a.group_id.as_ref());
        let write = AccountWrite {
            who: Who::Caller(caller),
            group: GroupRule::Still(group),
            usage: delta,
            buckets: 0,
            limit: previous.is_none().then_some(Limit {
                counter: "computerCount",
                max: MAX_COMPUTERS_PER_ACCOUNT,
                refusal: computer_limit,
            }),
            read_at: None,
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(&mut tx, write, now)?;
        if let Some(gid) = group {
            self.add_group_usage(&mut tx, gid, delta)?;
        }
        tx.commit().await.map(drop)
    }

    /// Retires a computer: it goes, with its count and alerts, from the
    /// account's and the group's counters. One `TransactWriteItems`.
    pub async fn retire_computer(
        &self,
        caller: &Caller,
        account: &Account,
        computer: &Computer,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.delete(
            &keys::computer(&caller.account_id, &computer.id),
            Some(Guard::new(
                Expr::new("alertCount = :alerts").value(":alerts", n(computer.alert_count)),
                Refusal::explain(|old| match old {
                    None => Error::NotFound("computer"),
                    Some(_) => account_changed(),
                }),
            )),
        )?;
        let delta = UsageDelta {
            computers: -1,
            alerts: -i64::from(computer.alert_count),
            stored_bytes: 0,
        };
        let write = AccountWrite {
            who: Who::Caller(caller),
            group: GroupRule::Still(account.group_id.as_ref()),
            usage: delta,
            buckets: 0,
            limit: None,
            read_at: None,
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(&mut tx, write, now)?;
        if let Some(gid) = &account.group_id {
            self.add_group_usage(&mut tx, gid, delta)?;
        }
        tx.commit().await.map(drop)
    }

    /// A computer and its owner's account, read together. One `BatchGetItem`.
    pub async fn computer_and_account(
        &self,
        aid: &AccountId,
        cid: &ComputerId,
    ) -> Result<(Option<Computer>, Option<Account>)> {
        let [computer, account] = self
            .get_n([keys::computer(aid, cid), keys::account(aid)])
            .await?;
        Ok((
            computer.map(from_item).transpose()?,
            account.map(from_item).transpose()?,
        ))
    }

    /// A group, one of its members and that member's computer, read
    /// together. One `BatchGetItem`.
    pub async fn group_member_computer(
        &self,
        gid: &GroupId,
        aid: &AccountId,
        cid: &ComputerId,
    ) -> Result<(Option<Group>, Option<Member>, Option<Computer>)> {
        let [group, member, computer] = self
            .get_n([
                keys::group(gid),
                keys::member(gid, aid),
                keys::computer(aid, cid),
            ])
            .await?;
        Ok((
            group.map(from_item).transpose()?,
            member.map(from_item).transpose()?,
            computer.map(from_item).transpose()?,
        ))
    }

    /// The `Query` of a page of an account's computer items in id order,
    /// after `after`: what both ways of reading them send.
    async fn computers_page(
        &self,
        aid: &AccountId,
        limit: i32,
        after: Option<&ComputerId>,
    ) -> Result<aws_sdk_dynamodb::operation::query::QueryOutput> {
        let mut query = self
            .client
            .query()
            .table_name(self.table())
            .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::account_gsi_pk(aid)))
            .expression_attribute_values(":prefix", s(keys::COMPUTER_PREFIX))
            .consistent_read(true)
            .limit(limit);
        if let Some(after) = after {
            query = query.set_exclusive_start_key(Some(key_map(&keys::computer(aid, after))));
        }
        query.send().await.map_err(sdk_error)
    }

    /// A page of an account's computers in id order, after `after`. One `Query`.
    pub async fn list_computers(
        &self,
        aid: &AccountId,
        limit: i32,
        after: Option<&ComputerId>,
    ) -> Result<(Vec<Computer>, Option<ComputerId>)> {
        let out = self.computers_page(aid, limit, after).await?;
        let computers = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<Vec<Computer>>>()?;
        let next = match out.last_evaluated_key {
            Some(_) => computers.last().map(|c| c.id.clone()),
            None => None,
        };
        Ok((computers, next))
    }
}

/// The update that stores a check-in (the first check-in's time is kept),
/// and the number of alerts it reports.
fn computer_change(
    aid: &AccountId,
    cid: &ComputerId,
    check_in: &CheckIn,
    now: OffsetDateTime,
) -> Result<(Expr, u32)> {
    let alerts = u32::try_from(check_in.alerts.len()).unwrap_or(u32::MAX);
    let mut change = Expr::new(
        "SET id = :id, accountId = :accountId, #name = :name, os = :os, \
         clientVersion = :clientVersion, selectedBytes = :selectedBytes, \
         filesRemaining = :filesRemaining, alerts = :alerts, alertCount = :alertCount, \
         firstSeenAt = if_not_exists(firstSeenAt, :now), checkedInAt = :now, entity = :entity",
    )
    .name("#name", "name")
    .value(":id", s(cid.as_str()))
    .value(":accountId", s(aid.as_str()))
    .value(":name", s(&check_in.name))
    .value(":os", s(&check_in.os))
    .value(":clientVersion", s(&check_in.client_version))
    .value(":selectedBytes", n(check_in.selected_bytes))
    .value(":filesRemaining", n(check_in.files_remaining))
    .value(
        ":alerts",
        serde_dynamo::to_attribute_value(&check_in.alerts).map_err(Error::unexpected)?,
    )
    .value(":alertCount", n(alerts))
    .value(":now", s(rfc3339(now)))
    .value(":entity", s("Computer"));
    change = match check_in.last_backup_at {
        Some(at) => {
            change.text.push_str(", lastBackupAt = :lastBackupAt");
            change.value(":lastBackupAt", s(rfc3339(at)))
        }
        None => {
            change.text.push_str(" REMOVE lastBackupAt");
            change
        }
    };
    Ok((change, alerts))
}

#[cfg(feature = "reports")]
impl Repository {
    /// A page of an account's computers in id order, after `after`, as the
    /// group report shows them, and where the next page starts. One `Query`,
    /// as [`Repository::list_computers`], but the row's attributes are taken
    /// straight from the items rather than deserialised into whole
    /// [`Computer`]s (ids checked, every timestamp parsed, every value
    /// converted): the report reads every computer of a group, and that
    /// conversion was about a quarter of its time on the client.
    ///
    /// The items are read whole: a `ProjectionExpression` would halve what
    /// the SDK parses, but the DynamoDB stand-in applies it item by item
    /// under the lock that serialises all its requests, which made the
    /// report slower there overall.
    pub async fn list_computer_rows(
        &self,
        aid: &AccountId,
        limit: i32,
        after: Option<&ComputerId>,
    ) -> Result<(Vec<ComputerRow>, Option<ComputerId>)> {
        let out = self.computers_page(aid, limit, after).await?;
        let rows = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(computer_row)
            .collect::<Result<Vec<ComputerRow>>>()?;
        // The next page starts after the key this one ends on.
        let next = match out.last_evaluated_key {
            Some(key) => {
                let sk = match key.get(keys::SK) {
                    Some(AttributeValue::S(sk)) => sk.as_str(),
                    _ => "",
                };
                let cid = sk.strip_prefix(keys::COMPUTER_PREFIX).unwrap_or_default();
                Some(ComputerId::parse("computerId", cid).map_err(|e| {
                    Error::unexpected(format!("the page ends on {sk:?}: {}", e.reason))
                })?)
            }
            None => None,
        };
        Ok((rows, next))
    }
}

/// A computer's row from its item: what deserialising the whole
/// [`Computer`] reads for these attributes (a value of the wrong type or
/// out of range is an error; a missing `lastBackupAt` is none); the other
/// attributes are left unread.
#[cfg(feature = "reports")]
fn computer_row(mut item: super::Item) -> Result<ComputerRow> {
    fn missing(attribute: &str) -> Error {
        Error::unexpected(format!(
            "a computer's {attribute:?} is missing or not of its type"
        ))
    }
    let mut text = |attribute: &str| match item.remove(attribute) {
        Some(AttributeValue::S(text)) => Ok(text),
        _ => Err(missing(attribute)),
    };
    let name = text("name")?;
    let os = text("os")?;
    let client_version = text("clientVersion")?;
    let last_backup_at = match item.remove("lastBackupAt") {
        None | Some(AttributeValue::Null(true)) => None,
        Some(AttributeValue::S(at)) => Some(
            OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                .map_err(|_| missing("lastBackupAt"))?,
        ),
        Some(_) => return Err(missing("lastBackupAt")),
    };
    let number = |attribute: &str| match item.get(attribute) {
        Some(AttributeValue::N(n)) => n.parse::<u64>().map_err(|_| missing(attribute)),
        _ => Err(missing(attribute)),
    };
    let selected_bytes = number("selectedBytes")?;
    let files_remaining = number("filesRemaining")?;
    let alert_count = u32::try_from(number("alertCount")?).map_err(|_| missing("alertCount"))?;
    let alert_kinds = match item.get("alerts") {
        Some(AttributeValue::L(alerts)) => alerts
            .iter()
            .map(|alert| match alert {
                AttributeValue::M(alert) => match alert.get("kind") {
                    Some(AttributeValue::S(kind)) => {
                        let kind: StrDeserializer<'_, serde::de::value::Error> =
                            kind.as_str().into_deserializer();
                        AlertKind::deserialize(kind).map_err(|_| missing("alerts"))
                    }
                    _ => Err(missing("alerts")),
                },
                _ => Err(missing("alerts")),
            })
            .collect::<Result<Vec<AlertKind>>>()?,
        _ => return Err(missing("alerts")),
    };
    Ok(ComputerRow {
        name,
        os,
        client_version,
        last_backup_at,
        selected_bytes,
        files_remaining,
        alert_count,
        alert_kinds,
    })
}
