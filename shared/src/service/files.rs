//! A member's own files: uploads through presigned PUT URLs (the bytes
//! never pass through a Lambda), confirmed by checking the object in S3,
//! counted in the bucket's stored bytes; listed by folder; deleted.

use serde::{Deserialize, Serialize};

use super::idempotency::{or_replay, write_once};
use crate::api::{UploadView, page};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{
    AccountId, BucketName, FilePath, MAX_UPLOAD_BYTES, PendingUpload, StoredFile, bucket,
};
use crate::problem::ProblemKind;
use crate::reply::{IdempotencyRequest, Reply};
use crate::storage::Listing;

/// The S3 key of a file: `<account>/<bucket>/<path>`.
pub fn object_key(aid: &AccountId, bucket_name: &BucketName, path: &FilePath) -> String {
    format!("{}{path}", bucket::prefix(aid, bucket_name))
}

/// Hands out a presigned PUT URL for one file of exactly `size` bytes.
/// DynamoDB: one `TransactWriteItems` (bucket check, upload item).
pub async fn create_upload(
    deps: &Deps,
    caller: &Caller,
    bucket_name: BucketName,
    path: FilePath,
    size: u64,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    if size > MAX_UPLOAD_BYTES {
        return Err(Error::invalid(
            "size",
            format!("must be at most {MAX_UPLOAD_BYTES} bytes (5 GiB) for one upload"),
        ));
    }
    let now = deps.clock.now();
    let files = deps.files()?;
    let key = object_key(&caller.account_id, &bucket_name, &path);
    let url = files.presign_upload(&key, size, now).await?;
    let upload = PendingUpload {
        id: uuid::Uuid::new_v4(),
        account_id: caller.account_id.clone(),
        bucket: bucket_name,
        path,
        size,
        url_expires_at: url.expires_at,
    };
    let view = UploadView {
        upload_id: upload.id,
        path: upload.path.to_string(),
        size,
        upload: serde_json::to_value(&url).map_err(Error::unexpected)?,
    };
    let reply = Reply::json(201, &view)?;
    write_once(idem.as_ref(), reply, |record| async move {
        deps.repo.create_upload(&upload, record.as_ref(), now).await
    })
    .await
}

/// Confirms an upload: the object must be in S3 with the declared size;
/// its size is then counted. DynamoDB: one `GetItem`, one `BatchGetItem`,
/// one `TransactWriteItems`; S3: one `HeadObject`.
pub async fn complete_upload(
    deps: &Deps,
    caller: &Caller,
    bucket_name: &BucketName,
    upload_id: &uuid::Uuid,
    idem: Option<IdempotencyRequest>,
) -> Result<Reply> {
    let outcome = complete(deps, caller, bucket_name, upload_id, idem.as_ref()).await;
    or_replay(deps, idem.as_ref(), outcome).await
}

async fn complete(
    deps: &Deps,
    caller: &Caller,
    bucket_name: &BucketName,
    upload_id: &uuid::Uuid,
    idem: Option<&IdempotencyRequest>,
) -> Result<Reply> {
    let aid = &caller.account_id;
    let upload = deps
        .repo
        .get_upload(aid, upload_id)
        .await?
        .filter(|u| &u.bucket == bucket_name)
        .ok_or(Error::NotFound("upload"))?;
    let key = object_key(aid, &upload.bucket, &upload.path);
    let found = deps.files()?.head(&key).await?;
    let size = match found {
        Some(object) if object.size == upload.size => object.size,
        Some(object) => {
            return Err(Error::refused(
                ProblemKind::UploadIncomplete,
                format!(
                    "the stored file has {} bytes, not the {} declared",
                    object.size, upload.size
                ),
            ));
        }
        None => {
            return Err(Error::refused(
                ProblemKind::UploadIncomplete,
                "nothing was uploaded at the URL yet; PUT the file first",
            ));
        }
    };
    let (previous, account) = deps
        .repo
        .file_and_account(aid, &upload.bucket, &upload.path)
        .await?;
    let group = account.and_then(|a| a.group_id);
    let now = deps.clock.now();
    let file = StoredFile {
        bucket: upload.bucket.clone(),
        path: upload.path.clone(),
        size,
        confirmed_at: now,
    };
    let reply = Reply::json(200, &file)?;
    write_once(idem, reply, |record| async move {
        deps.repo
            .confirm_upload(
                caller,
                group.as_ref(),
                &upload,
                previous.as_ref(),
                size,
                record.as_ref(),
                now,
            )
            .await
    })
    .await
}

/// Deletes one of the caller's confirmed files: uncounted first, then
/// removed from S3. DynamoDB: one `BatchGetItem`, one `TransactWriteItems`;
/// S3: one `DeleteObject`.
pub async fn delete_file(
    deps: &Deps,
    caller: &Caller,
    bucket_name: &BucketName,
    path: &FilePath,
) -> Result<()> {
    let aid = &caller.account_id;
    let (file, account) = deps.repo.file_and_account(aid, bucket_name, path).await?;
    let file = file.ok_or(Error::NotFound("file"))?;
    let group = account.and_then(|a| a.group_id);
    deps.repo
        .delete_file(caller, group.as_ref(), &file, deps.clock.now())
        .await?;
    deps.files()?
        .delete(&object_key(aid, bucket_name, path))
        .await
}

/// Where a folder listing resumes: the folder (a token is good only for
/// the folder it came from) and S3's continuation token.
#[derive(Debug, Serialize, Deserialize)]
struct FolderPosition {
    folder: String,
    after: String,
}

/// One page of a folder of a bucket's files, sub-folders first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FolderPage {
    /// The folder listed (`""`: the top).
    pub prefix: String,
    /// Sub-folders, ending in `/`, relative to the bucket.
    pub folders: Vec<String>,
    /// Files directly in it, with sizes and times.
    pub files: Vec<crate::storage::ObjectInfo>,
    /// Resumes after this page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

/// Where a page of `folder` resumes, from the token the previous page gave
/// (checked before anything is read or logged: a token is good only for
/// the folder it came from).
pub fn folder_resume(folder: &str, next_token: Option<&str>) -> Result<Option<String>> {
    let Some(token) = next_token else {
        return Ok(None);
    };
    let position: FolderPosition = page::decode(token)?;
    if position.folder != folder {
        return Err(Error::invalid(
            "nextToken",
            "is not a token this list gave out",
        ));
    }
    Ok(Some(position.after))
}

/// One page of `folder` in a bucket, which must exist (checked by the
/// caller), resuming at `after` (see [`folder_resume`]). S3: one
/// `ListObjectsV2`.
pub async fn list_folder(
    deps: &Deps,
    aid: &AccountId,
    bucket_name: &BucketName,
    folder: String,
    limit: usize,
    after: Option<String>,
) -> Result<FolderPage> {
    let root = bucket::prefix(aid, bucket_name);
    let Listing {
        folders,
        files,
        next,
    } = deps
        .files()?
        .list(&root, &folder, i32::try_from(limit).unwrap_or(100), after)
        .await?;
    let next_token = next
        .map(|after| {
            page::encode(&FolderPosition {
                folder: folder.clone(),
                after,
            })
        })
        .transpose()?;
    Ok(FolderPage {
        prefix: folder,
        folders,
        files,
        next_token,
    })
}

/// A page of the caller's own bucket. DynamoDB: one `GetItem`; S3: one
/// `ListObjectsV2`.
pub async fn my_files(
    deps: &Deps,
    caller: &Caller,
    bucket_name: &BucketName,
    folder: String,
    limit: usize,
    next_token: Option<&str>,
) -> Result<FolderPage> {
    let after = folder_resume(&folder, next_token)?;
    deps.repo
        .get_bucket(&caller.account_id, bucket_name)
        .await?
        .ok_or(Error::NotFound("bucket"))?;
    list_folder(deps, &caller.account_id, bucket_name, folder, limit, after).await
}
