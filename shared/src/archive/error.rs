//! Why a snapshot could not be built: the outcomes its job treats
//! differently (a vanished file is the member's news, an S3 failure is
//! retried, a refused selection is not).

/// A boxed error from a collaborator (the SDK, the caller's recorder).
pub use crate::multipart::BoxError;
use crate::multipart::MultipartError;

/// Why [`super::expand`] or [`super::write_zip`] failed. Whenever
/// `write_zip` returns one of these after its upload started, the upload
/// has been aborted (or an abort was attempted and logged).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Nothing to archive: refused before any upload starts.
    #[error("a snapshot needs at least one file")]
    Empty,
    /// The part size is outside S3's limits (5 MiB to 5 GiB).
    #[error("part size {size} is outside S3's limits (5 MiB to 5 GiB)")]
    PartSize {
        /// The size asked for.
        size: usize,
    },
    /// An object was deleted between listing and reading it.
    #[error("object {key} vanished before it was archived")]
    Vanished {
        /// Its key.
        key: String,
    },
    /// A key whose path in the zip would climb out of the folder it is
    /// unzipped in (a `.` or `..` segment, or a leading `/`).
    #[error("object {key} has a path that is unsafe in a zip")]
    UnsafePath {
        /// Its key.
        key: String,
    },
    /// The archive would need more than 10,000 parts of this size.
    #[error("archive larger than 10,000 parts of {part_size} bytes")]
    TooLarge {
        /// The part size in use.
        part_size: usize,
    },
    /// An S3 call failed.
    #[error("S3 {operation} on {key} failed")]
    S3 {
        /// The operation (`GetObject`, `UploadPart`, ...).
        operation: &'static str,
        /// The object or upload destination it was about.
        key: String,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },
    /// The zip writer refused an entry (e.g. the same path twice).
    #[error("zip writer failed")]
    Zip(#[from] zip::result::ZipError),
    /// The caller could not record the upload id (`on_started` failed).
    #[error("recording the multipart upload failed")]
    Record(#[source] BoxError),
}

impl ArchiveError {
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

impl From<MultipartError> for ArchiveError {
    /// The upload's failures are the archive's, under the same names.
    fn from(e: MultipartError) -> Self {
        match e {
            MultipartError::TooLarge { part_size } => Self::TooLarge { part_size },
            MultipartError::S3 {
                operation,
                key,
                source,
            } => Self::S3 {
                operation,
                key,
                source,
            },
        }
    }
}
