//! Caps on what one signed-in account can make the service do, so a hostile
//! but verified user cannot get the shared SES account paused for everyone:
//! groups created and invitations sent per day, resends of one invitation.
//! Each refusal says when it lifts (`Retry-After`).

use time::{Duration, OffsetDateTime, Time};

use crate::error::{Error, Result};
use crate::problem::ProblemKind;

use super::Invitation;

/// A count that starts again at midnight UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DailyCap {
    /// Email invitations (sends and resends) of one group.
    GroupInvitations,
    /// Email invitations (sends and resends) by one account, over all its groups.
    AccountInvitations,
    /// Groups created by one account.
    AccountGroups,
}

impl DailyCap {
    /// Why a charge of this cap was refused, and when it lifts.
    pub fn refusal(self, cap: u32, now: OffsetDateTime) -> Error {
        let (kind, detail) = match self {
            Self::GroupInvitations => (
                ProblemKind::InviteLimit,
                format!("a group may send at most {cap} invitations per day; try again tomorrow"),
            ),
            Self::AccountInvitations => (
                ProblemKind::InviteLimit,
                format!(
                    "one account may send at most {cap} invitations per day over all its groups; try again tomorrow"
                ),
            ),
            Self::AccountGroups => (
                ProblemKind::GroupLimit,
                format!("one account may create at most {cap} groups per day; try again tomorrow"),
            ),
        };
        Error::refused_for(kind, detail, until_tomorrow(now))
    }
}

/// Time left until the next UTC midnight, when daily counts start again.
pub fn until_tomorrow(now: OffsetDateTime) -> std::time::Duration {
    let now = now.to_offset(time::UtcOffset::UTC);
    let midnight = (now.date() + Duration::days(1))
        .with_time(Time::MIDNIGHT)
        .assume_utc();
    (midnight - now).unsigned_abs()
}

/// How often one invitation may be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResendLimits {
    /// Resends of one invitation, in all.
    pub max: u32,
    /// Time between two sends of one invitation.
    pub interval: Duration,
}

impl Default for ResendLimits {
    /// One an hour, three in all.
    fn default() -> Self {
        Self {
            max: 3,
            interval: Duration::hours(1),
        }
    }
}

impl ResendLimits {
    /// The rule for resending `invitation` now. The repository writes the
    /// resend only if the invitation is still the one checked here.
    pub fn check(self, invitation: &Invitation, now: OffsetDateTime) -> Result<()> {
        if invitation.resends >= self.max {
            // No wait lifts this: revoke and invite again (counted by the daily caps).
            return Err(Error::refused(
                ProblemKind::ResendLimit,
                format!(
                    "this invitation was already resent {} times; revoke it and invite again if needed",
                    self.max
                ),
            ));
        }
        let next = invitation.sent_at + self.interval;
        if now < next {
            return Err(Error::refused_for(
                ProblemKind::ResendLimit,
                format!(
                    "an invitation may be resent once every {} minutes",
                    self.interval.whole_minutes()
                ),
                (next - now).unsigned_abs(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::model::{AccountId, EmailAddress};

    #[test]
    fn daily_caps_lift_at_midnight_utc() {
        let now = datetime!(2026-11-27 21:30:00 UTC);
        let refusal = DailyCap::AccountGroups.refusal(3, now);
        assert_eq!(refusal.kind(), ProblemKind::GroupLimit);
        assert_eq!(
            refusal.retry_after(),
            Some(std::time::Duration::from_secs(9_000))
        );
        let elsewhere = datetime!(2026-11-28 00:30:00 +03:00);
        assert_eq!(
            until_tomorrow(elsewhere),
            std::time::Duration::from_secs(9_000)
        );
    }

    fn sent(at: OffsetDateTime, resends: u32) -> Invitation {
        Invitation {
            email: EmailAddress::parse("x", "ivy@contoso.com").expect("email"),
            token_hash: None,
            expires_at: at + Duration::days(7),
            sent_at: at,
            invited_by: AccountId::parse("x", "a").expect("id"),
            resends,
        }
    }

    #[test]
    fn an_invitation_is_resent_at_most_hourly_and_three_times() {
        let limits = ResendLimits::default();
        let at = datetime!(2026-11-27 10:00:00 UTC);
        let soon = limits
            .check(&sent(at, 0), at + Duration::minutes(20))
            .expect_err("too soon");
        assert_eq!(soon.kind(), ProblemKind::ResendLimit);
        assert_eq!(
            soon.retry_after(),
            Some(std::time::Duration::from_secs(40 * 60))
        );
        assert!(limits.check(&sent(at, 2), at + Duration::hours(1)).is_ok());
        let spent = limits
            .check(&sent(at, 3), at + Duration::days(1))
            .expect_err("three in all");
        assert_eq!(spent.kind(), ProblemKind::ResendLimit);
        assert_eq!(spent.retry_after(), None);
    }
}
