//! The report's CSV: stable columns, one row per computer and one per
//! bucket, RFC 4180 quoting by the `csv` crate, and every text cell a
//! spreadsheet would run as a formula neutralised.
//!
//! Admins open this file in Excel, Numbers or Google Sheets, and every text
//! cell in it comes from someone else: a member chose the computer's name,
//! the backup client reported the OS. A cell such as `=HYPERLINK(...)`
//! would run when the admin opens the file (CSV injection), so text cells
//! are neutralised as OWASP advises, and numbers are written as plain
//! digits, which no spreadsheet runs.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use time::format_description::well_known::Rfc3339;

use super::ComputerRow;
use crate::model::{AlertKind, Bucket, Computer, Member};

/// The header row: the columns' names, in order. They are part of the
/// report's contract (admins' spreadsheets and scripts read them by name),
/// so they only ever grow at the end; the README documents each one.
pub const COLUMNS: [&str; 13] = [
    "kind",
    "member_email",
    "region",
    "computer_name",
    "os",
    "client_version",
    "last_backup",
    "selected_bytes",
    "files_remaining",
    "alert_count",
    "alert_kinds",
    "bucket_name",
    "bucket_bytes",
];

/// The `kind` of a computer's row.
pub const KIND_COMPUTER: &str = "computer";
/// The `kind` of a bucket's row.
pub const KIND_BUCKET: &str = "bucket";

/// Separates the kinds in `alert_kinds` (a comma would force quoting).
pub const ALERT_KINDS_SEPARATOR: char = ';';

/// Alert kinds in the order `alert_kinds` lists them (each at most once).
const ALERT_ORDER: [AlertKind; 6] = [
    AlertKind::BackupOverdue,
    AlertKind::DriveDisconnected,
    AlertKind::LowDiskSpace,
    AlertKind::FilesSkipped,
    AlertKind::ClientOutdated,
    AlertKind::Other,
];

/// Whether a spreadsheet could take a cell starting with `c` for a formula
/// (OWASP's list: `=`, `+`, `-`, `@`, tab, carriage return).
fn formula_start(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A text cell as it is safe to write: one that starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'`, which spreadsheets
/// take as "this is text" (and Excel hides), so `=HYPERLINK("x")` shows as
/// typed instead of running. Any other cell is left as it is. Quoting (a
/// comma, quote or newline inside) is the CSV writer's job, afterwards.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some(c) if formula_start(c) => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// A computer's cells, borrowed from a [`Computer`] or a [`ComputerRow`].
struct Cells<'a, F> {
    name: &'a str,
    os: &'a str,
    client_version: &'a str,
    last_backup_at: Option<time::OffsetDateTime>,
    selected_bytes: u64,
    files_remaining: u64,
    alert_count: u32,
    /// Whether it has an alert of this kind.
    has_alert: F,
}

/// Writes report rows to `W` (a part's buffer, or anything else): the one
/// place that knows the columns' order and formats, so the streamed report
/// and the benchmark's floor write the very same bytes.
pub struct RowWriter<W: io::Write> {
    csv: ::csv::Writer<W>,
    /// Reused for the cells that need formatting (numbers, dates, kinds).
    scratch: String,
}

impl<W: io::Write> RowWriter<W> {
    /// A writer over `out` that has written nothing yet (not even the
    /// header: a report cut into parts writes it once, in the first).
    pub fn new(out: W) -> Self {
        let csv = ::csv::WriterBuilder::new()
            .has_headers(false)
            .quote_style(::csv::QuoteStyle::Necessary)
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        Self {
            csv,
            scratch: String::new(),
        }
    }

    /// Writes the header row ([`COLUMNS`]).
    pub fn header(&mut self) -> Result<(), ::csv::Error> {
        self.csv.write_record(COLUMNS)
    }

    /// Writes the row of `member`'s `computer`.
    pub fn computer(&mut self, member: &Member, computer: &Computer) -> Result<(), ::csv::Error> {
        self.computer_cells(
            member,
            Cells {
                name: &computer.name,
                os: &computer.os,
                client_version: &computer.client_version,
                last_backup_at: computer.last_backup_at,
                selected_bytes: computer.selected_bytes,
                files_remaining: computer.files_remaining,
                alert_count: computer.alert_count,
                has_alert: |kind| computer.alerts.iter().any(|a| a.kind == kind),
            },
        )
    }

    /// Writes the row of `member`'s computer read as a [`ComputerRow`]: the
    /// same bytes as [`RowWriter::computer`] writes for the whole computer.
    pub fn computer_row(&mut self, member: &Member, row: &ComputerRow) -> Result<(), ::csv::Error> {
        self.computer_cells(
            member,
            Cells {
                name: &row.name,
                os: &row.os,
                client_version: &row.client_version,
                last_backup_at: row.last_backup_at,
                selected_bytes: row.selected_bytes,
                files_remaining: row.files_remaining,
                alert_count: row.alert_count,
                has_alert: |kind| row.alert_kinds.contains(&kind),
            },
        )
    }

    /// Writes a computer's row: the one place that formats it.
    fn computer_cells(
        &mut self,
        member: &Member,
        computer: Cells<'_, impl Fn(AlertKind) -> bool>,
    ) -> Result<(), ::csv::Error> {
        self.text(KIND_COMPUTER)?;
        self.text(member.email.as_str())?;
        self.text(member.region.as_str())?;
        self.text(computer.name)?;
        self.text(computer.os)?;
        self.text(computer.client_version)?;
        self.scratch.clear();
        if let Some(at) = computer.last_backup_at {
            // RFC 3339 in UTC to the second, which spreadsheets parse as a
            // date; an instant that cannot be written so (a year past
            // 9999) leaves the cell empty rather than failing the report.
            let utc = at.checked_to_offset(time::UtcOffset::UTC).unwrap_or(at);
            let utc = utc.replace_nanosecond(0).unwrap_or(utc);
            if let Ok(text) = utc.format(&Rfc3339) {
                self.scratch.push_str(&text);
            }
        }
        self.csv.write_field(&self.scratch)?;
        self.number(computer.selected_bytes)?;
        self.number(computer.files_remaining)?;
        self.number(u64::from(computer.alert_count))?;
        self.scratch.clear();
        for kind in ALERT_ORDER {
            if (computer.has_alert)(kind) {
                if !self.scratch.is_empty() {
                    self.scratch.push(ALERT_KINDS_SEPARATOR);
                }
                self.scratch.push_str(kind.as_str());
            }
        }
        self.csv.write_field(&self.scratch)?;
        self.csv.write_field("")?;
        self.csv.write_field("")?;
        self.csv.write_record(None::<&[u8]>)
    }

    /// Writes the row of `member`'s `bucket`.
    pub fn bucket(&mut self, member: &Member, bucket: &Bucket) -> Result<(), ::csv::Error> {
        self.text(KIND_BUCKET)?;
        self.text(member.email.as_str())?;
        self.text(member.region.as_str())?;
        for _ in 0..8 {
            self.csv.write_field("")?;
        }
        self.text(bucket.name.as_str())?;
        self.number(bucket.stored_bytes)?;
        self.csv.write_record(None::<&[u8]>)
    }

    /// The output so far, without what the writer still buffers (at most
    /// its 8 KiB buffer): enough to tell when a part is full.
    pub fn get_ref(&self) -> &W {
        self.csv.get_ref()
    }

    /// Flushes and returns the output.
    pub fn into_inner(self) -> io::Result<W> {
        self.csv.into_inner().map_err(|e| {
            let e = e.into_error();
            io::Error::new(e.kind(), e.to_string())
        })
    }

    /// A text cell, neutralised.
    fn text(&mut self, cell: &str) -> Result<(), ::csv::Error> {
        self.csv.write_field(neutralise(cell).as_bytes())
    }

    /// A number cell: plain digits.
    fn number(&mut self, n: u64) -> Result<(), ::csv::Error> {
        self.scratch.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.scratch, "{n}");
        self.csv.write_field(&self.scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Alert, AlertKind, Region};

    #[test]
    fn neutralise_prefixes_formula_starts_only() {
        for hostile in ["=HYPERLINK(\"x\")", "+cmd", "-2+3", "@SUM(1)", "\tx", "\rx"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"), "{hostile:?}");
        }
        for fine in ["", "pc", "a=b", "'quoted", " =x", "Zoë's Mac", "1,2"] {
            assert!(matches!(neutralise(fine), Cow::Borrowed(_)), "{fine:?}");
        }
    }

    #[test]
    fn names_match_their_serialised_form() {
        for region in Region::ALL {
            assert_eq!(
                serde_json::to_value(region).expect("json"),
                serde_json::Value::from(region.as_str())
            );
        }
        for kind in ALERT_ORDER {
            assert_eq!(
                serde_json::to_value(kind).expect("json"),
                serde_json::Value::from(kind.as_str())
            );
        }
    }

    fn member() -> Member {
        serde_json::from_value(serde_json::json!({
            "accountId": "A1", "email": "zoë@initech.com", "region": "eu-central",
            "joinedAt": "2026-11-01T00:00:00Z",
            "managedAccessAccepted": true, "versionHistoryAccepted": false
        }))
        .expect("member")
    }

    #[test]
    fn rows_quote_neutralise_and_keep_numbers_plain() {
        let since = time::macros::datetime!(2026-11-20 08:00 UTC);
        let alert = |kind| Alert {
            kind,
            since,
            detail: String::new(),
        };
        let computer: Computer = serde_json::from_value(serde_json::json!({
            "id": "pc-1", "accountId": "A1", "name": "=1+1, \"quoted\"\nline",
            "os": "macOS", "clientVersion": "9.1",
            "lastBackupAt": "2026-11-26T10:20:30.5+01:00",
            "selectedBytes": 1234, "filesRemaining": 0, "alerts": [], "alertCount": 3,
            "firstSeenAt": "2026-11-01T00:00:00Z", "checkedInAt": "2026-11-26T10:00:00Z"
        }))
        .expect("computer");
        let computer = Computer {
            alerts: vec![
                alert(AlertKind::Other),
                alert(AlertKind::BackupOverdue),
                alert(AlertKind::Other),
            ],
            ..computer
        };
        let bucket: Bucket = serde_json::from_value(serde_json::json!({
            "name": "photos-2026", "accountId": "A1", "storedBytes": 99, "fileCount": 2,
            "createdAt": "2026-11-01T00:00:00Z"
        }))
        .expect("bucket");
        let mut w = RowWriter::new(Vec::new());
        w.header().expect("header");
        w.computer(&member(), &computer).expect("row");
        w.bucket(&member(), &bucket).expect("row");
        let out = String::from_utf8(w.into_inner().expect("flush")).expect("utf-8");
        assert_eq!(
            out,
            "kind,member_email,region,computer_name,os,client_version,last_backup,selected_bytes,\
             files_remaining,alert_count,alert_kinds,bucket_name,bucket_bytes\r\n\
             computer,zoë@initech.com,eu-central,\"'=1+1, \"\"quoted\"\"\nline\",macOS,9.1,\
             2026-11-26T09:20:30Z,1234,0,3,backupOverdue;other,,\r\n\
             bucket,zoë@initech.com,eu-central,,,,,,,,,photos-2026,99\r\n"
        );
    }

    #[test]
    fn a_computer_row_writes_what_the_whole_computer_writes() {
        let computer: Computer = serde_json::from_value(serde_json::json!({
            "id": "pc-1", "accountId": "A1", "name": "-x, \"y\"", "os": "@os",
            "clientVersion": "9.1", "lastBackupAt": "2026-11-26T10:20:30.5+01:00",
            "selectedBytes": 1234, "filesRemaining": 7, "alertCount": 3,
            "alerts": [
                {"kind": "other", "since": "2026-11-20T08:00:00Z"},
                {"kind": "lowDiskSpace", "since": "2026-11-20T08:00:00Z"},
                {"kind": "other", "since": "2026-11-20T08:00:00Z"}],
            "firstSeenAt": "2026-11-01T00:00:00Z", "checkedInAt": "2026-11-26T10:00:00Z"
        }))
        .expect("computer");
        let row = ComputerRow {
            name: computer.name.clone(),
            os: computer.os.clone(),
            client_version: computer.client_version.clone(),
            last_backup_at: computer.last_backup_at,
            selected_bytes: computer.selected_bytes,
            files_remaining: computer.files_remaining,
            alert_count: computer.alert_count,
            alert_kinds: computer.alerts.iter().map(|a| a.kind).collect(),
        };
        let mut whole = RowWriter::new(Vec::new());
        whole.computer(&member(), &computer).expect("row");
        let mut read = RowWriter::new(Vec::new());
        read.computer_row(&member(), &row).expect("row");
        assert_eq!(
            whole.into_inner().expect("flush"),
            read.into_inner().expect("flush")
        );
    }
}
