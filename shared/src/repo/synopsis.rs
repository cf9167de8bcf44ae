//! A group's Users/Computers counters (computers, alerts, bytes stored),
//! kept by the writes that change them: a check-in that changes a count, a
//! bucket's bytes, a member joining or leaving with what they hold.

use serde::{Deserialize, Serialize};

use super::tx::{Expr, Tx};
use super::{Repository, n, s};
use crate::error::Result;
use crate::keys;
use crate::model::{Group, GroupId, UsageDelta};

/// The counters as stored (absent until the first change).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupStats {
    /// Member computers.
    #[serde(default)]
    pub computers: u64,
    /// Alerts on them.
    #[serde(default)]
    pub alerts: u64,
    /// B2 bytes members store.
    #[serde(default)]
    pub stored_bytes: u64,
}

impl Repository {
    /// Adds a usage change to a group's counters, in the change's own
    /// transaction; nothing when nothing changes.
    pub(crate) fn add_group_usage(
        &self,
        tx: &mut Tx<'_>,
        gid: &GroupId,
        delta: UsageDelta,
    ) -> Result<()> {
        if delta.is_zero() {
            return Ok(());
        }
        tx.update(
            &keys::group_stats(gid),
            Expr::new(
                "SET entity = :entity ADD computers :computers, alerts :alerts, storedBytes :bytes",
            )
            .value(":entity", s("GroupStats"))
            .value(":computers", n(delta.computers))
            .value(":alerts", n(delta.alerts))
            .value(":bytes", n(delta.stored_bytes)),
            None,
        )
    }

    /// The group and its counters. One `BatchGetItem`.
    pub async fn group_and_stats(&self, gid: &GroupId) -> Result<(Option<Group>, GroupStats)> {
        let (group, stats) = self
            .group_with::<GroupStats>(gid, &keys::group_stats(gid))
            .await?;
        Ok((group, stats.unwrap_or_default()))
    }
}
