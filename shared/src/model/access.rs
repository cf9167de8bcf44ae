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

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use time::OffsetDateTime;

    use super::*;
    use crate::identity::SignIn;
    use crate::model::{
        AccountId, AdminEntry, AdminReportEmails, EmailAddress, EmailCadence, GroupId, GroupName,
        GroupStatus, JoinPolicy, Region, SsoProvider,
    };
    use crate::problem::ProblemKind;

    fn id(s: &str) -> AccountId {
        AccountId::parse("sub", s).expect("id")
    }

    fn email() -> EmailAddress {
        EmailAddress::parse("e", "a@example.com").expect("email")
    }

    fn group() -> Group {
        let now = OffsetDateTime::UNIX_EPOCH;
        Group {
            id: GroupId::new(),
            name: GroupName::parse("n", "Initech").expect("name"),
            products: BTreeMap::new(),
            managed: true,
            join_policy: JoinPolicy::default(),
            sso: BTreeSet::from([SsoProvider::Microsoft]),
            member_summary_emails: EmailCadence::Weekly,
            admin_report_emails: AdminReportEmails::default(),
            version_history_30_days: false,
            admin_notifications: true,
            invite_link: None,
            status: GroupStatus::Active,
            admins: BTreeMap::from([(
                id("admin"),
                AdminEntry {
                    email: email(),
                    added_at: now,
                    email_withdrawn: false,
                },
            )]),
            member_count: 1,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }

    fn member(accepted: bool) -> Member {
        Member {
            account_id: id("member"),
            email: email(),
            region: Region::UsWest,
            joined_at: OffsetDateTime::UNIX_EPOCH,
            managed_access_accepted: accepted,
            version_history_accepted: false,
        }
    }

    fn caller(who: &str, sign_in: SignIn) -> Caller {
        Caller {
            account_id: id(who),
            email: email(),
            email_verified: true,
            sign_in,
        }
    }

    #[test]
    fn an_admin_acts_for_a_member_only_from_a_session_the_group_admits() {
        let microsoft = caller("admin", SignIn::Sso(SsoProvider::Microsoft));
        assert!(acting_for(Some(group()), Some(member(true)), &microsoft).is_ok());
        // A password admin is told why, whatever the member: nothing is
        // learnt of members from a session that may not act.
        for member in [Some(member(true)), Some(member(false)), None] {
            let refused = acting_for(Some(group()), member, &caller("admin", SignIn::Password));
            assert_eq!(
                refused.map(drop).map_err(|e| e.kind()),
                Err(ProblemKind::SsoRequired)
            );
        }
        // Everyone else still gets the missing group's 404.
        let outsider = acting_for(
            Some(group()),
            Some(member(true)),
            &caller("x", SignIn::Password),
        );
        assert_eq!(
            outsider.map(drop).map_err(|e| e.kind()),
            Err(ProblemKind::NotFound)
        );
    }
}
