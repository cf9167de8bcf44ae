//! The scheduled emails: the admins' User Stats report and each member's
//! backup summary.

use time::OffsetDateTime;

use super::human_time;
use super::letter::{Letter, Para};
use crate::model::{Bucket, Computer, EmailAddress, EmailCadence, GroupName, ReportPeriod};
use crate::outbox::{OutboxEmail, REPORT_LINK, REPORT_LINK_EXPIRY, ReportMail};

/// Computers a summary lists one by one; the rest are counted.
pub const SUMMARY_COMPUTERS: usize = 20;

/// "weekly" or "monthly", for subjects.
fn cadence_word(period: &ReportPeriod) -> &'static str {
    match period.cadence() {
        Some(EmailCadence::Monthly) => "monthly",
        _ => "weekly",
    }
}

/// Sizes as people read them, in decimal units as storage is sold.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["bytes", "KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// The admins' scheduled report: what it covers, and the CSV attached or
/// linked (the sender attaches it, or puts a presigned URL where the
/// placeholders stand, when it sends).
pub fn admin_report(
    admins: Vec<EmailAddress>,
    group: &GroupName,
    period: &ReportPeriod,
    rows: u64,
    size_bytes: u64,
    report: ReportMail,
) -> OutboxEmail {
    let attach = report.attach;
    let mut letter = Letter::new(format!(
        "{group}: your {} backup report ({period})",
        cadence_word(period)
    ))
    .para(
        Para::new()
            .text("The User Stats report of ")
            .strong(group.as_str())
            .text(" for ")
            .strong(period.to_string())
            .text(" lists ")
            .strong(rows.to_string())
            .text(" computers and buckets (")
            .text(human_bytes(size_bytes))
            .text(")."),
    );
    letter = if attach {
        letter.para(Para::new().text("It is attached to this email as a CSV file."))
    } else {
        letter
            .para(
                Para::new()
                    .text("The download link below works until ")
                    .strong(REPORT_LINK_EXPIRY)
                    .text("."),
            )
            .action("Download the report (CSV)", REPORT_LINK)
    };
    let mut email = letter
        .closing(Para::new().text(
            "You can download this and earlier reports at any time from the group's Users/Computers page.",
        ))
        .to(admins);
    email.report = Some(report);
    email
}

/// A member's summary of their own backups: each computer's last backup,
/// files remaining and alerts (those needing attention first, at most
/// [`SUMMARY_COMPUTERS`]), and their buckets.
pub fn backup_summary(
    to: &EmailAddress,
    group: &GroupName,
    period: &ReportPeriod,
    computers: &[Computer],
    buckets: &[Bucket],
) -> OutboxEmail {
    let mut letter = Letter::new(format!(
        "Your {} backup summary ({period})",
        cadence_word(period)
    ))
    .para(
        Para::new()
            .text("Here is the summary of your backups, sent by the group ")
            .strong(group.as_str())
            .text("."),
    );
    let mut ordered: Vec<&Computer> = computers.iter().collect();
    // Alerts first, then the longest without a backup (never first of all).
    ordered.sort_by_key(|c| {
        (
            std::cmp::Reverse(c.alert_count),
            c.last_backup_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    });
    if !ordered.is_empty() {
        letter = letter.para(
            Para::new()
                .strong(format!("Computers ({})", ordered.len()))
                .text(":"),
        );
    }
    for computer in ordered.iter().take(SUMMARY_COMPUTERS) {
        letter = letter.para(computer_line(computer));
    }
    if ordered.len() > SUMMARY_COMPUTERS {
        letter = letter.para(Para::new().text(format!(
            "and {} more computers.",
            ordered.len() - SUMMARY_COMPUTERS
        )));
    }
    if !buckets.is_empty() {
        letter = letter.para(
            Para::new()
                .strong(format!("B2 buckets ({})", buckets.len()))
                .text(":"),
        );
        for bucket in buckets {
            letter = letter.para(
                Para::new()
                    .strong(bucket.name.as_str())
                    .text(format!(": {} stored", human_bytes(bucket.stored_bytes))),
            );
        }
    }
    letter
        .closing(Para::new().text(
            "You can turn these summaries off in your account settings (PATCH /me with \"backupSummaryEmails\": false).",
        ))
        .to(vec![to.clone()])
}

/// One computer's line: name, last backup, files remaining, alerts.
fn computer_line(computer: &Computer) -> Para {
    let last = computer
        .last_backup_at
        .map_or_else(|| "never".to_owned(), human_time);
    let alerts = if computer.alerts.is_empty() {
        "no alerts".to_owned()
    } else {
        let kinds: Vec<&str> = computer.alerts.iter().map(|a| a.kind.as_str()).collect();
        format!("alerts: {}", kinds.join(", "))
    };
    Para::new().strong(computer.name.as_str()).text(format!(
        ": last backup {last}; {} files remaining; {alerts}",
        computer.files_remaining
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_storage_is_sold() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_500), "1.5 KB");
        assert_eq!(human_bytes(2_000_000_000), "2.0 GB");
        assert_eq!(human_bytes(u64::MAX), "18446.7 PB");
    }
}
