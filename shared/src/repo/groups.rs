//! Groups, their admins and the "groups I administer" index.
//!
//! Admins are kept on the group item itself (`admins.<accountId>`), so every
//! authorisation check and every admin invariant (no duplicate, at most
//! `MAX_ADMINS`, never fewer than one) is one condition on one item.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;

use super::accounts::{AccountWrite, GroupRule};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{
    DomainEdit, IdempotentWrite, Item, Repository, Written, from_item, n, quota, s, sdk_error,
};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    AccountId, AdminEntry, AuditEntry, Billing, DailyCap, DomainProof, EmailAddress, Group,
    GroupChanges, GroupId, GroupStatus, MAX_ADMINS, Mailing, administered_by_account, rfc3339,
};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

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

/// The link item that lists a group under its admin's account.
fn admin_link(gid: &GroupId, aid: &AccountId) -> AdminLink {
    AdminLink {
        group_id: *gid,
        account_id: aid.clone(),
        gsi1pk: keys::account_gsi_pk(aid),
        gsi1sk: keys::admin_of(gid),
    }
}

/// Why a conditional write on a group failed, read from the group's old
/// image: missing, not administered by `admin`, or dissolved. `Ok` hands the
/// group back for the caller's own checks. An outsider learns exactly what a
/// missing group would tell them.
pub(super) fn explain_group(old: Option<Item>, admin: Option<&AccountId>) -> Result<Group> {
    let group: Group = from_item(old.ok_or(Error::NotFound("group"))?)?;
    let group = match admin {
        Some(admin) => administered_by_account(Some(group), admin)?,
        None => group,
    };
    group.ensure_active()?;
    Ok(group)
}

/// The group is active and `caller` administers it.
pub(super) fn active_admin(caller: &AccountId) -> Expr {
    Expr::new("attribute_exists(admins.#caller) AND #status = :active")
        .name("#caller", caller.as_str())
        .name("#status", "status")
        .value(":active", s("active"))
}

/// The guard of an admin operation on an active group: refused as a
/// missing group, or as dissolved.
pub(super) fn admin_guard(caller: &AccountId) -> Guard<'_> {
    Guard::new(
        active_admin(caller),
        Refusal::explain(move |old| match explain_group(old, Some(caller)) {
            Err(refusal) => refusal,
            Ok(_) => Error::unexpected("admin guard failed on an active group it admits"),
        }),
    )
}

impl Repository {
    /// Creates a group, its creator's admin link and (if new) the creator's
    /// account, its billing, its place on the daily usage schedule and the
    /// proofs of its domains (pending), plus the idempotency record,
    /// counted against the creator's `groups_per_day`. One
    /// `TransactWriteItems`.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_group(
        &self,
        group: &Group,
        proofs: &[DomainProof],
        creator: &Caller,
        billing: &Billing,
        groups_per_day: u32,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        quota::add_charge(
            &mut tx,
            &quota::account_groups(&creator.account_id, now),
            DailyCap::AccountGroups,
            1,
            groups_per_day,
            now,
        )?;
        tx.create(
            &keys::group(&group.id),
            "Group",
            group,
            Refusal::always(|| Error::unexpected("a new group's id is already taken")),
        )?;
        tx.put(
            &keys::admin(&group.id, &creator.account_id),
            "AdminLink",
            &admin_link(&group.id, &creator.account_id),
            None,
        )?;
        self.add_account_write(
            &mut tx,
            AccountWrite::register(creator, GroupRule::Any),
            now,
        )?;
        self.add_billing_start(&mut tx, &group.id, billing)?;
        // A new group has no entries to take off a schedule: only puts.
        for mailing in Mailing::ALL {
            let cadence = mailing.cadence(group);
            if cadence != crate::model::EmailCadence::Off {
                self.add_mailing_entry(&mut tx, &group.id, mailing, cadence)?;
            }
        }
        self.add_domain_proofs(&mut tx, &group.id, proofs, &[])?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// A group by id. One consistent `GetItem`.
    pub async fn get_group(&self, gid: &GroupId) -> Result<Option<Group>> {
        self.get(&keys::group(gid)).await
    }

    /// The groups an account is linked to as an administrator, from the
    /// index (eventually consistent: whoever relies on one checks the group
    /// item). One `Query` on GSI1 per page of 1 MB.
    pub(crate) async fn administered_group_ids(&self, aid: &AccountId) -> Result<Vec<GroupId>> {
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
        let mut ids = Vec::new();
        while let Some(item) = pages.next().await {
            let item = item.map_err(sdk_error)?;
            let link: AdminLink = from_item(item)?;
            ids.push(link.group_id);
        }
        Ok(ids)
    }

    /// The groups an account administers, by name. One `Query` on GSI1 (per
    /// page of 1 MB) plus one `BatchGetItem` per 100 groups.
    pub async fn list_admin_groups(&self, aid: &AccountId) -> Result<Vec<Group>> {
        let group_keys: Vec<_> = self
            .administered_group_ids(aid)
            .await?
            .iter()
            .map(keys::group)
            .collect();
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

    /// Applies an edit if the caller administers the active group, with its
    /// audit entry, returning the new group. An edit of the domain list
    /// (`domains`, computed from the group as read) adds and deletes the
    /// proofs in the same write, provided the list did not change since it
    /// was read (else `concurrent-change`). One `TransactWriteItems`, then
    /// one consistent `GetItem`.
    pub async fn update_group(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        changes: &GroupChanges,
        domains: Option<&DomainEdit>,
        entry: &AuditEntry,
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
        let mut guard = Expr::new("attribute_exists(admins.#caller) AND #status = :active");
        if let Some(edit) = domains {
            sets.push("#dv = :dvnext".into());
            values.insert(":dvnext".into(), n(edit.read_version + 1));
            let unchanged = Self::domains_unchanged(edit.read_version);
            guard = guard.and(&unchanged.text);
            names.extend(unchanged.names);
            values.extend(unchanged.values);
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
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr {
                text: format!("SET {}", sets.join(", ")),
                names: names.into_iter().collect(),
                values: values.into_iter().collect(),
            },
            Some(Guard::new(
                guard,
                Refusal::explain(move |old| match explain_group(old, Some(caller)) {
                    Err(refusal) => refusal,
                    Ok(_) if domains.is_some() => {
                        Error::concurrent("the group's domains changed while they were edited")
                    }
                    Ok(_) => Error::unexpected("group update condition failed for an active admin"),
                }),
            )),
        )?;
        if let Some(edit) = domains {
            self.add_domain_proofs(&mut tx, gid, &edit.added, &edit.removed)?;
        }
        if let Some(cadence) = changes.member_summary_emails {
            self.add_mailing_entry(&mut tx, gid, Mailing::MemberSummaries, cadence)?;
        }
        if let Some(reports) = changes.admin_report_emails {
            self.add_mailing_entry(&mut tx, gid, Mailing::AdminReports, reports.cadence)?;
        }
        self.add_audit(&mut tx, entry)?;
        tx.commit().await?;
        self.get_group(gid).await?.ok_or(Error::NotFound("group"))
    }

    /// Makes `target` an admin if the caller administers the active group, the
    /// target is not one yet and the group has room; logged, and the admins
    /// emailed. One `TransactWriteItems`.
    pub async fn add_admin(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        (target, target_email): (&AccountId, &EmailAddress),
        logged: (&AuditEntry, &OutboxItem),
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let entry = AdminEntry {
            email: target_email.clone(),
            added_at: now,
            email_withdrawn: false,
        };
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new("SET admins.#target = :entry, version = version + :one, updatedAt = :now")
                .value(":entry", to_av(&entry)?)
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                active_admin(caller)
                    .and("attribute_not_exists(admins.#target) AND size(admins) < :max")
                    .name("#target", target.as_str())
                    .value(":max", n(MAX_ADMINS)),
                Refusal::explain(move |old| {
                    let group = match explain_group(old, Some(caller)) {
                        Ok(group) => group,
                        Err(refusal) => return refusal,
                    };
                    if group.is_admin(target) {
                        return Error::refused(
                            ProblemKind::AlreadyAdmin,
                            "that account is already an administrator of this group",
                        );
                    }
                    if group.admins.len() >= MAX_ADMINS {
                        return Error::refused(
                            ProblemKind::AdminLimit,
                            format!("a group can have at most {MAX_ADMINS} administrators"),
                        );
                    }
                    Error::unexpected("admin addition refused for no known reason")
                }),
            )),
        )?;
        tx.put(
            &keys::admin(gid, target),
            "AdminLink",
            &admin_link(gid, target),
            None,
        )?;
        self.add_audit(&mut tx, logged.0)?;
        self.add_outbox(&mut tx, std::slice::from_ref(logged.1))?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Removes `target`'s admin rights unless that would leave the group with
    /// no admin; logged, and the admins emailed. One `TransactWriteItems`.
    pub async fn remove_admin(
        &self,
        gid: &GroupId,
        caller: &AccountId,
        target: &AccountId,
        logged: (&AuditEntry, &OutboxItem),
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        tx.update(
            &keys::group(gid),
            Expr::new("REMOVE admins.#target SET version = version + :one, updatedAt = :now")
                .value(":one", n(1))
                .value(":now", s(rfc3339(now))),
            Some(Guard::new(
                active_admin(caller)
                    .and("attribute_exists(admins.#target) AND size(admins) > :one")
                    .name("#target", target.as_str()),
                Refusal::explain(move |old| {
                    let group = match explain_group(old, Some(caller)) {
                        Ok(group) => group,
                        Err(refusal) => return refusal,
                    };
                    if !group.is_admin(target) {
                        return Error::NotFound("admin");
                    }
                    if group.admins.len() <= 1 {
                        return Error::refused(
                            ProblemKind::LastAdmin,
                            "a group must keep at least one administrator",
                        );
                    }
                    Error::unexpected("admin removal refused for no known reason")
                }),
            )),
        )?;
        tx.delete(&keys::admin(gid, target), None)?;
        self.add_audit(&mut tx, logged.0)?;
        self.add_outbox(&mut tx, std::slice::from_ref(logged.1))?;
        tx.commit().await.map(drop)
    }
}

fn to_av<T: serde::Serialize>(value: &T) -> Result<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(Error::unexpected)
}
