//! User Stats reports: one per group and period, built from the table into
//! a CSV in the reports bucket by the `build-report` job, listed and
//! downloadable by the group's admins, and emailed to them on their
//! cadence.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AccountId, EmailCadence, Group, GroupId, Product, ReportPeriod};

/// How long a report stays (the reports bucket's lifecycle rule and the
/// item's TTL say the same) unless the deployment sets `REPORT_RETENTION_DAYS`.
pub const DEFAULT_REPORT_RETENTION_DAYS: u32 = 90;

/// How long a Pending report may go unfinished before asking again builds
/// it anew (its job failed, or is still being retried).
pub const STALE_PENDING: time::Duration = time::Duration::minutes(15);

/// Where a report's build stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReportState {
    /// Waiting for (or in) its build.
    Pending,
    /// Built: downloadable.
    Ready,
}

/// One report of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The period, which is also its id in routes (`2026-W48`, `2026-11`,
    /// or the day of a report asked for on demand, `2026-11-28`).
    pub period: ReportPeriod,
    /// The group.
    pub group_id: GroupId,
    /// Build state.
    pub state: ReportState,
    /// The admin who asked (absent for a scheduled report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_by: Option<AccountId>,
    /// When it was asked for (or its schedule ran).
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// When it was built (Ready).
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub ready_at: Option<OffsetDateTime>,
    /// Rows below the header (Ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Size of the CSV in bytes (Ready).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    /// The multipart upload a build started and has not finished, so a
    /// retried build aborts it first (written by its own update; never
    /// shown).
    #[serde(default, skip_serializing)]
    pub upload_id: Option<String>,
}

impl Report {
    /// A Pending report of `period`.
    pub fn pending(
        group_id: GroupId,
        period: ReportPeriod,
        requested_by: Option<AccountId>,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            period,
            group_id,
            state: ReportState::Pending,
            requested_by,
            requested_at: now,
            ready_at: None,
            rows: None,
            size_bytes: None,
            upload_id: None,
        }
    }

    /// The CSV's key in the reports bucket: `reports/<gid>/<period>.csv`.
    /// One per group and period, so a rerun replaces it.
    pub fn object_key(&self) -> String {
        object_key(&self.group_id, &self.period)
    }

    /// The CSV's file name for a download or an attachment.
    pub fn file_name(&self) -> String {
        format!("user-stats-{}.csv", self.period)
    }
}

/// The key of group `gid`'s report of `period` in the reports bucket.
pub fn object_key(gid: &GroupId, period: &ReportPeriod) -> String {
    format!("reports/{gid}/{period}.csv")
}

/// The two scheduled mailings a group may be on: each has its own entry in
/// the group's partition, whose sparse-index partition names the schedule
/// of its cadence, so a settings change moves it in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mailing {
    /// The User Stats report emailed to the admins.
    AdminReports,
    /// Each member's summary of their own backups.
    MemberSummaries,
}

impl Mailing {
    /// Both.
    pub const ALL: [Mailing; 2] = [Self::AdminReports, Self::MemberSummaries];

    /// The entry's place in the group's partition.
    pub fn slot(self) -> &'static str {
        match self {
            Self::AdminReports => "admin-reports",
            Self::MemberSummaries => "member-summaries",
        }
    }

    /// The schedule's name on the sparse index (`admin-reports-weekly`),
    /// `None` for `Off`.
    pub fn schedule(self, cadence: EmailCadence) -> Option<String> {
        let every = match cadence {
            EmailCadence::Off => return None,
            EmailCadence::Weekly => "weekly",
            EmailCadence::Monthly => "monthly",
        };
        Some(format!("{}-{every}", self.slot()))
    }

    /// The group's cadence for it.
    pub fn cadence(self, group: &Group) -> EmailCadence {
        match self {
            Self::AdminReports => group.admin_report_emails.cadence,
            Self::MemberSummaries => group.member_summary_emails,
        }
    }

    /// Whether `group` gets this mailing for `period` now: the group is
    /// active, has Computer Backup (the product these emails are about) and
    /// still has this cadence. A schedule's jobs check it when they run, so
    /// a group that changed its settings since is left alone.
    pub fn is_due(self, group: &Group, period: &ReportPeriod) -> bool {
        group.status == super::GroupStatus::Active
            && group.products.contains_key(&Product::ComputerBackup)
            && period.cadence() == Some(self.cadence(group))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use time::macros::date;

    use super::*;
    use crate::model::{
        AdminReportEmails, EmailAddress, GroupName, GroupStatus, JoinPolicy, NewGroup,
    };

    fn group(products: &[Product], summaries: EmailCadence, reports: EmailCadence) -> Group {
        NewGroup {
            name: GroupName::parse("n", "Initech").expect("valid"),
            products: products.iter().copied().collect(),
            managed: false,
            join_policy: JoinPolicy::default(),
            sso: BTreeSet::new(),
            member_summary_emails: summaries,
            admin_report_emails: AdminReportEmails {
                cadence: reports,
                attach_csv: false,
            },
            version_history_30_days: false,
            admin_notifications: true,
        }
        .into_group(
            GroupId::new(),
            AccountId::parse("sub", "creator").expect("valid"),
            EmailAddress::parse("e", "c@example.com").expect("valid"),
            time::OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn a_mailing_is_due_for_an_active_backup_group_on_its_cadence_only() {
        let day = date!(2026 - 11 - 30);
        let week = ReportPeriod::of_cadence(EmailCadence::Weekly, day).expect("week");
        let month = ReportPeriod::of_cadence(EmailCadence::Monthly, day).expect("month");
        let backup = [Product::ComputerBackup];
        let g = group(&backup, EmailCadence::Monthly, EmailCadence::Weekly);
        assert!(Mailing::AdminReports.is_due(&g, &week));
        assert!(!Mailing::AdminReports.is_due(&g, &month));
        assert!(Mailing::MemberSummaries.is_due(&g, &month));
        assert!(!Mailing::MemberSummaries.is_due(&g, &week));
        assert!(!Mailing::AdminReports.is_due(&g, &ReportPeriod::Day(day)));

        let off = group(&backup, EmailCadence::Off, EmailCadence::Off);
        assert!(!Mailing::AdminReports.is_due(&off, &week));
        assert!(!Mailing::MemberSummaries.is_due(&off, &week));

        let b2_only = group(&[Product::B2], EmailCadence::Weekly, EmailCadence::Weekly);
        assert!(
            !Mailing::AdminReports.is_due(&b2_only, &week),
            "emails are about backups"
        );

        let mut dissolving = group(&backup, EmailCadence::Weekly, EmailCadence::Weekly);
        dissolving.status = GroupStatus::Dissolving;
        assert!(!Mailing::MemberSummaries.is_due(&dissolving, &week));
    }

    #[test]
    fn each_cadence_has_its_schedule_and_off_has_none() {
        assert_eq!(
            Mailing::AdminReports
                .schedule(EmailCadence::Weekly)
                .as_deref(),
            Some("admin-reports-weekly")
        );
        assert_eq!(
            Mailing::MemberSummaries
                .schedule(EmailCadence::Monthly)
                .as_deref(),
            Some("member-summaries-monthly")
        );
        assert_eq!(Mailing::AdminReports.schedule(EmailCadence::Off), None);
    }
}
