//! Groups, their admins and the "groups I administer" index.
//!
//! Admins are kept on the group item itself (`admins.<accountId>`), so every
//! authorisation check and every admin invariant (no duplicate, at most
//! `MAX_ADMINS`, never fewer than one) is one condition on one item.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use time::OffsetDateTime;

use super::accounts::email_in_use;
use super::tx::{Reason, TxError};
use super::{IdempotentWrite, Item, Repository, Written, from_item, key_map, n, s, to_item};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    AccountId, AdminEntry, EmailAddress, Group, GroupChanges, GroupId, GroupStatus, MAX_ADMINS,
    rfc3339,
};

/// The link item behind the GSI that lists an account's groups.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AdminLink {
    group_id: GroupId,
    account_id: AccountId,
    #[serde(rename = "GSI1PK")]
    gsi1pk: String,
    #[serde(rename = "GSI1SK")]
    gsi1sk: String,
}

fn admin_link_put(repo: &Repository, gid: &GroupId, aid: &AccountId) -> Result<TransactWriteItem> {
    let link = AdminLink {
        group_id: *gid,
        account_id: aid.clone(),
        gsi1pk: keys::account_gsi_pk(aid),
        gsi1sk: keys::admin_of(gid),
    };
    let put = Put::builder()
        .table_name(repo.table())
        .set_item(Some(to_item(&keys::admin(gid, aid), "AdminLink", &link)?))
        .build()
        .map_err(Error::unexpected)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Why a conditional write on a group failed, read from the group's old
/// image: missing, not administered by `admin`, or dissolved. `Ok` hands the
/// group back for the caller's own checks. An outsider learns exactly what a
/// missing group would tell them.
pub(super) fn group_refusal(old: Option<&Item>, admin: Option<&AccountId>) -> Result<Group> {
    let Some(old) = old else {
        return Err(Error::NotFound("group"));
    };
    let group: Group = from_item(old.clone())?;
    if admin.is_some_and(|a| !group.is_admin(a)) {
        return Err(Error::NotFound("group"));
    }
    if group.status == GroupStatus::Dissolved {
        return Err(Error::Conflict {
            kind: "group-dissolved",
            detail: "the group has been dissolved".into(),
        });
    }
    Ok(group)
}

fn old_item(reasons: &[Reason], index: usize) -> Option<&Item> {
    reasons.get(index).and_then(|r| r.old.as_ref())
}

impl Repository {
    /// Creates a group, its creator's admin link and (if new) the creator's
    /// account, plus the idempotency record. One `TransactWriteItems`.
    pub async fn create_group(
        &self,
        group: &Group,
        creator: &Caller,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let put_group = Put::builder()
            .table_name(self.table())
            .set_item(Some(to_item(&keys::group(&group.id), "Group", group)?))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(Error::unexpected)?;
        let mut items = vec![
            TransactWriteItem::builder().put(put_group).build(),
            admin_link_put(self, &group.id, &creator.account_id)?,
        ];
        let account_items = self.register_account_items(creator, now)?;
        let claim_index = (account_items.len() == 2).then_some(items.len() + 1);
        items.extend(account_items);
        match self.transact_idempotent(items, idem, now).await {
            Ok(written) => Ok(written),
            Err(TxError::Cancelled(reasons)) => {
                if claim_index.is_some_and(|i| reasons.get(i).is_some_and(Reason::failed)) {
                    return Err(email_in_use());
                }
                Err(TxError::Cancelled(reasons).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A group by id. One consistent `GetItem`.
    pub async fn get_group(&self, gid: &GroupId) -> Result<Option<Group>> {
        self.get(&keys::group(gid)).await
    }

    /// The groups an account administers, by name. One `Query` on GSI1 (per
    /// page of 1 MB) plus one `BatchGetItem` per 100 groups.
    pub async fn list_admin_groups(&self, aid: &AccountId) -> Result<Vec<Group>> {
        let mut group_keys = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(self.table())
            .index_name(keys::GSI1)
            .key_condition_expression("GSI1PK = :pk AND begins_with(GSI1SK, :prefix)")
            .expression_attribute_values(":pk", s(keys::account_gsi_pk(aid)))
            .expression_attribute_values(":prefix", s(keys::ADMIN_OF_PREFIX))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(|e| Error::unexpected(e.into_service_error()))?;
            let link: AdminLink = from_item(item)?;
            group_keys.push(keys::group(&link.group_id));
        }
        let mut groups: Vec<Group> = Vec::with_capacity(group_keys.len());
        for chunk in group_keys.chunks(100) {
            for item in self.batch_get(chunk).await? {
                groups.push(from_item(item)?);
            }
        }
        // The index is eventually consistent: trust the group item, not the link.
        groups.retain(|g| g.is_admin(aid));
        groups.sort_by(|a, b| a.name.as_str().cmp(b.name.as_str()).then(a.id.cmp(&b.id)));
        Ok(groups)
    }

    /// Applies an edit if the caller administers the active group, returning
    /// the new group. One `UpdateItem`.
    pub async fn update_group(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        changes: &GroupChanges,
        now: OffsetDateTime,
    ) -> Result<Group> {
        let mut sets = vec!["version = version + :one", "updatedAt = :now"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>();
        let mut names = HashMap::from([
            ("#caller".to_owned(), caller.to_string()),
            ("#status".to_owned(), "status".to_owned()),
        ]);
        let mut values: HashMap<String, AttributeValue> = HashMap::from([
            (":one".to_owned(), n(1)),
            (":now".to_owned(), s(rfc3339(now))),
            (":active".to_owned(), to_av(&GroupStatus::Active)?),
        ]);
        let mut set = |path: &str, placeholder: &str, value: AttributeValue| {
            sets.push(format!("{path} = {placeholder}"));
            values.insert(placeholder.to_owned(), value);
        };
        if let Some(name) = &changes.name {
            set("#name", ":name", s(name.as_str()));
            names.insert("#name".into(), "name".into());
        }
        if let Some(approval) = &changes.approval {
            set("joinPolicy.approval", ":approval", to_av(approval)?);
        }
        if let Some(domains) = &changes.auto_accept_domains {
            set("joinPolicy.autoAcceptDomains", ":domains", to_av(domains)?);
        }
        if let Some(sso) = &changes.sso {
            set("sso", ":sso", to_av(sso)?);
        }
        if let Some(cadence) = &changes.member_summary_emails {
            set("memberSummaryEmails", ":mse", to_av(cadence)?);
        }
        if let Some(reports) = &changes.admin_report_emails {
            set("adminReportEmails", ":are", to_av(reports)?);
        }
        if let Some(vh) = changes.version_history_30_days {
            set("versionHistory30Days", ":vh", AttributeValue::Bool(vh));
        }
        if let Some(on) = changes.admin_notifications {
            set("adminNotifications", ":an", AttributeValue::Bool(on));
        }
        for (i, product) in changes.add_products.iter().enumerate() {
            let name = format!("#p{i}");
            sets.push(format!(
                "products.{name} = if_not_exists(products.{name}, :now)"
            ));
            names.insert(
                name,
                to_av(product)?
                    .as_s()
                    .map_err(|_| Error::unexpected("product name"))?
                    .clone(),
            );
        }
        let result = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::group(gid))))
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression("attribute_exists(admins.#caller) AND #status = :active")
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => from_item(out.attributes.unwrap_or_default()),
            Err(err) => match err.into_service_error() {
                aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(e) => {
                    group_refusal(e.item(), Some(caller))?;
                    Err(Error::unexpected("group update condition failed for an active admin"))
                }
                other => Err(Error::unexpected(other)),
            },
        }
    }

    /// Makes `target` an admin if the caller administers the active group, the
    /// target is not one yet and the group has room. One `TransactWriteItems`.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_admin(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        target: &AccountId,
        target_email: &EmailAddress,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let entry = AdminEntry {
            email: target_email.clone(),
            added_at: now,
        };
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::group(gid))))
            .update_expression(
                "SET admins.#target = :entry, version = version + :one, updatedAt = :now",
            )
            .condition_expression(
                "attribute_exists(admins.#caller) AND attribute_not_exists(admins.#target) \
                 AND #status = :active AND size(admins) < :max",
            )
            .expression_attribute_names("#caller", caller.as_str())
            .expression_attribute_names("#target", target.as_str())
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":entry", to_av(&entry)?)
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", s(rfc3339(now)))
            .expression_attribute_values(":active", to_av(&GroupStatus::Active)?)
            .expression_attribute_values(":max", n(MAX_ADMINS))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::unexpected)?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            admin_link_put(self, gid, target)?,
        ];
        match self.transact_idempotent(items, idem, now).await {
            Ok(written) => Ok(written),
            Err(TxError::Cancelled(reasons)) => {
                let group = group_refusal(old_item(&reasons, 0), Some(caller))?;
                if group.is_admin(target) {
                    return Err(Error::Conflict {
                        kind: "already-admin",
                        detail: "that account is already an administrator of this group".into(),
                    });
                }
                if group.admins.len() >= MAX_ADMINS {
                    return Err(Error::LimitReached {
                        kind: "admin-limit",
                        detail: format!("a group can have at most {MAX_ADMINS} administrators"),
                    });
                }
                Err(TxError::Cancelled(reasons).into())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Removes `target`'s admin rights unless that would leave the group with
    /// no admin. One `TransactWriteItems`.
    pub async fn remove_admin(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        target: &AccountId,
        now: OffsetDateTime,
    ) -> Result<()> {
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::group(gid))))
            .update_expression(
                "REMOVE admins.#target SET version = version + :one, updatedAt = :now",
            )
            .condition_expression(
                "attribute_exists(admins.#caller) AND attribute_exists(admins.#target) \
                 AND #status = :active AND size(admins) > :one",
            )
            .expression_attribute_names("#caller", caller.as_str())
            .expression_attribute_names("#target", target.as_str())
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", s(rfc3339(now)))
            .expression_attribute_values(":active", to_av(&GroupStatus::Active)?)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(Error::unexpected)?;
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(key_map(&keys::admin(gid, target))))
            .build()
            .map_err(Error::unexpected)?;
        let items = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder().delete(delete).build(),
        ];
        match self.transact(items).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(reasons)) => {
                let group = group_refusal(old_item(&reasons, 0), Some(caller))?;
                if !group.is_admin(target) {
                    return Err(Error::NotFound("admin"));
                }
                if group.admins.len() <= 1 {
                    return Err(Error::Conflict {
                        kind: "last-admin",
                        detail: "a group must keep at least one administrator".into(),
                    });
                }
                Err(TxError::Cancelled(reasons).into())
            }
            Err(e) => Err(e.into()),
        }
    }
}

fn to_av<T: serde::Serialize>(value: &T) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(Error::unexpected)
}
