//! The one rule of managed access ("Access and Manage a Member's Account"):
//! an admin may act on a member's account only when the group is managed,
//! the member accepted managed access when joining, and the caller
//! administers that group now. Every other caller (outsiders, the member,
//! fellow members, admins of other or unmanaged groups) gets the same 404 as
//! a missing group, so nobody learns whether the group or the member exists.

use super::{Group, Member};
use crate::error::{Error, Result};
use crate::identity::Caller;

/// The group and member when `caller` may act on `member`'s account; the
/// outsiders' 404 otherwise. An administrator whose session the group's
/// SSO setting does not admit is refused `sso-required` before anything is
/// said of the member ([`Group::admits_session`]). Writes repeat the rule
/// (all but the session's part, read here with the group) as transaction
/// conditions (see `repo::access`), so a change of admins or of the group
/// between this read and the write is refused by the database.
pub fn acting_for(
    group: Option<Group>,
    member: Option<Member>,
    caller: &Caller,
) -> Result<(Group, Member)> {
    let not_found = || Error::NotFound("group");
    let account = &caller.account_id;
    let group = group.filter(|g| g.managed && g.is_admin(account) && g.ensure_active().is_ok());
    if let Some(group) = &group {
        group.admits_session(caller.sign_in)?;
    }
    let member = member.filter(|m| m.managed_access_accepted && &m.account_id != account);
    match (group, member) {
        (Some(group), Some(member)) => Ok((group, member)),
        _ => Err(not_found()),
    }
}
