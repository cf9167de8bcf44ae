//! Member files and snapshots in S3: presigned URLs for the browser or
//! client to move the bytes (they never pass through a Lambda), and the few
//! calls the service makes itself (head, delete, list by folder). The
//! client is built once per cold start; the buckets come from the
//! environment (`DATA_BUCKET`, `SNAPSHOTS_BUCKET`), each only where used.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use serde::Serialize;
use time::OffsetDateTime;

use crate::deps::{MissingSetting, optional_env};
use crate::error::{Error, Result};

/// How long an upload URL works unless `UPLOAD_URL_SECONDS` says otherwise.
pub const DEFAULT_UPLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);
/// How long a snapshot download URL works unless `DOWNLOAD_URL_SECONDS` says otherwise.
pub const DEFAULT_DOWNLOAD_URL_TTL: Duration = Duration::from_secs(15 * 60);

/// S3 error codes that mean "too much at once": answered 503 `busy`.
const THROTTLED: [&str; 3] = ["SlowDown", "ThrottlingException", "RequestLimitExceeded"];

/// The one mapping of a failed S3 call.
pub(crate) fn s3_error<E>(error: aws_sdk_s3::error::SdkError<E>) -> Error
where
    E: aws_sdk_s3::error::ProvideErrorMetadata
        + aws_smithy_runtime_api::client::result::CreateUnhandledError
        + std::error::Error
        + Send
        + Sync
        + 'static,
{
    let error = error.into_service_error();
    if THROTTLED.contains(&error.code().unwrap_or_default()) {
        return Error::busy();
    }
    Error::unexpected(error)
}

/// A URL that lets its holder make one kind of request until it expires.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SignedUrl {
    /// The HTTP method to use.
    pub method: String,
    /// The URL.
    pub url: String,
    /// Headers the request must carry exactly as given (they are signed).
    pub headers: std::collections::BTreeMap<String, String>,
    /// When it stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl SignedUrl {
    fn from_presigned(request: &PresignedRequest, expires_at: OffsetDateTime) -> Self {
        Self {
            method: request.method().to_owned(),
            url: request.uri().to_owned(),
            headers: request
                .headers()
                .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            expires_at,
        }
    }
}

/// An object as listed or found.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ObjectInfo {
    /// Its key, relative to the listed prefix's root (see [`FileStore::list`]).
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// When it was last written.
    #[serde(with = "time::serde::rfc3339::option")]
    pub modified_at: Option<OffsetDateTime>,
}

/// One page of a folder: its sub-folders and files.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// Sub-folders (ending in `/`), relative to the root.
    pub folders: Vec<String>,
    /// Files directly in the folder.
    pub files: Vec<ObjectInfo>,
    /// S3's continuation token, when more follow.
    pub next: Option<String>,
}

/// The data and snapshots buckets and how long URLs work.
#[derive(Debug, Clone)]
pub struct FileStore {
    s3: Client,
    data_bucket: Option<String>,
    snapshots_bucket: Option<String>,
    reports_bucket: Option<String>,
    /// How long an upload URL works.
    pub upload_url_ttl: Duration,
    /// How long a download URL works.
    pub download_url_ttl: Duration,
}

impl FileStore {
    /// A store on `s3` with the given buckets (tests and the local gateway).
    pub fn new(s3: Client, data_bucket: Option<String>, snapshots_bucket: Option<String>) -> Self {
        Self {
            s3,
            data_bucket,
            snapshots_bucket,
            reports_bucket: None,
            upload_url_ttl: DEFAULT_UPLOAD_URL_TTL,
            download_url_ttl: DEFAULT_DOWNLOAD_URL_TTL,
        }
    }

    /// This store with the bucket of User Stats reports.
    pub fn with_reports_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.reports_bucket = Some(bucket.into());
        self
    }

    /// From the SDK configuration and `DATA_BUCKET`, `SNAPSHOTS_BUCKET`,
    /// `REPORTS_BUCKET` (each optional: a function names only the buckets
    /// its policy grants), `UPLOAD_URL_SECONDS`, `DOWNLOAD_URL_SECONDS`.
    pub fn from_env(sdk: &aws_config::SdkConfig) -> Result<Self, MissingSetting> {
        let mut store = Self::new(
            Client::new(sdk),
            optional_env("DATA_BUCKET")?,
            optional_env("SNAPSHOTS_BUCKET")?,
        );
        store.reports_bucket = optional_env("REPORTS_BUCKET")?;
        if let Some(seconds) = optional_env::<u64>("UPLOAD_URL_SECONDS")? {
            store.upload_url_ttl = Duration::from_secs(seconds);
        }
        if let Some(seconds) = optional_env::<u64>("DOWNLOAD_URL_SECONDS")? {
            store.download_url_ttl = Duration::from_secs(seconds);
        }
        Ok(store)
    }

    /// The S3 client (the snapshot job streams with it).
    pub fn s3(&self) -> &Client {
        &self.s3
    }

    /// The bucket of member files.
    pub fn data_bucket(&self) -> Result<&str> {
        self.data_bucket
            .as_deref()
            .ok_or_else(|| Error::unexpected("DATA_BUCKET is not configured for this function"))
    }

    /// The bucket of snapshot zips.
    pub fn snapshots_bucket(&self) -> Result<&str> {
        self.snapshots_bucket.as_deref().ok_or_else(|| {
            Error::unexpected("SNAPSHOTS_BUCKET is not configured for this function")
        })
    }

    /// The bucket of User Stats reports.
    pub fn reports_bucket(&self) -> Result<&str> {
        self.reports_bucket
            .as_deref()
            .ok_or_else(|| Error::unexpected("REPORTS_BUCKET is not configured for this function"))
    }

    /// A URL that GETs a report's CSV, saved under `file_name`, working
    /// for `ttl`.
    pub async fn presign_report_download(
        &self,
        key: &str,
        file_name: &str,
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<SignedUrl> {
        let (config, expires_at) = Self::presigning(ttl, now)?;
        let request = self
            .s3
            .get_object()
            .bucket(self.reports_bucket()?)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .response_content_type("text/csv; charset=utf-8")
            .presigned(config)
            .await
            .map_err(s3_error)?;
        Ok(SignedUrl::from_presigned(&request, expires_at))
    }

    /// A report's bytes, for an email's attachment; `None` when it is gone
    /// (expired). Refused past `max_bytes`, so a sender never holds more
    /// than an email may carry. One `GetObject`.
    pub async fn read_report(&self, key: &str, max_bytes: u64) -> Result<Option<Vec<u8>>> {
        let out = match self
            .s3
            .get_object()
            .bucket(self.reports_bucket()?)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(s3_error(e)),
        };
        let size = u64::try_from(out.content_length.unwrap_or_default()).unwrap_or_default();
        if size > max_bytes {
            return Err(Error::unexpected(format!(
                "the report is {size} bytes, more than the {max_bytes} an email may attach"
            )));
        }
        let bytes = out.body.collect().await.map_err(Error::unexpected)?;
        Ok(Some(bytes.to_vec()))
    }

    fn presigning(
        ttl: Duration,
        now: OffsetDateTime,
    ) -> Result<(PresigningConfig, OffsetDateTime)> {
        let start = SystemTime::UNIX_EPOCH
            + Duration::from_secs(u64::try_from(now.unix_timestamp()).unwrap_or_default());
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(ttl)
            .build()
            .map_err(Error::unexpected)?;
        let ttl = time::Duration::try_from(ttl).map_err(Error::unexpected)?;
        Ok((config, now.replace_nanosecond(0).unwrap_or(now) + ttl))
    }

    /// A URL that PUTs exactly `size` bytes at `key` in the data bucket
    /// (the length is signed: another size is refused by S3).
    pub async fn presign_upload(
        &self,
        key: &str,
        size: u64,
        now: OffsetDateTime,
    ) -> Result<SignedUrl> {
        let (config, expires_at) = Self::presigning(self.upload_url_ttl, now)?;
        let request = self
            .s3
            .put_object()
            .bucket(self.data_bucket()?)
            .key(key)
            .content_length(i64::try_from(size).map_err(Error::unexpected)?)
            .presigned(config)
            .await
            .map_err(s3_error)?;
        Ok(SignedUrl::from_presigned(&request, expires_at))
    }

    /// A URL that GETs a snapshot's zip, saved under `file_name`.
    pub async fn presign_snapshot_download(
        &self,
        key: &str,
        file_name: &str,
        now: OffsetDateTime,
    ) -> Result<SignedUrl> {
        let (config, expires_at) = Self::presigning(self.download_url_ttl, now)?;
        let request = self
            .s3
            .get_object()
            .bucket(self.snapshots_bucket()?)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
            .response_content_type("application/zip")
            .presigned(config)
            .await
            .map_err(s3_error)?;
        Ok(SignedUrl::from_presigned(&request, expires_at))
    }

    /// The size and time of an object in the data bucket, `None` if absent.
    /// One `HeadObject`.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>> {
        match self
            .s3
            .head_object()
            .bucket(self.data_bucket()?)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectInfo {
                path: key.to_owned(),
                size: u64::try_from(out.content_length.unwrap_or_default()).unwrap_or_default(),
                modified_at: out.last_modified.and_then(to_time),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(s3_error(e)),
        }
    }

    /// Deletes an object of the data bucket (absent is fine). One `DeleteObject`.
    pub async fn delete(&self, key: &str) -> Result<()> {
        self.s3
            .delete_object()
            .bucket(self.data_bucket()?)
            .key(key)
            .send()
            .await
            .map_err(s3_error)?;
        Ok(())
    }

    /// One page of the folder `root + folder` in the data bucket: its
    /// sub-folders and files, paths relative to `root`. One `ListObjectsV2`
    /// with delimiter `/`.
    pub async fn list(
        &self,
        root: &str,
        folder: &str,
        limit: i32,
        continuation: Option<String>,
    ) -> Result<Listing> {
        let out = self
            .s3
            .list_objects_v2()
            .bucket(self.data_bucket()?)
            .prefix(format!("{root}{folder}"))
            .delimiter("/")
            .max_keys(limit)
            .set_continuation_token(continuation)
            .send()
            .await
            .map_err(s3_error)?;
        let relative = |key: &str| key.strip_prefix(root).unwrap_or(key).to_owned();
        Ok(Listing {
            folders: out
                .common_prefixes()
                .iter()
                .filter_map(|p| p.prefix())
                .map(relative)
                .collect(),
            files: out
                .contents()
                .iter()
                .map(|o| ObjectInfo {
                    path: relative(o.key().unwrap_or_default()),
                    size: u64::try_from(o.size.unwrap_or_default()).unwrap_or_default(),
                    modified_at: o.last_modified.and_then(to_time),
                })
                .collect(),
            next: out.next_continuation_token,
        })
    }
}

fn to_time(t: aws_sdk_s3::primitives::DateTime) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.secs()).ok()
}
