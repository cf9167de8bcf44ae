//! Joining and leaving: invite tokens, regions, members, requests and the
//! pure rule that decides whether a joiner joins or asks.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{AccountId, EmailAddress, Group, GroupId};
use crate::error::FieldError;

/// Random bytes in a token: 256 bits, well above the 128-bit floor.
const SECRET_BYTES: usize = 32;

/// A secret invite token as handed to people: base64url of the group id
/// (so a join needs one read, not a lookup chain) followed by 256 random bits.
/// Only its SHA-256 is ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken(String);

impl fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteToken(..)")
    }
}

/// The stored form of a token: hex SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    /// Hex digest, used in keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time equality, for comparing a presented token's hash with a stored one.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl InviteToken {
    /// A fresh token for `group`.
    pub fn generate(group: &GroupId) -> Self {
        let mut bytes = Vec::with_capacity(16 + SECRET_BYTES);
        bytes.extend_from_slice(group.as_bytes());
        bytes.extend_from_slice(&rand::random::<[u8; SECRET_BYTES]>());
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Parses a presented token; malformed tokens are indistinguishable from unknown ones.
    pub fn parse(raw: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
        (bytes.len() == 16 + SECRET_BYTES).then(|| Self(raw.trim().to_owned()))
    }

    /// The group the token was issued for.
    pub fn group_id(&self) -> Option<GroupId> {
        let bytes = URL_SAFE_NO_PAD.decode(&self.0).ok()?;
        let id: [u8; 16] = bytes.get(..16)?.try_into().ok()?;
        Some(GroupId::from_bytes(id))
    }

    /// What is stored.
    pub fn hash(&self) -> TokenHash {
        TokenHash(format!("{:x}", Sha256::digest(self.0.as_bytes())))
    }

    /// The token text, to show exactly once (or put in an email).
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

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

    /// Parses a region code.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        serde_json::from_value(serde_json::Value::String(raw.to_owned()))
            .map_err(|_| FieldError::new(field, "must be one of us-west, us-east, eu-central"))
    }
}

/// How a joiner arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum TokenKind {
    /// The group's shared invite link.
    Link,
    /// A personal email invitation.
    Invitation {
        /// The address it was sent to.
        email: EmailAddress,
    },
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

/// The product rule (DESIGN §3): auto-approve joins; a verified address in
/// an accepted domain joins; an email invitation addressed to the joiner's
/// own verified address counts as the admin's acceptance; everyone else asks.
pub fn join_outcome(
    group: &Group,
    via: &TokenKind,
    email: &EmailAddress,
    email_verified: bool,
) -> JoinOutcome {
    let invited_here = matches!(via, TokenKind::Invitation { email: invited } if email_verified && invited == email);
    if invited_here || group.join_policy.admits_directly(email, email_verified) {
        JoinOutcome::Join
    } else {
        JoinOutcome::Request
    }
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
    /// When the token stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// When it was last sent.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// Who sent it.
    pub invited_by: AccountId,
}

/// Validity of invitations, in days.
pub const INVITATION_DAYS: std::ops::RangeInclusive<i64> = 1..=30;
/// Default validity.
pub const DEFAULT_INVITATION_DAYS: i64 = 7;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::model::{
        AdminReportEmails, Approval, EmailCadence, EmailDomain, GroupName, JoinPolicy, NewGroup,
        Product,
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
    fn tokens_are_long_random_and_carry_their_group() {
        let gid = GroupId::new();
        let a = InviteToken::generate(&gid);
        let b = InviteToken::generate(&gid);
        assert_ne!(a, b);
        assert!(
            a.reveal().len() >= 64,
            "≥ 256 random bits plus the group id"
        );
        let parsed = InviteToken::parse(a.reveal()).expect("parses");
        assert_eq!(parsed.group_id(), Some(gid));
        assert!(parsed.hash().matches(&a.hash()));
        assert!(!a.hash().matches(&b.hash()));
        assert!(!a.hash().as_str().contains(a.reveal()));
        for bad in ["", "abc", "!!!!", &a.reveal()[1..]] {
            assert!(InviteToken::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(format!("{a:?}"), "InviteToken(..)", "never printed");
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
                "accepted domain, verified",
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
                false,
                Join,
                "auto-approve",
            ),
        ];
        for (group, via, verified, expected, case) in cases {
            assert_eq!(
                join_outcome(&group, &via, &ana, verified),
                expected,
                "{case}"
            );
        }
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
