//! "Access and Manage a Member's Account": what an admin of a managed group
//! may do with a member's data, each under the one rule of
//! [`acting_for`] and each recorded in the audit log (in the action's
//! transaction, or before any data is answered for a read).

use uuid::Uuid;

use super::audit::entry;
#[cfg(feature = "files")]
use super::files::{FolderPage, folder_resume, list_folder};
use super::idempotency::write_once;
use crate::api::{CreateSnapshotRequest, Page, UsbOrderRequest, page};
use crate::deps::Deps;
use crate::error::{Error, FieldError, Result};
use crate::identity::Caller;
use crate::jobs::Job;
use crate::model::{
    AccountId, AuditAction, Bucket, BucketName, DEFAULT_RETENTION_DAYS, GroupId, MAX_SELECTION,
    Origin, Snapshot, SnapshotState, UsbOrder, acting_for, default_snapshot_name, parse_selection,
    snapshot_name,
};
use crate::outbox::OutboxItem;
use crate::reply::{IdempotencyRequest, Reply};
use crate::repo::Position;
#[cfg(feature = "files")]
use crate::storage::SignedUrl;

/// Who is acted on, in which group, by whom and from where.
#[derive(Debug, Clone, Copy)]
pub struct Acting<'a> {
    /// The admin.
    pub caller: &'a Caller,
    /// Their group.
    pub group: &'a GroupId,
    /// The member.
    pub member: &'a AccountId,
    /// Where the request came from.
    pub origin: &'a Origin,
}

/// [`Acting`]'s parts, owned: what a managed-access route reads from its
/// request (see [`crate::http::acting_for`]).
#[derive(Debug, Clone)]
pub struct ActingFor {
    /// The admin, from the verified claims.
    pub caller: Caller,
    /// The `groupId` path parameter.
    pub group: GroupId,
    /// The `accountId` path parameter.
    pub member: AccountId,
    /// Where the request came from.
    pub origin: Origin,
}

impl ActingFor {
    /// Borrowed, as the operations take it.
    pub fn acting(&self) -> Acting<'_> {
        Acting {
            caller: &self.caller,
            group: &self.group,
            member: &self.member,
            origin: &self.origin,
        }
    }
}

impl Acting<'_> {
    pub(crate) fn audit(&self, deps: &Deps, action: AuditAction) -> crate::model::AuditEntry {
        entry(
            deps,
            self.caller,
            *self.group,
            Some(self.member),
            action,
            self.origin,
        )
    }

    /// The rule, read. One `BatchGetItem`.
    pub(crate) async fn check(&self, deps: &Deps) -> Result<()> {
        let (group, member) = deps
            .repo
            .group_with(self.group, &crate::keys::member(self.group, self.member))
            .await?;
        acting_for(group, member, self.caller).map(drop)
    }
}

/// The member's buckets, logged. DynamoDB: one `BatchGetItem`, one
/// `PutItem` (the audit entry), one `Query`.
pub async fn member_buckets(deps: &Deps, acting: Acting<'_>) -> Result<Vec<Bucket>> {
    acting.check(deps).await?;
    deps.repo
        .record_audit(&acting.audit(deps, AuditAction::BucketsBrowsed))
        .await?;
    deps.repo.list_buckets(acting.member).await
}

#[cfg(feature = "files")]
/// A page of a folder of the member's bucket, logged. DynamoDB: one
/// `BatchGetItem`, one `PutItem`; S3: one `ListObjectsV2`.
pub async fn member_files(
    deps: &Deps,
    acting: Acting<'_>,
    bucket_name: &BucketName,
    folder: String,
    limit: usize,
    next_token: Option<&str>,
) -> Result<FolderPage> {
    let (group, member, bucket) = deps
        .repo
        .group_member_bucket(acting.group, acting.member, bucket_name)
        .await?;
    acting_for(group, member, acting.caller)?;
    let after = folder_resume(&folder, next_token)?;
    bucket.ok_or(Error::NotFound("bucket"))?;
    let action = AuditAction::FilesBrowsed {
        bucket: bucket_name.clone(),
        prefix: folder.clone(),
    };
    deps.repo.record_audit(&acting.audit(deps, action)).await?;
    list_folder(deps, acting.member, bucket_name, folder, limit, after).await
}

/// The validated parts of a snapshot request.
fn snapshot_request(
    body: CreateSnapshotRequest,
    now: time::OffsetDateTime,
) -> Result<(BucketName, Vec<String>, String)> {
    let mut errors: Vec<FieldError> = Vec::new();
    let bucket = BucketName::parse("bucket", &body.bucket)
        .map_err(|e| errors.push(e))
        .ok();
    if body.paths.is_empty() {
        errors.push(FieldError::new(
            "paths",
            "must name at least one file or folder",
        ));
    }
    if body.paths.len() > MAX_SELECTION {
        errors.push(FieldError::new(
            "paths",
            format!("must name at most {MAX_SELECTION} files or folders"),
        ));
    }
    let mut paths: Vec<String> = body
        .paths
        .iter()
        .enumerate()
        .filter_map(|(i, p)| {
            parse_selection(&format!("paths[{i}]"), p)
                .map_err(|e| errors.push(e))
                .ok()
        })
        .collect();
    paths.sort();
    paths.dedup();
    let name = match (&body.name, &bucket) {
        (Some(name), _) => snapshot_name("name", name).map_err(|e| errors.push(e)).ok(),
        (None, Some(bucket)) => Some(default_snapshot_name(bucket, now)),
        (None, None) => None,
    };
    match (bucket, name) {
        (Some(bucket), Some(name)) if errors.is_empty() => Ok((bucket, paths, name)),
        _ => Err(Error::Validation(errors)),
    }
}

/// Asks for a snapshot: a Pending snapshot, its audit entry and its build
/// job, in one `TransactWriteItems` under the managed-access conditions,
/// after the rule is read (one `BatchGetItem`: the session's part of it is
/// no condition). Answers 202 with the Pending snapshot.
pub async fn create_snapshot(
    deps: &Deps,
    acting: Acting<'_>,
    body: CreateSnapshotRequest,
    retention_days: u32,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let now = deps.clock.now();
    let (bucket, selection, name) = snapshot_request(body, now)?;
    acting.check(deps).await?;
    let snapshot = Snapshot {
        id: Uuid::now_v7(),
        account_id: acting.member.clone(),
        group_id: *acting.group,
        bucket: bucket.clone(),
        name: name.clone(),
        selection,
        requested_by: acting.caller.account_id.clone(),
        created_at: now,
        expires_on: now + time::Duration::days(i64::from(retention_days)),
        state: SnapshotState::Pending,
        size_bytes: None,
        file_count: None,
        failure: None,
    };
    let audit = acting.audit(
        deps,
        AuditAction::SnapshotRequested {
            snapshot_id: snapshot.id,
            bucket,
            name,
        },
    );
    let job = OutboxItem::job(
        Job::BuildSnapshot {
            group_id: *acting.group,
            account_id: acting.member.clone(),
            snapshot_id: snapshot.id,
        },
        now,
    );
    let reply = Reply::json(202, &snapshot)?;
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .create_snapshot(&snapshot, &audit, &job, record.as_ref(), now)
            .await
    })
    .await
}

/// How long snapshots are kept: `SNAPSHOT_RETENTION_DAYS` (the snapshots
/// bucket's lifecycle rule is set from the same template parameter).
pub fn retention_days() -> u32 {
    crate::deps::optional_env("SNAPSHOT_RETENTION_DAYS")
        .ok()
        .flatten()
        .unwrap_or(DEFAULT_RETENTION_DAYS)
}

/// A page of the snapshots this group's admins made of the member's data,
/// newest first. DynamoDB: one `BatchGetItem`, one `Query`.
pub async fn member_snapshots(
    deps: &Deps,
    acting: Acting<'_>,
    limit: usize,
    after: Option<Position>,
) -> Result<Page<Snapshot>> {
    acting.check(deps).await?;
    let (snapshots, next) = deps
        .repo
        .list_snapshots(acting.member, limit, after.as_ref())
        .await?;
    Ok(Page {
        items: snapshots
            .into_iter()
            .filter(|s| &s.group_id == acting.group)
            .collect(),
        next_token: next.as_ref().map(page::encode).transpose()?,
    })
}

/// One snapshot this group made of the member's data. DynamoDB: one
/// `BatchGetItem`, one `GetItem`.
pub async fn member_snapshot(deps: &Deps, acting: Acting<'_>, sid: &Uuid) -> Result<Snapshot> {
    acting.check(deps).await?;
    deps.repo
        .get_snapshot(acting.member, sid)
        .await?
        .filter(|s| &s.group_id == acting.group)
        .ok_or(Error::NotFound("snapshot"))
}

#[cfg(feature = "files")]
/// A presigned URL for a Ready snapshot, logged. DynamoDB: one
/// `BatchGetItem`, one `GetItem`, one `TransactWriteItems`.
pub async fn download_snapshot(deps: &Deps, acting: Acting<'_>, sid: &Uuid) -> Result<SignedUrl> {
    let snapshot = member_snapshot(deps, acting, sid).await?;
    if snapshot.state != SnapshotState::Ready {
        return Err(Error::refused(
            crate::problem::ProblemKind::SnapshotNotReady,
            match snapshot.state {
                SnapshotState::Failed => "the snapshot failed; it cannot be downloaded",
                _ => "the snapshot is still being built; try again when it is ready",
            },
        ));
    }
    let audit = acting.audit(deps, AuditAction::SnapshotDownloaded { snapshot_id: *sid });
    deps.repo
        .record_snapshot_download(&snapshot, &audit)
        .await?;
    deps.files()?
        .presign_snapshot_download(
            &snapshot.object_key(),
            &snapshot.file_name(),
            deps.clock.now(),
        )
        .await
}

/// Orders a Ready snapshot on a USB hard drive, logged. DynamoDB: one
/// `BatchGetItem`, one `GetItem`, one `TransactWriteItems`.
pub async fn order_usb(
    deps: &Deps,
    acting: Acting<'_>,
    sid: &Uuid,
    body: UsbOrderRequest,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let mut errors = Vec::new();
    let address = body.address.validate().map_err(|e| errors.extend(e)).ok();
    let payment_reference =
        crate::model::text::single_line("paymentReference", &body.payment_reference, 100)
            .map_err(|e| errors.push(e))
            .ok();
    let (Some(address), Some(payment_reference)) = (address, payment_reference) else {
        return Err(Error::Validation(errors));
    };
    let snapshot = member_snapshot(deps, acting, sid).await?;
    let now = deps.clock.now();
    let order = UsbOrder {
        id: Uuid::now_v7(),
        snapshot_id: snapshot.id,
        account_id: acting.member.clone(),
        group_id: *acting.group,
        ordered_by: acting.caller.account_id.clone(),
        address,
        payment_reference,
        ordered_at: now,
    };
    let audit = acting.audit(
        deps,
        AuditAction::UsbOrdered {
            snapshot_id: snapshot.id,
            order_id: order.id,
        },
    );
    let reply = Reply::json(201, &order)?;
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo
            .order_usb(&order, &audit, record.as_ref(), now)
            .await
    })
    .await
}

/// A page of the snapshots made of the caller's data, newest first.
/// DynamoDB: one `Query`.
pub async fn my_snapshots(
    deps: &Deps,
    caller: &Caller,
    limit: usize,
    after: Option<Position>,
) -> Result<Page<Snapshot>> {
    let (snapshots, next) = deps
        .repo
        .list_snapshots(&caller.account_id, limit, after.as_ref())
        .await?;
    Ok(Page {
        items: snapshots,
        next_token: next.as_ref().map(page::encode).transpose()?,
    })
}
