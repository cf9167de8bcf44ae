//! The one rule of managed access ("Access and Manage a Member's Account"):
//! an admin may act on a member's account only when the group is managed,
//! the member accepted managed access when joining, and the caller
//! administers that group now. Every other caller (outsiders, the member,
//! fellow members, admins of other or unmanaged groups) gets the same 404 as
//! a missing group, so nobody learns whether the group or the member exists.

use super::{AccountId, Group, Member};
use crate::error::{Error, Result};

/// The group and member when `caller` may act on `member`'s account; the
/// outsiders' 404 otherwise. Writes repeat the rule as transaction
/// conditions (see `repo::access`), so a change of admins or of the group
/// between this read and the write is refused by the database.
pub fn acting_for(
    group: Option<Group>,
    member: Option<Member>,
    caller: &AccountId,
) -> Result<(Group, Member)> {
    let not_found = || Error::NotFound("group");
    let group = group.filter(|g| g.managed && g.is_admin(caller) && g.ensure_active().is_ok());
    let member = member.filter(|m| m.managed_access_accepted && &m.account_id != caller);
    match (group, member) {
        (Some(group), Some(member)) => Ok((group, member)),
        _ => Err(not_found()),
    }
}
