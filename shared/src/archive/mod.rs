//! Snapshots (DESIGN §6): the chosen S3 objects streamed into ONE zip
//! archive that is written by S3 multipart upload, with memory bounded by
//! about two parts whatever the archive size.
//!
//! Entries are stored, not compressed: members' files are mostly already
//! compressed (photos, video, archives), and stored entries cost no CPU, so
//! the job runs at the speed S3 moves bytes. Each object's body is streamed
//! from `GetObject` into the zip writer (the `zip` crate, writing a stream
//! with data descriptors: nothing is ever seeked back), and the bytes it
//! produces are cut into fixed-size parts; one part uploads while the next
//! fills. ZIP64 records are written when they are needed (an entry of 4 GiB
//! or more, an offset past 4 GiB, more than 65,535 entries).
//!
//! What stays in memory besides the parts is the central directory, which a
//! zip keeps at its end: about a hundred bytes plus the path per entry.
//!
//! A job calls [`expand`] on the member's selection, then [`write_zip`],
//! recording the upload id it is handed so that a retry after a crash can
//! [`abort_upload`] the stranded one. Buckets should still carry an
//! `AbortIncompleteMultipartUpload` lifecycle rule as the last resort.

mod error;
mod expand;
mod write;
mod zipper;

pub use error::ArchiveError;
pub use expand::expand;
pub use write::write_zip;

/// One object to put in the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The object's key in the source bucket.
    pub key: String,
    /// Its path inside the zip, `/`-separated, relative to the snapshot's
    /// root (what the member sees when they unzip it).
    pub path: String,
}

/// What [`write_zip`] wrote: what the snapshot item records and the job logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Size of the archive in bytes.
    pub bytes: u64,
    /// Files in the archive.
    pub files: u64,
    /// Parts of the multipart upload.
    pub parts: u32,
}

/// The part size to use unless there is a reason not to: large enough that
/// the 10,000-part limit allows archives of 78 GiB, small enough that two
/// parts fit a small Lambda comfortably.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

pub use crate::multipart::{MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE};

/// Aborts a multipart upload, e.g. one a crashed attempt left behind (its
/// id recorded through [`write_zip`]'s `on_started`). Aborting an upload
/// that is already gone (S3's `NoSuchUpload`) succeeds, so a retry can
/// always call it. The s3s-fs stand-in answers `AccessDenied`, not
/// `NoSuchUpload`, for an upload id it does not know, so there a second
/// abort is an error.
pub async fn abort_upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<(), ArchiveError> {
    Ok(crate::multipart::abort_upload(s3, bucket, key, upload_id).await?)
}
