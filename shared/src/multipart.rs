//! One S3 multipart upload with one part in flight while the next fills,
//! and an abort that leaves nothing behind: what the snapshot zip and the
//! group report share, so that both keep memory to about two parts
//! whatever the object's size.

use aws_sdk_s3::Client;
#[cfg(any(feature = "snapshots", feature = "reports"))]
use aws_sdk_s3::primitives::ByteStream;
#[cfg(any(feature = "snapshots", feature = "reports"))]
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
#[cfg(any(feature = "snapshots", feature = "reports"))]
use tokio::task::JoinHandle;

/// S3's smallest part (every part but the last must be at least this).
pub const MIN_PART_SIZE: usize = 5 * 1024 * 1024;

/// S3's largest part.
pub const MAX_PART_SIZE: usize = 5 * 1024 * 1024 * 1024;

/// S3's limit on the parts of one multipart upload.
pub const MAX_PARTS: u32 = 10_000;

/// A boxed error from the SDK.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why an upload failed: the callers map these into their own errors
/// (a too-large object is final, an S3 failure is worth a retry).
#[derive(Debug, thiserror::Error)]
pub enum MultipartError {
    /// The object would need more than 10,000 parts of this size.
    #[error("object larger than 10,000 parts of {part_size} bytes")]
    TooLarge {
        /// The part size in use.
        part_size: usize,
    },
    /// An S3 call failed.
    #[error("S3 {operation} on {key} failed")]
    S3 {
        /// The operation (`UploadPart`, ...).
        operation: &'static str,
        /// The object the upload writes.
        key: String,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },
}

impl MultipartError {
    /// An S3 failure of `operation` on `key`.
    pub(crate) fn s3(
        operation: &'static str,
        key: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::S3 {
            operation,
            key: key.to_owned(),
            source: Box::new(source),
        }
    }
}

/// Aborts a multipart upload, e.g. one a crashed attempt left behind (its
/// id recorded by the job that started it). Aborting an upload that
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
) -> Result<(), MultipartError> {
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
                Err(MultipartError::s3("AbortMultipartUpload", key, e))
            }
        }
    }
}

/// A multipart upload in progress.
#[cfg(any(feature = "snapshots", feature = "reports"))]
pub(crate) struct Upload {
    s3: Client,
    bucket: String,
    key: String,
    id: String,
    done: Vec<CompletedPart>,
    in_flight: Option<JoinHandle<Result<CompletedPart, MultipartError>>>,
    part_size: usize,
    bytes: u64,
}

#[cfg(any(feature = "snapshots", feature = "reports"))]
impl Upload {
    /// Starts a multipart upload of an object of `content_type` at
    /// `bucket`/`key`.
    pub(crate) async fn create(
        s3: &Client,
        bucket: &str,
        key: &str,
        content_type: &str,
        part_size: usize,
    ) -> Result<Self, MultipartError> {
        let created = s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .send()
            .await
            .map_err(|e| MultipartError::s3("CreateMultipartUpload", key, e))?;
        let id = created
            .upload_id()
            .ok_or_else(|| MultipartError::s3("CreateMultipartUpload", key, MissingUploadId))?
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
    // The report does not record it (yet): only the snapshot's job does.
    #[cfg_attr(not(feature = "snapshots"), allow(dead_code))]
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// Uploads `body` as the next part: waits for the part before it to be
    /// stored (if [`Upload::settle`] has not already), then sends this one
    /// in the background, so the caller goes on filling the next part
    /// meanwhile and at most one part is in flight.
    pub(crate) async fn send(&mut self, body: Vec<u8>) -> Result<(), MultipartError> {
        self.settle().await?;
        let number = u32::try_from(self.done.len() + 1).unwrap_or(u32::MAX);
        if number > MAX_PARTS {
            return Err(MultipartError::TooLarge {
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
                .map_err(|e| MultipartError::s3("UploadPart", &key, e))?;
            Ok(CompletedPart::builder()
                .part_number(number as i32)
                .set_e_tag(sent.e_tag)
                .build())
        }));
        Ok(())
    }

    /// Waits for the part in flight, if any, to be stored.
    pub(crate) async fn settle(&mut self) -> Result<(), MultipartError> {
        if let Some(task) = self.in_flight.take() {
            let part = task
                .await
                .map_err(|e| MultipartError::s3("UploadPart", &self.key, e))??;
            self.done.push(part);
        }
        Ok(())
    }

    /// Completes the upload once the last part is stored; returns the
    /// object's size and its number of parts.
    pub(crate) async fn complete(&mut self) -> Result<(u64, u32), MultipartError> {
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
            .map_err(|e| MultipartError::s3("CompleteMultipartUpload", &self.key, e))?;
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
                "aborting a multipart upload failed"
            );
        }
    }
}

#[cfg(any(feature = "snapshots", feature = "reports"))]
impl Drop for Upload {
    /// A dropped upload (its job cancelled) leaves no part uploading.
    fn drop(&mut self) {
        if let Some(task) = self.in_flight.take() {
            task.abort();
        }
    }
}

/// `CreateMultipartUpload` answered without an upload id.
#[cfg(any(feature = "snapshots", feature = "reports"))]
#[derive(Debug, thiserror::Error)]
#[error("the answer carried no upload id")]
struct MissingUploadId;
