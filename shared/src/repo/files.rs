//! Member files: uploads handed out, and confirmed files whose sizes the
//! bucket's, the account's and the group's counters hold. Every confirmation
//! and deletion moves the file item and the counters in one transaction,
//! conditioned on the file's size as it was read, so two confirmations of
//! the same path never count twice.

use time::OffsetDateTime;

use super::accounts::{AccountWrite, EmailRule, GroupRule, Who, account_changed};
use super::tx::{Expr, Guard, Refusal, Tx};
use super::{IdempotentWrite, Repository, Written, from_item, n};
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::keys;
use crate::model::{
    Account, AccountChanges, AccountId, Bucket, BucketName, FilePath, Group, GroupId, Member,
    PendingUpload, StoredFile, UsageDelta,
};

/// How long an unconfirmed upload's item outlives its URL (then TTL removes it).
const UPLOAD_ITEM_GRACE: time::Duration = time::Duration::days(1);

fn bucket_exists() -> Guard<'static> {
    Guard::new(
        Expr::new("attribute_exists(PK)"),
        Refusal::always(|| Error::NotFound("bucket")),
    )
}

impl Repository {
    /// Records an upload handed out, if the caller's bucket exists. One
    /// `TransactWriteItems` (bucket check, upload item, idempotency record).
    pub async fn create_upload(
        &self,
        upload: &PendingUpload,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let mut tx = Tx::new(self);
        tx.check(
            &keys::bucket(&upload.account_id, &upload.bucket),
            bucket_exists(),
        )?;
        let mut item = super::to_item(
            &keys::upload(&upload.account_id, &upload.id),
            "Upload",
            upload,
        )?;
        item.insert(
            keys::EXPIRES_AT.to_owned(),
            n((upload.url_expires_at + UPLOAD_ITEM_GRACE).unix_timestamp()),
        );
        tx.put_item(
            item,
            Some(Guard::new(
                Expr::new("attribute_not_exists(PK)"),
                Refusal::always(|| Error::unexpected("an upload id is already taken")),
            )),
        )?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// An upload handed out to `aid`. One consistent `GetItem`.
    pub async fn get_upload(
        &self,
        aid: &AccountId,
        id: &uuid::Uuid,
    ) -> Result<Option<PendingUpload>> {
        self.get(&keys::upload(aid, id)).await
    }

    /// A confirmed file. One consistent `GetItem`.
    pub async fn get_file(
        &self,
        aid: &AccountId,
        bucket: &BucketName,
        path: &FilePath,
    ) -> Result<Option<StoredFile>> {
        self.get(&keys::file(aid, bucket, path)).await
    }

    /// A confirmed file and the owner's account (for its group). One
    /// `BatchGetItem`.
    pub async fn file_and_account(
        &self,
        aid: &AccountId,
        bucket: &BucketName,
        path: &FilePath,
    ) -> Result<(Option<StoredFile>, Option<Account>)> {
        let [file, account] = self
            .get_n([keys::file(aid, bucket, path), keys::account(aid)])
            .await?;
        Ok((
            file.map(from_item).transpose()?,
            account.map(from_item).transpose()?,
        ))
    }

    /// A group, one of its members and one of that member's buckets, read
    /// together for managed access. One `BatchGetItem`.
    pub async fn group_member_bucket(
        &self,
        gid: &GroupId,
        aid: &AccountId,
        bucket: &BucketName,
    ) -> Result<(Option<Group>, Option<Member>, Option<Bucket>)> {
        let [group, member, bucket] = self
            .get_n([
                keys::group(gid),
                keys::member(gid, aid),
                keys::bucket(aid, bucket),
            ])
            .await?;
        Ok((
            group.map(from_item).transpose()?,
            member.map(from_item).transpose()?,
            bucket.map(from_item).transpose()?,
        ))
    }

    /// Confirms an upload found in storage with `size` bytes: the upload
    /// item goes, the file item takes the size (replacing `previous`, as
    /// read), and the bucket's, account's and group's counters move by the
    /// difference. One `TransactWriteItems`.
    #[allow(clippy::too_many_arguments)]
    pub async fn confirm_upload(
        &self,
        caller: &Caller,
        group: Option<&GroupId>,
        upload: &PendingUpload,
        previous: Option<&StoredFile>,
        size: u64,
        idem: Option<&IdempotentWrite>,
        now: OffsetDateTime,
    ) -> Result<Written> {
        let aid = &caller.account_id;
        let file = StoredFile {
            bucket: upload.bucket.clone(),
            path: upload.path.clone(),
            size,
            confirmed_at: now,
        };
        let mut tx = Tx::new(self);
        tx.delete(
            &keys::upload(aid, &upload.id),
            Some(Guard::new(
                Expr::new("attribute_exists(PK)"),
                Refusal::always(|| Error::NotFound("upload")),
            )),
        )?;
        let unchanged = match previous {
            None => Expr::new("attribute_not_exists(PK)"),
            Some(p) => Expr::new("#size = :previous")
                .name("#size", "size")
                .value(":previous", n(p.size)),
        };
        tx.put(
            &keys::file(aid, &file.bucket, &file.path),
            "File",
            &file,
            Some(Guard::new(unchanged, Refusal::always(account_changed))),
        )?;
        let bytes = i64::try_from(size).map_err(Error::unexpected)?
            - previous.map_or(0, |p| i64::try_from(p.size).unwrap_or(i64::MAX));
        self.add_file_counts(
            &mut tx,
            caller,
            group,
            &file.bucket,
            bytes,
            i64::from(previous.is_none()),
            now,
        )?;
        tx.idempotent(idem, now);
        tx.commit().await
    }

    /// Forgets a confirmed file (as read): its item goes and the counters
    /// drop by its size. One `TransactWriteItems`.
    pub async fn delete_file(
        &self,
        caller: &Caller,
        group: Option<&GroupId>,
        file: &StoredFile,
        now: OffsetDateTime,
    ) -> Result<()> {
        let aid = &caller.account_id;
        let mut tx = Tx::new(self);
        tx.delete(
            &keys::file(aid, &file.bucket, &file.path),
            Some(Guard::new(
                Expr::new("#size = :size")
                    .name("#size", "size")
                    .value(":size", n(file.size)),
                Refusal::explain(|old| match old {
                    None => Error::NotFound("file"),
                    Some(_) => account_changed(),
                }),
            )),
        )?;
        let bytes = -i64::try_from(file.size).map_err(Error::unexpected)?;
        self.add_file_counts(&mut tx, caller, group, &file.bucket, bytes, -1, now)?;
        tx.commit().await.map(drop)
    }

    /// The bucket's, the account's (still in `group`) and the group's counters.
    #[allow(clippy::too_many_arguments)]
    fn add_file_counts<'a>(
        &'a self,
        tx: &mut Tx<'a>,
        caller: &'a Caller,
        group: Option<&'a GroupId>,
        bucket: &BucketName,
        bytes: i64,
        files: i64,
        now: OffsetDateTime,
    ) -> Result<()> {
        tx.update(
            &keys::bucket(&caller.account_id, bucket),
            Expr::new("ADD storedBytes :bytes, fileCount :files")
                .value(":bytes", n(bytes))
                .value(":files", n(files)),
            Some(bucket_exists()),
        )?;
        let usage = UsageDelta {
            stored_bytes: bytes,
            ..UsageDelta::default()
        };
        let write = AccountWrite {
            who: Who::Caller(caller),
            group: GroupRule::Still(group),
            usage,
            buckets: 0,
            limit: None,
            read_at: None,
            changes: AccountChanges::default(),
            email: EmailRule::Keep,
        };
        self.add_account_write(tx, write, now)?;
        if let Some(gid) = group {
            self.add_group_usage(tx, gid, usage)?;
        }
        Ok(())
    }
}
