//! What a computer's row shows, and nothing else: the report reads every
//! computer of a group, and taking just these attributes from each item
//! costs much less than deserialising whole [`crate::model::Computer`]s.

use time::OffsetDateTime;

use crate::model::AlertKind;

/// A computer as its report row shows it (read by
/// [`crate::repo::Repository::list_computer_rows`], written by
/// [`super::RowWriter::computer_row`]): the same cells as the row of the
/// whole computer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputerRow {
    /// Display name.
    pub name: String,
    /// Operating system, as the client reports it.
    pub os: String,
    /// Backup client version.
    pub client_version: String,
    /// Last completed backup, if any.
    pub last_backup_at: Option<OffsetDateTime>,
    /// Bytes selected for backup.
    pub selected_bytes: u64,
    /// Files still to back up.
    pub files_remaining: u64,
    /// The stored count of its alerts.
    pub alert_count: u32,
    /// Its alerts' kinds, as stored (a kind may repeat).
    pub alert_kinds: Vec<AlertKind>,
}
