//! The group report (DESIGN §6): one CSV per group and period, a row per
//! member's computer and per member's B2 bucket, streamed from the table to
//! one S3 object with memory bounded by about two parts whatever the
//! group's size.
//!
//! Members are read a page at a time, each member's computers a page at a
//! time and its buckets in one Query, the next few members' first reads
//! running ahead (on their own tasks) while a member's rows are written;
//! rows go into a part's buffer, and each full part is uploaded (one in
//! flight while the next fills) by the same multipart upload the snapshot
//! zip uses. A report that fits in one part is written by a single
//! `PutObject`. The object's key is `reports/<gid>/<period>.csv`, so
//! running a period again replaces its report; a failure aborts the
//! upload, so S3 keeps no parts.

mod csv;
mod error;
mod row;
mod stream;

pub use self::csv::{
    ALERT_KINDS_SEPARATOR, COLUMNS, KIND_BUCKET, KIND_COMPUTER, RowWriter, neutralise,
};
pub use crate::model::ReportPeriod;
pub use error::ReportError;
pub use row::ComputerRow;
pub use stream::{
    COMPUTERS_PER_QUERY, MEMBERS_PER_QUERY, OnUploadStarted, ReportWritten, report_key,
    write_group_report, write_group_report_noting,
};

/// The part size to use unless there is a reason not to: the snapshot's,
/// which allows reports of 78 GiB (far beyond 5,000 members' rows) and
/// keeps two parts small for a Lambda.
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

/// The report's media type (RFC 4180, with its optional header row).
pub const CONTENT_TYPE: &str = "text/csv; charset=utf-8; header=present";
