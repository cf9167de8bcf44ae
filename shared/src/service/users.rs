//! "Administer a Group Account": the Users/Computers view admins of every
//! group see (managed or not: they pay), with the synopsis counters kept by
//! the writes, every member computer page by page, and one computer's
//! details with its alerts. Never file data.

use serde::{Deserialize, Serialize};

use super::groups::get_group;
use crate::api::{ComputerRow, Page, Synopsis, page};
use crate::deps::Deps;
use crate::error::{Error, Result};
use crate::identity::Caller;
use crate::model::{AccountId, Computer, ComputerId, GroupId, Member, administered_by};
use crate::repo::MembersFrom;

/// Members read per `Query` while filling a page of computers.
const MEMBERS_PER_QUERY: i32 = 100;

/// The synopsis: members, computers, alerts, bytes stored. One `BatchGetItem`.
pub async fn synopsis(deps: &Deps, caller: &Caller, gid: &GroupId) -> Result<Synopsis> {
    let (group, stats) = deps.repo.group_and_stats(gid).await?;
    let group = administered_by(group, caller)?;
    Ok(Synopsis {
        members: group.member_count,
        computers: stats.computers,
        alerts: stats.alerts,
        stored_bytes: stats.stored_bytes,
    })
}

/// Where a page of group computers resumes: in `member`'s computers, after
/// `computer` (from the first when `None`).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Position {
    member: AccountId,
    computer: Option<ComputerId>,
}

/// A page of every member computer, member by member in account-id order.
/// DynamoDB: one `GetItem`, one `Query` per 100 members walked and one
/// `Query` per member visited.
pub async fn group_computers(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    limit: usize,
    next_token: Option<&str>,
) -> Result<Page<ComputerRow>> {
    get_group(deps, caller, gid).await?;
    let resume: Option<Position> = next_token.map(page::decode).transpose()?;
    let mut rows: Vec<ComputerRow> = Vec::with_capacity(limit);
    let mut from = match &resume {
        Some(position) => MembersFrom::At(&position.member),
        None => MembersFrom::Start,
    };
    let mut last_member: AccountId;
    loop {
        let (members, more_members) = deps.repo.members_from(gid, from, MEMBERS_PER_QUERY).await?;
        let Some(last) = members.last() else {
            return Ok(Page {
                items: rows,
                next_token: None,
            });
        };
        last_member = last.account_id.clone();
        for member in &members {
            let after = resume
                .as_ref()
                .filter(|p| p.member == member.account_id)
                .and_then(|p| p.computer.as_ref());
            let room = limit - rows.len();
            let (computers, more) = deps
                .repo
                .list_computers(
                    &member.account_id,
                    i32::try_from(room).unwrap_or(i32::MAX),
                    after,
                )
                .await?;
            rows.extend(computers.iter().map(|c| row(member, c)));
            if rows.len() == limit {
                let computer = more.or_else(|| computers.last().map(|c| c.id.clone()));
                let next = Position {
                    member: member.account_id.clone(),
                    computer,
                };
                return Ok(Page {
                    items: rows,
                    next_token: Some(page::encode(&next)?),
                });
            }
        }
        if !more_members {
            return Ok(Page {
                items: rows,
                next_token: None,
            });
        }
        from = MembersFrom::After(&last_member);
    }
}

fn row(member: &Member, computer: &Computer) -> ComputerRow {
    ComputerRow {
        account_id: member.account_id.clone(),
        member_email: member.email.clone(),
        computer_id: computer.id.clone(),
        name: computer.name.clone(),
        os: computer.os.clone(),
        last_backup_at: computer.last_backup_at,
        selected_bytes: computer.selected_bytes,
        files_remaining: computer.files_remaining,
        alert_count: computer.alert_count,
    }
}

/// One member computer's details, with its alerts. One `BatchGetItem`.
pub async fn computer_details(
    deps: &Deps,
    caller: &Caller,
    gid: &GroupId,
    aid: &AccountId,
    cid: &ComputerId,
) -> Result<Computer> {
    let (group, member, computer) = deps.repo.group_member_computer(gid, aid, cid).await?;
    administered_by(group, caller)?;
    match (member, computer) {
        (Some(_), Some(computer)) => Ok(computer),
        _ => Err(Error::NotFound("computer")),
    }
}
