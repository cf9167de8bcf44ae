//! Why a report could not be written: a refused argument is final, the
//! others are worth a retry of the job.

use crate::multipart::{BoxError, MultipartError};

/// Why [`super::write_group_report`] (or [`super::ReportPeriod::parse`])
/// failed. Whenever the report's multipart upload had started, it has been
/// aborted (or an abort was attempted and logged) before this is returned.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Not a period.
    #[error(transparent)]
    Period(#[from] crate::model::InvalidPeriod),
    /// The part size is outside S3's limits (5 MiB to 5 GiB).
    #[error("part size {size} is outside S3's limits (5 MiB to 5 GiB)")]
    PartSize {
        /// The size asked for.
        size: usize,
    },
    /// Reading members, computers or buckets failed.
    #[error("reading the group's members, computers or buckets failed")]
    Repository(#[source] Box<crate::Error>),
    /// The multipart upload failed (an S3 call, or more than 10,000 parts).
    #[error("uploading the report failed")]
    Upload(#[from] MultipartError),
    /// The single `PutObject` of a report that fits in one part failed.
    #[error("S3 PutObject on {key} failed")]
    Put {
        /// The report's key.
        key: String,
        /// The SDK's error.
        #[source]
        source: BoxError,
    },
    /// The CSV writer failed (it writes to memory, so it should not).
    #[error("writing the CSV failed")]
    Csv(#[from] ::csv::Error),
    /// Flushing the CSV writer failed (it writes to memory, so it should not).
    #[error("flushing the CSV failed")]
    Io(#[from] std::io::Error),
}

impl From<crate::Error> for ReportError {
    fn from(e: crate::Error) -> Self {
        Self::Repository(Box::new(e))
    }
}
