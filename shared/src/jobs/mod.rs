//! Long work (DESIGN §6): each job is an outbox item written with the
//! change or schedule that causes it, handed by the outbox sender to its
//! kind's SQS queue, and run by that kind's Lambda. Every job is safe to
//! run again: it records its progress in the table and resumes from it.

pub mod dissolve;
#[cfg(feature = "dns")]
pub mod domains;
#[cfg(feature = "delivery")]
pub mod queue;
#[cfg(feature = "reports")]
pub mod report;
#[cfg(feature = "job-runner")]
pub mod runner;
#[cfg(feature = "snapshots")]
pub mod snapshot;
pub mod usage;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::model::{AccountId, GroupId, ReportPeriod};

/// The input an EventBridge Scheduler schedule hands its target function:
/// which schedule fired, and for when. Every schedule of the template sends
/// this shape; each target checks the name is its own.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduledRun {
    /// The schedule's name (`usage`, `weekly`, `monthly`, `domains`).
    pub schedule: String,
    /// When it was due (`<aws.scheduler.scheduled-time>`): a late or
    /// repeated delivery still names the day or period it was due for.
    #[serde(with = "time::serde::rfc3339")]
    pub scheduled_time: time::OffsetDateTime,
}

/// One piece of long work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "job")]
pub enum Job {
    /// Record one group's usage for one day.
    #[serde(rename_all = "camelCase")]
    RecordUsage {
        /// The group.
        group_id: GroupId,
        /// The day recorded.
        #[serde(with = "crate::model::day")]
        day: Date,
    },
    /// Carry a confirmed dissolution through, from where it stopped.
    #[serde(rename_all = "camelCase")]
    DissolveGroup {
        /// The group.
        group_id: GroupId,
    },
    /// Build one Pending snapshot's zip.
    #[serde(rename_all = "camelCase")]
    BuildSnapshot {
        /// The group whose admin asked.
        group_id: GroupId,
        /// Whose data.
        account_id: AccountId,
        /// The snapshot.
        snapshot_id: uuid::Uuid,
    },
    /// Build a group's report of a period (and for a scheduled period,
    /// email it to the admins).
    #[serde(rename_all = "camelCase")]
    BuildReport {
        /// The group.
        group_id: GroupId,
        /// The period (a day for a report asked for on demand).
        period: ReportPeriod,
    },
    /// Email a group's members their backup summaries of a period.
    #[serde(rename_all = "camelCase")]
    SendSummaries {
        /// The group.
        group_id: GroupId,
        /// The period.
        period: ReportPeriod,
    },
}

/// The kinds of job: one queue and one Lambda each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// [`Job::RecordUsage`].
    RecordUsage,
    /// [`Job::DissolveGroup`].
    DissolveGroup,
    /// [`Job::BuildSnapshot`].
    BuildSnapshot,
    /// [`Job::BuildReport`] and [`Job::SendSummaries`]: the report worker
    /// reads the same members, computers and buckets for both.
    Reports,
}

impl Job {
    /// Its kind.
    pub fn kind(&self) -> JobKind {
        match self {
            Self::RecordUsage { .. } => JobKind::RecordUsage,
            Self::DissolveGroup { .. } => JobKind::DissolveGroup,
            Self::BuildSnapshot { .. } => JobKind::BuildSnapshot,
            Self::BuildReport { .. } | Self::SendSummaries { .. } => JobKind::Reports,
        }
    }

    /// The group it works on (for logs).
    pub fn group_id(&self) -> &GroupId {
        match self {
            Self::RecordUsage { group_id, .. }
            | Self::DissolveGroup { group_id }
            | Self::BuildSnapshot { group_id, .. }
            | Self::BuildReport { group_id, .. }
            | Self::SendSummaries { group_id, .. } => group_id,
        }
    }
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 4] = [
        Self::RecordUsage,
        Self::DissolveGroup,
        Self::BuildSnapshot,
        Self::Reports,
    ];

    /// The environment variable that names the kind's queue URL (the
    /// outbox sender's configuration).
    pub fn queue_setting(self) -> &'static str {
        match self {
            Self::RecordUsage => "USAGE_QUEUE_URL",
            Self::DissolveGroup => "DISSOLVE_QUEUE_URL",
            Self::BuildSnapshot => "SNAPSHOT_QUEUE_URL",
            Self::Reports => "REPORT_QUEUE_URL",
        }
    }

    /// Its name in logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::RecordUsage => "record-usage",
            Self::DissolveGroup => "dissolve-group",
            Self::BuildSnapshot => "build-snapshot",
            Self::Reports => "build-report",
        }
    }
}

/// When a job must stop and leave the rest to a continuation, so a long
/// one never runs into its Lambda's timeout.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Stop starting new steps after this instant.
    pub until: tokio::time::Instant,
    /// Stop after this many steps (tests stop a job midway with it).
    pub steps: Option<u32>,
}

impl Budget {
    /// As much as `time` allows.
    pub fn for_time(time: std::time::Duration) -> Self {
        Self {
            until: tokio::time::Instant::now() + time,
            steps: None,
        }
    }

    /// At most `steps` steps (and an hour).
    pub fn steps(steps: u32) -> Self {
        Self {
            until: tokio::time::Instant::now() + std::time::Duration::from_secs(3600),
            steps: Some(steps),
        }
    }

    /// Whether step number `done` (0-based) may start.
    pub fn allows(&self, done: u32) -> bool {
        self.steps.is_none_or(|max| done < max) && tokio::time::Instant::now() < self.until
    }
}
