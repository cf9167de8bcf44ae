//! The S3 side: one multipart upload, one part in flight while the next
//! fills, and an abort that leaves nothing behind.

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use tokio::task::JoinHandle;

use super::{ArchiveError, MAX_PARTS};

/// Aborts a multipart upload, e.g. one a crashed attempt left behind (its
/// id recorded through `write_zip`'s `on_started`). Aborting an upload that
/// is already gone (completed or aborted: S3's `NoSuchUpload`) succeeds, so
/// a retry can always call it.
///
/// The s3s-fs stand-in answers `AccessDenied`, not `NoSuchUpload`, for an
/// upload id it does not know, so there a second abort is an error.
pub async fn abort_upload(
    s3: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<(), ArchiveError> {
    match s3
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) => {
            let e = e.into_service_error();
            if e.is_no_such_upload() {
                Ok(())
            } else {
                Err(ArchiveError::s3("AbortMultipartUpload", key, e))
            }
        }
    }
}

/// A multipart upload in progress.
pub(crate) struct Upload {
    s3: Client,
    bucket: String,
    key: String,
    id: String,
    done: Vec<CompletedPart>,
    in_flight: Option<JoinHandle<Result<CompletedPart, ArchiveError>>>,
    part_size: usize,
    bytes: u64,
}

impl Upload {
    /// Starts a multipart upload of a zip at `bucket`/`key`.
    pub(crate) async fn create(
        s3: &Client,
        bucket: &str,
        key: &str,
        part_size: usize,
    ) -> Result<Self, ArchiveError> {
        let created = s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .content_type("application/zip")
            .send()
            .await
            .map_err(|e| ArchiveError::s3("CreateMultipartUpload", key, e))?;
        let id = created
            .upload_id()
            .ok_or_else(|| ArchiveError::s3("CreateMultipartUpload", key, MissingUploadId))?
            .to_owned();
        Ok(Self {
            s3: s3.clone(),
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            id,
            done: Vec::new(),
            in_flight: None,
            part_size,
            bytes: 0,
        })
    }

    /// The upload's id, for the caller to record.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Uploads `body` as the next part: waits for the part before it to be
    /// stored (if [`Upload::settle`] has not already), then sends this one
    /// in the background, so the archive goes on filling the next part
    /// meanwhile and at most one part is in flight.
    pub(crate) async fn send(&mut self, body: Vec<u8>) -> Result<(), ArchiveError> {
        self.settle().await?;
        let number = u32::try_from(self.done.len() + 1).unwrap_or(u32::MAX);
        if number > MAX_PARTS {
            return Err(ArchiveError::TooLarge {
                part_size: self.part_size,
            });
        }
        self.bytes += body.len() as u64;
        let request = self
            .s3
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            // At most 10,000, checked above.
            .part_number(number as i32)
            .body(ByteStream::from(body));
        let key = self.key.clone();
        self.in_flight = Some(tokio::spawn(async move {
            let sent = request
                .send()
                .await
                .map_err(|e| ArchiveError::s3("UploadPart", &key, e))?;
            Ok(CompletedPart::builder()
                .part_number(number as i32)
                .set_e_tag(sent.e_tag)
                .build())
        }));
        Ok(())
    }

    /// Waits for the part in flight, if any, to be stored.
    pub(crate) async fn settle(&mut self) -> Result<(), ArchiveError> {
        if let Some(task) = self.in_flight.take() {
            let part = task
                .await
                .map_err(|e| ArchiveError::s3("UploadPart", &self.key, e))??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Completes the upload once the last part is stored; returns the
    /// archive's size and its number of parts.
    pub(crate) async fn complete(&mut self) -> Result<(u64, u32), ArchiveError> {
        self.settle().await?;
        let parts = std::mem::take(&mut self.done);
        let count = u32::try_from(parts.len()).unwrap_or(u32::MAX);
        self.s3
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| ArchiveError::s3("CompleteMultipartUpload", &self.key, e))?;
        Ok((self.bytes, count))
    }

    /// Aborts the upload once the part in flight has settled (S3 may keep
    /// a part that was still uploading during the abort), so S3 keeps none
    /// of its parts. A failure is logged: the caller is already returning
    /// the error that made it abort, and the recorded id lets a retry try
    /// again.
    pub(crate) async fn abort(&mut self) {
        if let Some(task) = self.in_flight.take() {
            let _ = task.await;
        }
        if let Err(e) = abort_upload(&self.s3, &self.bucket, &self.key, &self.id).await {
            tracing::warn!(
                error = %e,
                upload_id = %self.id,
                key = %self.key,
                "aborting the snapshot's multipart upload failed"
            );
        }
    }
}

impl Drop for Upload {
    /// A dropped upload (its job cancelled) leaves no part uploading.
    fn drop(&mut self) {
        if let Some(task) = self.in_flight.take() {
            task.abort();
        }
    }
}

/// `CreateMultipartUpload` answered without an upload id.
#[derive(Debug, thiserror::Error)]
#[error("the answer carried no upload id")]
struct MissingUploadId;
