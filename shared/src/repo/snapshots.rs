//! Snapshots of a member's data and their USB orders, under the member's
//! account. Every admin write carries the managed-access rule as
//! conditions (`access.rs`) and its audit entry in the same transaction.

use aws_sdk_dynamodb::types::AttributeValue;
use time::OffsetDateTime;
use uuid::Uuid;

use super::access::check_acting_for;
use super::pages::{PageQuery, Position};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, n, s, sdk_error};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{AccountId, AuditEntry, Snapshot, SnapshotState, UsbOrder};
use crate::outbox::OutboxItem;
use crate::problem::ProblemKind;

/// A snapshot that is not Ready cannot be downloaded or shipped.
fn not_ready() -> Error {
    Error::refused(
        ProblemKind::SnapshotNotReady,
        "the snapshot is not ready: it is still being built, or it failed",
    )
}

/// The snapshot exists and is Ready.
fn ready(aid: &AccountId, sid: &Uuid) -> (crate::keys::Key, Guard<'static>) {
    (
        keys::snapshot(aid, sid),
        Guard::new(
            Expr::new("#state = :ready")
                .name("#state", "state")
                .value(":ready", s("ready")),
            Refusal::explain(|old| match old {
                None => Error::NotFound("snapshot"),
                Some(_) => not_ready(),
            }),
        ),
    )
}

/// How a build ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// The zip is in place.
    Ready {
        /// Its size.
        size_bytes: u64,
        /// Files in it.
        file_count: u64,
    },
    /// It cannot be built; why, in words for the admin.
    Failed(String),
}

impl Repository {
    /// Records a Pending snapshot with its audit entry and its build job,
    /// if the caller may act for the member and the bucket exists. One
    /// `TransactWriteItems`.
    pub async fn create_snapshot(
        &self,
        snapshot: &Snapshot,
        entry: &AuditEntry,
        job: &OutboxItem,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        check_acting_for(
            &mut tx,
            &snapshot.group_id,
            &snapshot.account_id,
            &entry.actor,
        )?;
        tx.check(
            &keys::bucket(&snapshot.account_id, &snapshot.bucket),
            Guard::new(
                Expr::new("attribute_exists(PK)"),
                Refusal::always(|| Error::NotFound("bucket")),
            ),
        )?;
        let mut item = super::to_item(
            &keys::snapshot(&snapshot.account_id, &snapshot.id),
            "Snapshot",
            snapshot,
        )?;
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            n(snapshot.expires_on.unix_timestamp()),
        );
        tx.put_item(
            item,
            Some(Guard::new(
                Expr::new("attribute_not_exists(PK)"),
                Refusal::always(|| Error::unexpected("a snapshot id is already taken")),
            )),
        )?;
        self.add_audit(&mut tx, entry)?;
        self.add_outbox(&mut tx, std::slice::from_ref(job))?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// One snapshot, with the multipart upload its build started (if any).
    /// One consistent `GetItem`.
    pub async fn get_snapshot(&self, aid: &AccountId, sid: &Uuid) -> Result<Option<Snapshot>> {
        self.get(&keys::snapshot(aid, sid)).await
    }

    /// The multipart upload a build of `sid` started and has not finished.
    /// One consistent `GetItem`.
    pub async fn snapshot_upload(&self, aid: &AccountId, sid: &Uuid) -> Result<Option<String>> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Upload {
            upload_id: Option<String>,
        }
        Ok(self
            .get::<Upload>(&keys::snapshot(aid, sid))
            .await?
            .and_then(|u| u.upload_id))
    }

    /// A page of the snapshots of an account's data, newest first. One
    /// consistent `Query`.
    pub async fn list_snapshots(
        &self,
        aid: &AccountId,
        limit: usize,
        after: Option<&Position>,
    ) -> Result<(Vec<Snapshot>, Option<Position>)> {
        self.page_of(PageQuery {
            on_index: false,
            pk: keys::account_gsi_pk(aid),
            prefix: keys::SNAPSHOT_PREFIX,
            limit,
            after,
            descending: true,
        })
        .await
    }

    /// Notes the multipart upload a build started (`None`: it is over),
    /// so a retried build aborts it first. One `UpdateItem`.
    pub async fn set_snapshot_upload(
        &self,
        aid: &AccountId,
        sid: &Uuid,
        upload_id: Option<&str>,
    ) -> Result<()> {
        let key = keys::snapshot(aid, sid);
        let mut request = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(super::key_map(&key)))
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s("pending"));
        request = match upload_id {
            Some(id) => request
                .update_expression("SET uploadId = :upload")
                .expression_attribute_values(":upload", s(id)),
            None => request.update_expression("REMOVE uploadId"),
        };
        request.send().await.map_err(sdk_error)?;
        Ok(())
    }

    /// Ends a Pending snapshot's build; `false` when it had already ended
    /// (a redelivered job). One conditional `UpdateItem`.
    pub async fn finish_snapshot(
        &self,
        aid: &AccountId,
        sid: &Uuid,
        outcome: &SnapshotOutcome,
    ) -> Result<bool> {
        let key = keys::snapshot(aid, sid);
        let request = self
            .client
            .update_item()
            .table_name(self.table())
            .set_key(Some(super::key_map(&key)))
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s("pending"));
        let request = match outcome {
            SnapshotOutcome::Ready {
                size_bytes,
                file_count,
            } => request
                .update_expression(
                    "SET #state = :ready, sizeBytes = :size, fileCount = :files REMOVE uploadId",
                )
                .expression_attribute_values(":ready", s("ready"))
                .expression_attribute_values(":size", n(size_bytes))
                .expression_attribute_values(":files", n(file_count)),
            SnapshotOutcome::Failed(reason) => request
                .update_expression("SET #state = :failed, failure = :reason REMOVE uploadId")
                .expression_attribute_values(":failed", s("failed"))
                .expression_attribute_values(":reason", AttributeValue::S(reason.clone())),
        };
        super::condition_held(request.send().await)
    }

    /// Logs a download of a Ready snapshot, if the caller may still act for
    /// the member. One `TransactWriteItems`.
    pub async fn record_snapshot_download(
        &self,
        snapshot: &Snapshot,
        entry: &AuditEntry,
    ) -> Result<()> {
        let mut tx = Tx::new(self);
        check_acting_for(
            &mut tx,
            &snapshot.group_id,
            &snapshot.account_id,
            &entry.actor,
        )?;
        let (key, guard) = ready(&snapshot.account_id, &snapshot.id);
        tx.check(&key, guard)?;
        self.add_audit(&mut tx, entry)?;
        tx.commit().await.map(drop)
    }

    /// Records a USB order of a Ready snapshot with its audit entry. One
    /// `TransactWriteItems`.
    pub async fn order_usb(
        &self,
        order: &UsbOrder,
        entry: &AuditEntry,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        check_acting_for(&mut tx, &order.group_id, &order.account_id, &entry.actor)?;
        let (key, guard) = ready(&order.account_id, &order.snapshot_id);
        tx.check(&key, guard)?;
        tx.create(
            &keys::usb_order(&order.account_id, &order.snapshot_id, &order.id),
            "UsbOrder",
            order,
            Refusal::always(|| Error::unexpected("an order id is already taken")),
        )?;
        self.add_audit(&mut tx, entry)?;
        tx.idempotent(idem, now);
        tx.commit().await
    }
}

impl SnapshotState {
    /// Its stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }
}
