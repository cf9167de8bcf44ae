//! The dissolution job: after a confirmation stopped the group, record its
//! final usage, detach every member (accounts kept, each emailed), remove
//! what the group leaves behind (invitations, link, requests, admin links,
//! billing data), then mark it dissolved and tell its admins.
//!
//! Every step is safe to repeat: the final usage is recorded once (a flag
//! on the dissolution record), a member is detached by deleting its member
//! item (a second run finds it gone), leftovers are deleted by key, and the
//! last step is conditional on the group still dissolving. So the job
//! resumes wherever a crash or a timeout stopped it, and never leaves
//! orphans behind.

use time::OffsetDateTime;

use super::{Budget, Job};
use crate::deps::Deps;
use crate::error::Result;
use crate::keys;
use crate::model::{DissolutionState, GroupId, GroupStatus, Member};
use crate::notify;
use crate::outbox::{MembershipChange, MembershipEvent, OutboxItem};
use crate::problem::ProblemKind;
use crate::repo::MembersFrom;

/// Members read per page.
const MEMBERS_PER_PAGE: i32 = 25;
/// Attempts at one member whose account changed while it was detached.
const ATTEMPTS: u32 = 3;

/// Where a run of the job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The group is dissolved (now or before).
    Done,
    /// The budget ran out; a continuation job was written.
    Continued,
    /// Nothing to dissolve (no confirmed dissolution).
    Nothing,
}

/// Runs (or resumes) the dissolution of `gid` within `budget`: each member
/// detached is one step.
pub async fn run(deps: &Deps, gid: &GroupId, budget: Budget) -> Result<Progress> {
    let (group, dissolution) = deps.repo.dissolution_of(gid).await?;
    let (Some(group), Some(dissolution)) = (group, dissolution) else {
        return Ok(Progress::Nothing);
    };
    match (group.status, dissolution.state) {
        (GroupStatus::Dissolved, _) | (_, DissolutionState::Done) => return Ok(Progress::Done),
        (GroupStatus::Dissolving, DissolutionState::Confirmed) => {}
        _ => return Ok(Progress::Nothing),
    }
    let now = deps.clock.now();
    let today = now.date();
    if !dissolution.final_usage_recorded {
        super::usage::record(deps, gid, today).await?;
        deps.repo.mark_final_usage(gid).await?;
    }
    let mut steps = 0;
    loop {
        let (members, _) = deps
            .repo
            .members_from(gid, MembersFrom::Start, MEMBERS_PER_PAGE)
            .await?;
        if members.is_empty() {
            break;
        }
        for member in &members {
            if !budget.allows(steps) {
                let continuation = OutboxItem::job(Job::DissolveGroup { group_id: *gid }, now);
                deps.repo.put_outbox_items(&[continuation]).await?;
                tracing::info!(group_id = %gid, detached = steps, "dissolution continues in a new job");
                return Ok(Progress::Continued);
            }
            detach(deps, gid, &group.name, member, now).await?;
            steps += 1;
        }
    }
    let leftovers = deps
        .repo
        .group_leftovers(&group, &keys::group_usage(gid, today))
        .await?;
    deps.repo.delete_leftovers(&leftovers).await?;
    let (_, record) = deps.repo.dissolution_of(gid).await?;
    let detached = record.map_or(0, |r| r.members_detached);
    let outbox = vec![
        OutboxItem::email(
            notify::group_dissolved(group.admin_emails(), &group.name, detached),
            now,
        ),
        OutboxItem::event(MembershipEvent {
            change: MembershipChange::Dissolved,
            group_id: *gid,
            account_id: None,
            email: None,
            actor: dissolution.confirmed_by.clone(),
            at: now,
        }),
    ];
    if deps.repo.finish_dissolution(gid, &outbox, now).await? {
        tracing::info!(group_id = %gid, detached, "group dissolved");
    }
    Ok(Progress::Done)
}

/// Detaches one member (re-reading its account when it changed meanwhile).
async fn detach(
    deps: &Deps,
    gid: &GroupId,
    group_name: &crate::model::GroupName,
    member: &Member,
    now: OffsetDateTime,
) -> Result<()> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let account = deps.repo.get_account(&member.account_id).await?;
        let Some(account) = account else {
            return Err(crate::Error::unexpected("a member's account is missing"));
        };
        // The member is told their coverage ended, if the address is one the
        // identity provider verified (no mail to an address that may be anybody's).
        let mut outbox = vec![OutboxItem::event(MembershipEvent {
            change: MembershipChange::Removed,
            group_id: *gid,
            account_id: Some(member.account_id.clone()),
            email: Some(member.email.clone()),
            actor: None,
            at: now,
        })];
        if account.email_verified {
            outbox.push(OutboxItem::email(
                notify::coverage_ended(&member.email, group_name),
                now,
            ));
        }
        match deps
            .repo
            .detach_member(gid, member, &account, &outbox, now)
            .await
        {
            Err(e) if e.kind() == ProblemKind::ConcurrentChange && attempt < ATTEMPTS => continue,
            // Another run detached it first.
            Err(crate::Error::NotFound("member")) => return Ok(()),
            outcome => return outcome,
        }
    }
}
