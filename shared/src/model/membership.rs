//! Joining and leaving: regions, members, requests, invitations and the
//! pure rule that decides whether a joiner joins or asks.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    AccountId, DirectAdmission, DomainProof, EmailAddress, Group, SsoProvider, TokenHash, TokenKind,
};
use crate::error::FieldError;

/// Where a member's data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Region {
    /// US West.
    #[serde(rename = "us-west")]
    UsWest,
    /// US East.
    #[serde(rename = "us-east")]
    UsEast,
    /// EU Central.
    #[serde(rename = "eu-central")]
    EuCentral,
}

impl Region {
    /// Every region a joiner may pick.
    pub const ALL: [Region; 3] = [Region::UsWest, Region::UsEast, Region::EuCentral];

    /// Its code, as serialised (`us-west`, ...): for text outside JSON,
    /// e.g. the report's CSV.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::UsWest => "us-west",
            Region::UsEast => "us-east",
            Region::EuCentral => "eu-central",
        }
    }

    /// Parses a region code.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        serde_json::from_value(serde_json::Value::String(raw.to_owned()))
            .map_err(|_| FieldError::new(field, "must be one of us-west, us-east, eu-central"))
    }
}

/// What joining leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JoinOutcome {
    /// Becomes a member now.
    Join,
    /// Files a membership request for an admin.
    Request,
}

/// Why a joiner joins, or that they ask.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// An email invitation addressed to the joiner's verified address: the
    /// admin's acceptance.
    Invited,
    /// The group's policy lets them in (see [`super::JoinPolicy::admits_directly`]).
    Direct(DirectAdmission),
    /// They file a membership request.
    Request,
}

impl Admission {
    /// What the joiner is told.
    pub fn outcome(&self) -> JoinOutcome {
        match self {
            Self::Invited | Self::Direct(_) => JoinOutcome::Join,
            Self::Request => JoinOutcome::Request,
        }
    }
}

/// The product rule (DESIGN §3): with a verified address, auto-approve
/// joins, a listed domain whose DNS proof (`proof`: the joiner's domain's,
/// as read) is verified joins, and an email invitation addressed to that
/// address counts as the admin's acceptance; everyone else (every
/// unverified address) asks.
pub fn admission(
    group: &Group,
    via: &TokenKind,
    email: &EmailAddress,
    email_verified: bool,
    proof: Option<&DomainProof>,
) -> Admission {
    if via.invites(email, email_verified) {
        return Admission::Invited;
    }
    match group
        .join_policy
        .admits_directly(email, email_verified, proof)
    {
        Some(direct) => Admission::Direct(direct),
        None => Admission::Request,
    }
}

/// [`admission`]'s outcome.
pub fn join_outcome(
    group: &Group,
    via: &TokenKind,
    email: &EmailAddress,
    email_verified: bool,
    proof: Option<&DomainProof>,
) -> JoinOutcome {
    admission(group, via, email, email_verified, proof).outcome()
}

/// A member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The account.
    pub account_id: AccountId,
    /// Its email at joining.
    pub email: EmailAddress,
    /// Where its data lives.
    pub region: Region,
    /// When it joined.
    #[serde(with = "time::serde::rfc3339")]
    pub joined_at: OffsetDateTime,
    /// Accepted administrator access (managed groups).
    pub managed_access_accepted: bool,
    /// Accepted 30-day version history.
    pub version_history_accepted: bool,
}

/// A pending membership request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipRequest {
    /// The requesting account.
    pub account_id: AccountId,
    /// Its email.
    pub email: EmailAddress,
    /// Chosen region.
    pub region: Region,
    /// When it asked.
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    /// Accepted administrator access.
    pub managed_access_accepted: bool,
    /// Accepted 30-day version history.
    pub version_history_accepted: bool,
    /// Whether the identity provider verified the requester's email: an
    /// unverified one may be anybody's, which admins see before approving
    /// (and to which the service sends no mail). Requests filed before this
    /// was recorded count as unverified.
    #[serde(default)]
    pub email_verified: bool,
    /// The group SSO provider the requester signed in with when asking
    /// (absent: a password), so an approval admits the request only if the
    /// group's SSO setting, when decided, admits that session
    /// (`Group::admits_request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sso_provider: Option<SsoProvider>,
}

impl MembershipRequest {
    /// The member this request becomes when approved.
    pub fn approve(&self, now: OffsetDateTime) -> Member {
        Member {
            account_id: self.account_id.clone(),
            email: self.email.clone(),
            region: self.region,
            joined_at: now,
            managed_access_accepted: self.managed_access_accepted,
            version_history_accepted: self.version_history_accepted,
        }
    }
}

/// A pending email invitation as admins see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    /// Invitee.
    pub email: EmailAddress,
    /// Hash of the live token (never shown).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub token_hash: Option<TokenHash>,
    /// When the token stops working (stored as epoch seconds `validUntil`;
    /// the item's TTL `expiresAt` comes a grace period later, so admins see
    /// it expired and can resend it meanwhile).
    #[serde(rename = "validUntil", with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
    /// When it was last sent.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// Who sent it.
    pub invited_by: AccountId,
    /// How many times it was sent again (capped, see `ResendLimits`).
    #[serde(default)]
    pub resends: u32,
}

/// How long an email invitation stays valid: whole days, 1 to 30.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvitationValidity(i64);

impl InvitationValidity {
    const DAYS: std::ops::RangeInclusive<i64> = 1..=30;

    /// Seven days, when the admin does not say.
    pub const DEFAULT: Self = Self(7);

    /// The admin's choice, or the default.
    pub fn parse(field: &str, days: Option<i64>) -> Result<Self, FieldError> {
        match days {
            None => Ok(Self::DEFAULT),
            Some(d) if Self::DAYS.contains(&d) => Ok(Self(d)),
            Some(_) => Err(FieldError::new(field, "must be between 1 and 30")),
        }
    }

    /// What an earlier invitation was sent with (a resend keeps it), brought
    /// into range.
    pub fn of(invitation: &Invitation) -> Self {
        let days = (invitation.expires_at - invitation.sent_at).whole_days();
        Self(days.clamp(*Self::DAYS.start(), *Self::DAYS.end()))
    }

    /// As a duration.
    pub fn duration(self) -> time::Duration {
        time::Duration::days(self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::{
        AdminReportEmails, Approval, DomainState, EmailCadence, EmailDomain, GroupId, GroupName,
        JoinPolicy, NewGroup, Product,
    };

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse("e", s).expect("email")
    }

    fn group(approval: Approval, domains: &[&str]) -> Group {
        NewGroup {
            name: GroupName::parse("n", "G").expect("name"),
            products: BTreeSet::from([Product::B2]),
            managed: true,
            join_policy: JoinPolicy {
                approval,
                auto_accept_domains: domains
                    .iter()
                    .map(|d| EmailDomain::parse("d", d).expect("domain"))
                    .collect(),
            },
            sso: BTreeSet::new(),
            member_summary_emails: EmailCadence::Weekly,
            admin_report_emails: AdminReportEmails::default(),
            version_history_30_days: false,
            admin_notifications: true,
        }
        .into_group(
            GroupId::new(),
            AccountId::parse("a", "admin").expect("id"),
            email("admin@initech.com"),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn join_outcome_follows_the_policy() {
        use Approval::*;
        use JoinOutcome::*;
        let ana = email("ana@initech.com");
        let invited_ana = TokenKind::Invitation { email: ana.clone() };
        let invited_bo = TokenKind::Invitation {
            email: email("bo@initech.com"),
        };
        let cases = [
            (
                group(Restricted, &[]),
                TokenKind::Link,
                true,
                Request,
                "restricted link",
            ),
            (
                group(Restricted, &[]),
                invited_ana.clone(),
                true,
                Join,
                "invitation to this verified email",
            ),
            (
                group(Restricted, &[]),
                invited_ana.clone(),
                false,
                Request,
                "invitation, email unverified",
            ),
            (
                group(Restricted, &[]),
                invited_bo,
                true,
                Request,
                "someone else's invitation",
            ),
            (
                group(Restricted, &["initech.com"]),
                TokenKind::Link,
                true,
                Join,
                "accepted domain, proven, verified",
            ),
            (
                group(Restricted, &["initech.com"]),
                TokenKind::Link,
                false,
                Request,
                "accepted domain, unverified",
            ),
            (
                group(Restricted, &["initech.co"]),
                TokenKind::Link,
                true,
                Request,
                "other domain",
            ),
            (
                group(AutoApproveAll, &[]),
                TokenKind::Link,
                true,
                Join,
                "auto-approve, verified",
            ),
            (
                group(AutoApproveAll, &[]),
                TokenKind::Link,
                false,
                Request,
                "auto-approve, unverified: asks",
            ),
        ];
        for (group, via, verified, expected, case) in cases {
            let proof = proven(&group, "initech.com", DomainState::Verified);
            assert_eq!(
                join_outcome(&group, &via, &ana, verified, proof.as_ref()),
                expected,
                "{case}"
            );
        }
    }

    /// The group's proof of `domain` in `state` (`None` when not listed).
    fn proven(group: &Group, domain: &str, state: DomainState) -> Option<DomainProof> {
        let domain = EmailDomain::parse("d", domain).expect("valid domain");
        group
            .join_policy
            .auto_accept_domains
            .contains(&domain)
            .then(|| {
                let mut p = DomainProof::new(group.id, domain, OffsetDateTime::UNIX_EPOCH);
                p.state = state;
                p
            })
    }

    #[test]
    fn a_listed_domain_admits_only_while_its_proof_is_verified() {
        let ana = email("ana@initech.com");
        let g = group(Approval::Restricted, &["initech.com"]);
        let cases = [
            (None, Admission::Request, "listed before proofs: unverified"),
            (
                proven(&g, "initech.com", DomainState::Pending),
                Admission::Request,
                "pending",
            ),
            (
                proven(&g, "initech.com", DomainState::Suspended),
                Admission::Request,
                "suspended",
            ),
            (
                proven(&g, "initech.com", DomainState::Verified),
                Admission::Direct(DirectAdmission::ProvenDomain(
                    EmailDomain::parse("d", "initech.com").expect("valid"),
                )),
                "verified",
            ),
        ];
        for (proof, expected, case) in cases {
            assert_eq!(
                admission(&g, &TokenKind::Link, &ana, true, proof.as_ref()),
                expected,
                "{case}"
            );
        }
        let invited = TokenKind::Invitation { email: ana.clone() };
        assert_eq!(
            admission(&g, &invited, &ana, true, None),
            Admission::Invited,
            "an invitation to the address needs no proof"
        );
    }

    #[test]
    fn invitation_validity_is_one_to_thirty_days() {
        let cases = [
            (None, Some(7)),
            (Some(1), Some(1)),
            (Some(30), Some(30)),
            (Some(0), None),
            (Some(31), None),
            (Some(-3), None),
        ];
        for (days, expected) in cases {
            let parsed = InvitationValidity::parse("expiresInDays", days).ok();
            assert_eq!(
                parsed.map(|v| v.duration().whole_days()),
                expected,
                "{days:?}"
            );
        }
        let sent = OffsetDateTime::UNIX_EPOCH;
        let invitation = |days: i64| Invitation {
            email: email("ana@initech.com"),
            token_hash: None,
            expires_at: sent + time::Duration::days(days),
            sent_at: sent,
            invited_by: AccountId::parse("a", "admin").expect("id"),
            resends: 0,
        };
        assert_eq!(
            InvitationValidity::of(&invitation(12))
                .duration()
                .whole_days(),
            12
        );
        assert_eq!(
            InvitationValidity::of(&invitation(90))
                .duration()
                .whole_days(),
            30
        );
        assert_eq!(
            InvitationValidity::of(&invitation(0))
                .duration()
                .whole_days(),
            1
        );
    }

    #[test]
    fn regions_parse_from_their_codes() {
        assert_eq!(
            Region::parse("region", "eu-central").ok(),
            Some(Region::EuCentral)
        );
        assert!(Region::parse("region", "mars").is_err());
    }
}
