//! The loop that joins both sides: each object's body streamed from
//! `GetObject` into the zip, each full part handed to the upload.

use std::future::Future;

use aws_sdk_s3::Client;
use time::OffsetDateTime;

use super::zipper::Zipper;
use super::{ArchiveError, Entry, MAX_PART_SIZE, MIN_PART_SIZE, Written};
use crate::multipart::Upload;

/// Streams `entries` (read from `source_bucket`) into one zip archive at
/// `dest_bucket`/`dest_key`, written by multipart upload in parts of
/// `part_size` bytes ([`super::DEFAULT_PART_SIZE`] unless there is a
/// reason; 5 MiB to 5 GiB). Entries are stored, dated by the object's
/// `LastModified`; memory stays at about two parts plus the central
/// directory, whatever the archive's size.
///
/// `on_started(upload_id)` runs once the upload exists, before any part is
/// sent: the caller records the id there, so that a retry after a crash can
/// [`super::abort_upload`] it. If it fails, the upload is aborted.
///
/// An empty `entries` is [`ArchiveError::Empty`], before any upload starts.
/// An object missing when it is read is [`ArchiveError::Vanished`]. On any
/// failure after the upload started, the upload is aborted before the error
/// is returned, so S3 keeps no parts and no partial archive.
#[tracing::instrument(skip_all, fields(dest_key = %dest_key, entries = entries.len()))]
pub async fn write_zip<F, Fut, E>(
    s3: &Client,
    source_bucket: &str,
    entries: &[Entry],
    dest_bucket: &str,
    dest_key: &str,
    part_size: usize,
    on_started: F,
) -> Result<Written, ArchiveError>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    if entries.is_empty() {
        return Err(ArchiveError::Empty);
    }
    if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
        return Err(ArchiveError::PartSize { size: part_size });
    }
    let mut upload =
        Upload::create(s3, dest_bucket, dest_key, "application/zip", part_size).await?;
    let outcome = match on_started(upload.id().to_owned()).await {
        Ok(()) => match stream(s3, source_bucket, entries, part_size, &mut upload).await {
            Ok(()) => upload.complete().await.map_err(ArchiveError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(ArchiveError::Record(Box::new(e))),
    };
    match outcome {
        Ok((bytes, parts)) => Ok(Written {
            bytes,
            files: entries.len() as u64,
            parts,
        }),
        Err(e) => {
            upload.abort().await;
            Err(e)
        }
    }
}

/// Every entry into the zip, every part into the upload.
async fn stream(
    s3: &Client,
    bucket: &str,
    entries: &[Entry],
    part_size: usize,
    upload: &mut Upload,
) -> Result<(), ArchiveError> {
    let mut zipper = Zipper::new(part_size);
    for entry in entries {
        let object = s3
            .get_object()
            .bucket(bucket)
            .key(&entry.key)
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                if e.is_no_such_key() {
                    ArchiveError::Vanished {
                        key: entry.key.clone(),
                    }
                } else {
                    ArchiveError::s3("GetObject", &entry.key, e)
                }
            })?;
        let size = object.content_length().and_then(|n| u64::try_from(n).ok());
        let modified = object
            .last_modified()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok());
        zipper.start(&entry.path, size, modified)?;
        let mut body = object.body;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(|e| ArchiveError::s3("GetObject", &entry.key, e))?
        {
            feed(&mut zipper, upload, &chunk).await?;
        }
    }
    upload.settle().await?;
    for part in zipper.finish()? {
        upload.send(part).await?;
    }
    Ok(())
}

/// Writes `bytes` to the current entry, never more than the current part
/// has room for (the SDK's chunks can be hundreds of KiB), and uploads each
/// part it fills.
async fn feed(
    zipper: &mut Zipper,
    upload: &mut Upload,
    mut bytes: &[u8],
) -> Result<(), ArchiveError> {
    loop {
        while zipper.part_ready() {
            // Cut the part only once the one before is stored, so no more
            // than two parts' buffers are ever alive.
            upload.settle().await?;
            if let Some(part) = zipper.full_part() {
                upload.send(part).await?;
            }
        }
        if bytes.is_empty() {
            return Ok(());
        }
        let (now, later) = bytes.split_at(bytes.len().min(zipper.room()));
        zipper.write(now)?;
        bytes = later;
    }
}
