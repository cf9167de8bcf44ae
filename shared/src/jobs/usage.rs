//! Daily usage: once a day a schedule writes one job per group on the usage
//! schedule; each job records every member account's usage for the day and
//! the group's total, which billing reads. A day recorded twice stays one
//! record per account and per group (the second replaces the first), and
//! one group's failure never stops the others (each is its own job).

use time::{Date, OffsetDateTime};

use super::Job;
use crate::deps::Deps;
use crate::error::Result;
use crate::model::{Billing, GroupId, GroupStatus, GroupUsage};
use crate::outbox::OutboxItem;
use crate::repo::{AccountUsage, MembersFrom, USAGE_SCHEDULE};

/// Groups read per page of the schedule's index.
const GROUPS_PER_PAGE: i32 = 500;
/// Members read per page.
const MEMBERS_PER_PAGE: i32 = 100;

/// Writes one `RecordUsage` job per group on the usage schedule, for `day`.
/// Returns how many. DynamoDB: one `Query` per 500 groups, one
/// `BatchWriteItem` per 25 jobs.
pub async fn schedule(deps: &Deps, day: Date, now: OffsetDateTime) -> Result<usize> {
    let mut after: Option<GroupId> = None;
    let mut written = 0;
    loop {
        let (groups, more) = deps
            .repo
            .groups_on_schedule(USAGE_SCHEDULE, after.as_ref(), GROUPS_PER_PAGE)
            .await?;
        let jobs: Vec<OutboxItem> = groups
            .iter()
            .map(|gid| {
                OutboxItem::job(
                    Job::RecordUsage {
                        group_id: *gid,
                        day,
                    },
                    now,
                )
            })
            .collect();
        deps.repo.put_outbox_items(&jobs).await?;
        written += jobs.len();
        match (more, groups.last()) {
            (true, Some(last)) => after = Some(*last),
            _ => return Ok(written),
        }
    }
}

/// Records `day`'s usage of group `gid` (an active or dissolving group;
/// others have nothing to record). DynamoDB: one `BatchGetItem` for the
/// group, then per 100 members one `Query`, one `BatchGetItem` and four
/// `BatchWriteItem`s, and one `PutItem` for the total.
pub async fn record(deps: &Deps, gid: &GroupId, day: Date) -> Result<Option<GroupUsage>> {
    let (group, billing, _) = deps.repo.billing_of(gid).await?;
    let Some(group) = group.filter(|g| g.status != GroupStatus::Dissolved) else {
        tracing::info!(group_id = %gid, "no usage to record: the group is gone");
        return Ok(None);
    };
    let prices = billing
        .unwrap_or_else(|| Billing::new(group.created_at, deps.settings.prices))
        .prices;
    let mut total = GroupUsage {
        day,
        members: 0,
        computers: 0,
        stored_bytes: 0,
        billable_bytes: 0,
    };
    let mut last = None;
    loop {
        let from = match &last {
            None => MembersFrom::Start,
            Some(aid) => MembersFrom::After(aid),
        };
        let (members, more) = deps.repo.members_from(gid, from, MEMBERS_PER_PAGE).await?;
        let ids: Vec<_> = members.iter().map(|m| m.account_id.clone()).collect();
        let accounts = deps.repo.accounts(&ids).await?;
        let records: Vec<AccountUsage> = accounts
            .iter()
            .map(|a| AccountUsage {
                account_id: a.id.clone(),
                group_id: *gid,
                day,
                computers: a.computer_count,
                stored_bytes: a.stored_bytes,
            })
            .collect();
        deps.repo.put_account_usage(&records).await?;
        for account in &accounts {
            total.members += 1;
            total.computers += account.computer_count;
            total.stored_bytes += account.stored_bytes;
            total.billable_bytes += prices.billable(account.stored_bytes);
        }
        match (more, ids.last()) {
            (true, Some(aid)) => last = Some(aid.clone()),
            _ => break,
        }
    }
    deps.repo
        .put_group_usage(gid, &total, deps.clock.now())
        .await?;
    tracing::info!(group_id = %gid, %day, members = total.members, "usage recorded");
    Ok(Some(total))
}
