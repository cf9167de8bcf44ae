//! The audit log: entries in the group's own `AUDIT#` partition (the
//! admins' view is one `Query`), indexed on GSI1 under the account acted on
//! (the member's view). Entries are only ever added.

use super::pages::{PageQuery, Position};
use super::tx::Tx;
use super::{Item, Repository, s, to_item};
use crate::error::Result;
use crate::keys;
use crate::model::{AccountId, AuditEntry, GroupId};

impl Repository {
    /// The entry as an item: key, and GSI1 under its subject if it has one.
    fn audit_item(entry: &AuditEntry) -> Result<Item> {
        let mut item = to_item(
            &keys::audit(&entry.group_id, entry.at, &entry.id),
            "AuditEntry",
            entry,
        )?;
        if let Some(subject) = &entry.subject {
            item.insert(keys::GSI1PK.to_owned(), s(keys::account_gsi_pk(subject)));
            item.insert(
                keys::GSI1SK.to_owned(),
                s(keys::audit_of_account(entry.at, &entry.id)),
            );
        }
        Ok(item)
    }

    /// Adds an entry to the transaction of the action it records.
    pub(crate) fn add_audit(&self, tx: &mut Tx<'_>, entry: &AuditEntry) -> Result<()> {
        tx.put_item(Self::audit_item(entry)?, None)
    }

    /// Records an entry for an action that writes nothing else (a browse):
    /// written before the data is answered, so nothing is seen unlogged.
    /// One `PutItem`.
    pub async fn record_audit(&self, entry: &AuditEntry) -> Result<()> {
        self.client
            .put_item()
            .table_name(self.table())
            .set_item(Some(Self::audit_item(entry)?))
            .send()
            .await
            .map_err(super::sdk_error)?;
        Ok(())
    }

    /// A page of a group's log, newest first. One consistent `Query`.
    pub async fn group_audit(
        &self,
        gid: &GroupId,
        limit: usize,
        after: Option<&Position>,
    ) -> Result<(Vec<AuditEntry>, Option<Position>)> {
        self.page_of(PageQuery {
            on_index: false,
            pk: keys::audit_pk(gid),
            prefix: "",
            limit,
            after,
            descending: true,
        })
        .await
    }

    /// A page of what was done to an account, over every group, newest
    /// first. One `Query` on GSI1.
    pub async fn account_audit(
        &self,
        aid: &AccountId,
        limit: usize,
        after: Option<&Position>,
    ) -> Result<(Vec<AuditEntry>, Option<Position>)> {
        self.page_of(PageQuery {
            on_index: true,
            pk: keys::account_gsi_pk(aid),
            prefix: keys::AUDIT_PREFIX,
            limit,
            after,
            descending: true,
        })
        .await
    }
}
