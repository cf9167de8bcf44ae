//! A group and its settings (DESIGN §3), and the pure rules that govern them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AccountId, DomainProof, EmailAddress, EmailDomain, GroupId, GroupName, TokenHash};
use crate::error::{Error, Result};
use crate::identity::{Caller, SignIn};
use crate::problem::ProblemKind;

/// Member accounts a group may hold (product limit).
pub const MAX_MEMBERS: u32 = 5_000;
/// Administrators a group may have; keeps the group item small.
pub const MAX_ADMINS: usize = 50;
/// Automatically accepted domains a group may list. Each has its proof
/// item, written in the settings edit's own transaction, and a
/// transaction holds at most 100 items: an edit replacing every domain
/// writes 2 x 40 proofs beside the group, its audit entry and its mailing
/// entries.
pub const MAX_AUTO_ACCEPT_DOMAINS: usize = 40;

/// A Backblaze service the group pays for. Products are only ever added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Product {
    /// Backblaze Computer Backup.
    ComputerBackup,
    /// Backblaze B2 Cloud Storage.
    B2,
}

/// Single sign-on providers a group allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SsoProvider {
    /// Google Workspace.
    Google,
    /// Microsoft 365.
    Microsoft,
}

impl SsoProvider {
    /// Every provider a group may list.
    pub const ALL: [SsoProvider; 2] = [Self::Google, Self::Microsoft];

    /// The user pool's name for the identity provider behind this one
    /// (`ProviderName` of its `AWS::Cognito::UserPoolIdentityProvider` in
    /// `infra/template.yaml`): what Cognito writes as `providerName` in a
    /// federated user's `identities` claim, and the prefix of their
    /// `cognito:username` (`Google_<id>`). `Google` is Cognito's built-in
    /// provider; `Microsoft` is the Entra ID (OIDC) provider. The one place
    /// the code names them; a test holds the template to the same names.
    pub const fn identity_provider(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Microsoft => "Microsoft",
        }
    }

    /// The provider whose user pool name is `name` (exactly), if any.
    pub fn from_identity_provider(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.identity_provider() == name)
    }

    /// The name people know it by, for messages.
    pub const fn display_name(self) -> &'static str {
        match self {
            Self::Google => "Google",
            Self::Microsoft => "Microsoft",
        }
    }
}

/// True when a session signed in as `sign_in` satisfies the SSO setting
/// `sso`: any session when it lists no provider, else only a session
/// federated through one of those it lists.
pub fn sso_admits(sso: &BTreeSet<SsoProvider>, sign_in: SignIn) -> bool {
    sso.is_empty()
        || match sign_in {
            SignIn::Sso(provider) => sso.contains(&provider),
            SignIn::Password => false,
        }
}

/// `Google`, `Google or Microsoft`: the providers of a setting, for people.
fn either(sso: &BTreeSet<SsoProvider>) -> String {
    sso.iter()
        .map(|p| p.display_name())
        .collect::<Vec<_>>()
        .join(" or ")
}

/// How a session signed in, for people.
fn signed_in_as(sign_in: SignIn) -> String {
    match sign_in {
        SignIn::Password => "with a password".into(),
        SignIn::Sso(provider) => format!("with {}", provider.display_name()),
    }
}

/// The rule of an SSO setting an admin sends (on a new group or an edit):
/// it must admit the session they send it from, or they would lock
/// themself out of the group's administration with that very request
/// (refused on `sso`, naming why; they sign in with a listed provider
/// first). Other admins' sessions are theirs to mind: the setting is the
/// group's policy.
pub fn ensure_sso_keeps_caller(sso: &BTreeSet<SsoProvider>, sign_in: SignIn) -> Result<()> {
    if sso_admits(sso, sign_in) {
        return Ok(());
    }
    Err(Error::invalid(
        "sso",
        format!(
            "you are signed in {}: requiring {} would lock you out of this group; sign in with {} first",
            signed_in_as(sign_in),
            either(sso),
            either(sso),
        ),
    ))
}

/// How often a scheduled email goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EmailCadence {
    /// Never.
    Off,
    /// Every week.
    #[default]
    Weekly,
    /// Every month.
    Monthly,
}

/// The administrators' backup report email setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminReportEmails {
    /// How often admins get the report.
    pub cadence: EmailCadence,
    /// Attach the User Stats CSV instead of only linking to it.
    #[serde(default)]
    pub attach_csv: bool,
}

/// Whether people outside the accepted domains need an administrator's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Approval {
    /// Everyone outside the accepted domains files a membership request.
    #[default]
    Restricted,
    /// Anyone with the link joins without approval.
    AutoApproveAll,
}

/// Who joins directly and who must ask.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinPolicy {
    /// The approval rule for everyone not covered by a domain.
    pub approval: Approval,
    /// Domains whose verified addresses join without approval.
    #[serde(default)]
    pub auto_accept_domains: BTreeSet<EmailDomain>,
}

/// Why a joiner joins without an administrator's approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectAdmission {
    /// The group lets in everyone with a verified address.
    Everyone,
    /// The joiner's domain is listed and its proof verified; the join's
    /// write checks the proof again, so a suspension racing it wins.
    ProvenDomain(EmailDomain),
}

impl JoinPolicy {
    /// The listed domain `email` is in, if any (exact match only).
    pub fn listed_domain(&self, email: &EmailAddress) -> Option<&EmailDomain> {
        self.auto_accept_domains
            .iter()
            .find(|d| email.is_in_domain(d))
    }

    /// The product rule: auto-approve lets everyone in and a listed domain
    /// lets in an address of exactly that domain, but only a *verified*
    /// address joins by any policy (an unverified one may be anybody's),
    /// and a domain only once its DNS proof (`proof`, the joiner's domain's,
    /// as read) is verified: listing a domain proves nothing. Everyone else
    /// asks.
    pub fn admits_directly(
        &self,
        email: &EmailAddress,
        email_verified: bool,
        proof: Option<&DomainProof>,
    ) -> Option<DirectAdmission> {
        if !email_verified {
            return None;
        }
        match self.approval {
            Approval::AutoApproveAll => Some(DirectAdmission::Everyone),
            Approval::Restricted => {
                let listed = self.listed_domain(email)?;
                proof
                    .filter(|p| &p.domain == listed && p.auto_accepts())
                    .map(|_| DirectAdmission::ProvenDomain(listed.clone()))
            }
        }
    }
}

/// Lifecycle state; dissolved groups accept no changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum GroupStatus {
    /// In use.
    #[default]
    Active,
    /// Dissolution confirmed and under way: no joins, invitations or edits.
    Dissolving,
    /// Dissolved: kept for history only.
    Dissolved,
}

/// One administrator as recorded on the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminEntry {
    /// The admin's address as of their last sign-in (for display and
    /// notifications).
    pub email: EmailAddress,
    /// When they became an admin.
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    /// The address passed to another account (who now signs in with it):
    /// it is mailed nothing on this admin's behalf until they sign in again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub email_withdrawn: bool,
}

/// A group as stored: settings, admins (on the item itself so every
/// authorisation check is a condition on one item) and the member count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Identifier.
    pub id: GroupId,
    /// Display name.
    pub name: GroupName,
    /// Products and when each was added; keys are never removed.
    pub products: BTreeMap<Product, String>,
    /// Whether admins may act on members' accounts; fixed at creation.
    pub managed: bool,
    /// Who joins directly.
    pub join_policy: JoinPolicy,
    /// Allowed SSO providers.
    #[serde(default)]
    pub sso: BTreeSet<SsoProvider>,
    /// Members' backup summary emails.
    pub member_summary_emails: EmailCadence,
    /// Admins' report emails.
    pub admin_report_emails: AdminReportEmails,
    /// Ask joiners to accept 30-day version history.
    #[serde(default)]
    pub version_history_30_days: bool,
    /// Email admins when someone requests to join or joins.
    #[serde(default = "yes")]
    pub admin_notifications: bool,
    /// The shared invite link, when enabled (only its hash is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_link: Option<InviteLinkState>,
    /// Lifecycle state.
    pub status: GroupStatus,
    /// Administrators by account id.
    pub admins: BTreeMap<AccountId, AdminEntry>,
    /// Member accounts currently in the group.
    pub member_count: u32,
    /// Incremented on every change.
    pub version: u64,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

fn yes() -> bool {
    true
}

/// The group's one live invite link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteLinkState {
    /// SHA-256 of the link token.
    pub token_hash: TokenHash,
    /// When it was created (rotation makes a new one).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl Group {
    /// The email addresses of every admin (for notifications), but those
    /// that passed to another account.
    pub fn admin_emails(&self) -> Vec<EmailAddress> {
        self.admins
            .values()
            .filter(|a| !a.email_withdrawn)
            .map(|a| a.email.clone())
            .collect()
    }

    /// True when `account` administers this group.
    pub fn is_admin(&self, account: &AccountId) -> bool {
        self.admins.contains_key(account)
    }

    /// The rule for every change: a dissolved group accepts none.
    pub fn ensure_active(&self) -> Result<()> {
        match self.status {
            GroupStatus::Active => Ok(()),
            GroupStatus::Dissolving => Err(Error::refused(
                ProblemKind::GroupDissolved,
                "the group is being dissolved",
            )),
            GroupStatus::Dissolved => Err(Error::refused(
                ProblemKind::GroupDissolved,
                "the group has been dissolved",
            )),
        }
    }

    /// The rule of the group's single sign-on setting ("Group Single
    /// Sign-On"), the one place it is decided: when the group lists SSO
    /// providers, only a session federated through one of them may join
    /// it (by invitation, link, request or "add myself") or act in it as an
    /// administrator; otherwise any session may. Refused as `sso-required`,
    /// naming the providers that would do. Callers check who may act first
    /// (an outsider learns nothing of the setting), then this.
    pub fn admits_session(&self, sign_in: SignIn) -> Result<()> {
        if sso_admits(&self.sso, sign_in) {
            return Ok(());
        }
        Err(Error::sso_required(
            &self.sso,
            format!(
                "this group admits only sessions signed in with {}; you are signed in {}: sign in with {} and try again",
                either(&self.sso),
                signed_in_as(sign_in),
                either(&self.sso),
            ),
        ))
    }

    /// The rule for approving a request filed signed in as `sign_in`: the
    /// same SSO rule as a join, applied to the requester's session when
    /// they asked (the group's setting may have changed since).
    pub fn admits_request(&self, sign_in: SignIn) -> Result<()> {
        if sso_admits(&self.sso, sign_in) {
            return Ok(());
        }
        Err(Error::sso_required(
            &self.sso,
            format!(
                "the requester asked signed in {}, and this group now admits only sessions signed in with {}: they must ask again signed in with {}",
                signed_in_as(sign_in),
                either(&self.sso),
                either(&self.sso),
            ),
        ))
    }

    /// The rule for a new member: the group has room under `max_members`.
    pub fn ensure_room(&self, max_members: u32) -> Result<()> {
        if self.member_count >= max_members {
            return Err(Error::refused(
                ProblemKind::GroupFull,
                "the group has reached its member limit",
            ));
        }
        Ok(())
    }
}

/// The group, if `account` administers it; otherwise the same 404 as a
/// missing group, so outsiders learn nothing. Who administers, only: an
/// operation a caller asks for goes through [`administered_by`], which adds
/// the session's rule.
pub fn administered_by_account(group: Option<Group>, account: &AccountId) -> Result<Group> {
    group
        .filter(|g| g.is_admin(account))
        .ok_or(Error::NotFound("group"))
}

/// The rule for every admin operation: the group, if the caller
/// administers it (otherwise the same 404 as a missing group, so outsiders
/// learn nothing) and their session satisfies its SSO setting
/// ([`Group::admits_session`]; otherwise `sso-required`).
pub fn administered_by(group: Option<Group>, caller: &Caller) -> Result<Group> {
    let group = administered_by_account(group, &caller.account_id)?;
    group.admits_session(caller.sign_in)?;
    Ok(group)
}

/// A validated request to create a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    /// Display name.
    pub name: GroupName,
    /// At least one product.
    pub products: BTreeSet<Product>,
    /// Fixed for the group's life.
    pub managed: bool,
    /// Join policy.
    pub join_policy: JoinPolicy,
    /// SSO providers.
    pub sso: BTreeSet<SsoProvider>,
    /// Member summary emails.
    pub member_summary_emails: EmailCadence,
    /// Admin report emails.
    pub admin_report_emails: AdminReportEmails,
    /// Ask joiners to accept 30-day version history.
    pub version_history_30_days: bool,
    /// Email admins about requests and joins.
    pub admin_notifications: bool,
}

impl NewGroup {
    /// Builds the stored group with `creator` as its first admin.
    pub fn into_group(
        self,
        id: GroupId,
        creator: AccountId,
        creator_email: EmailAddress,
        now: OffsetDateTime,
    ) -> Group {
        let stamp = rfc3339(now);
        Group {
            id,
            name: self.name,
            products: self
                .products
                .into_iter()
                .map(|p| (p, stamp.clone()))
                .collect(),
            managed: self.managed,
            join_policy: self.join_policy,
            sso: self.sso,
            member_summary_emails: self.member_summary_emails,
            admin_report_emails: self.admin_report_emails,
            version_history_30_days: self.version_history_30_days,
            admin_notifications: self.admin_notifications,
            invite_link: None,
            status: GroupStatus::Active,
            admins: BTreeMap::from([(
                creator,
                AdminEntry {
                    email: creator_email,
                    added_at: now,
                    email_withdrawn: false,
                },
            )]),
            member_count: 0,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

/// A validated edit. `None` leaves a setting as it is. There is no way to
/// remove a product or change `managed`: the type cannot express it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// New name.
    pub name: Option<GroupName>,
    /// Products to add (existing ones stay).
    pub add_products: BTreeSet<Product>,
    /// New approval rule.
    pub approval: Option<Approval>,
    /// Replacement list of auto-accepted domains.
    pub auto_accept_domains: Option<BTreeSet<EmailDomain>>,
    /// Replacement set of SSO providers.
    pub sso: Option<BTreeSet<SsoProvider>>,
    /// Member summary email cadence.
    pub member_summary_emails: Option<EmailCadence>,
    /// Admin report email setting.
    pub admin_report_emails: Option<AdminReportEmails>,
    /// 30-day version history requirement.
    pub version_history_30_days: Option<bool>,
    /// Admin notification switch.
    pub admin_notifications: Option<bool>,
}

impl GroupChanges {
    /// True when the edit would change nothing (rejected: an empty PATCH is a client bug).
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// The settings the edit changes, by their API names (for the audit log).
    pub fn fields(&self) -> Vec<&'static str> {
        let named = [
            ("name", self.name.is_some()),
            ("addProducts", !self.add_products.is_empty()),
            ("approval", self.approval.is_some()),
            ("autoAcceptDomains", self.auto_accept_domains.is_some()),
            ("sso", self.sso.is_some()),
            ("memberSummaryEmails", self.member_summary_emails.is_some()),
            ("adminReportEmails", self.admin_report_emails.is_some()),
            (
                "versionHistory30Days",
                self.version_history_30_days.is_some(),
            ),
            ("adminNotifications", self.admin_notifications.is_some()),
        ];
        named
            .into_iter()
            .filter_map(|(field, changed)| changed.then_some(field))
            .collect()
    }

    /// Applies the edit in memory: the same rules the repository's update expression encodes.
    pub fn apply_to(&self, group: &mut Group, now: OffsetDateTime) {
        if let Some(name) = &self.name {
            group.name = name.clone();
        }
        for product in &self.add_products {
            group
                .products
                .entry(*product)
                .or_insert_with(|| rfc3339(now));
        }
        if let Some(approval) = self.approval {
            group.join_policy.approval = approval;
        }
        if let Some(domains) = &self.auto_accept_domains {
            group.join_policy.auto_accept_domains = domains.clone();
        }
        if let Some(sso) = &self.sso {
            group.sso = sso.clone();
        }
        if let Some(c) = self.member_summary_emails {
            group.member_summary_emails = c;
        }
        if let Some(r) = self.admin_report_emails {
            group.admin_report_emails = r;
        }
        if let Some(v) = self.version_history_30_days {
            group.version_history_30_days = v;
        }
        if let Some(v) = self.admin_notifications {
            group.admin_notifications = v;
        }
        group.version += 1;
        group.updated_at = now;
    }
}

// Days (usage records, renewals) as `YYYY-MM-DD`, stored and returned. The
// macro names the type by a bare identifier and uses it inside the module it
// generates, where the lint cannot see the use.
#[allow(unused_imports)]
use time::Date;
time::serde::format_description!(pub day, Date, "[year]-[month]-[day]");

/// RFC 3339 text for a time; the one format stored and returned.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DomainState;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse("e", s).expect("valid email")
    }

    fn policy(approval: Approval, domains: &[&str]) -> JoinPolicy {
        JoinPolicy {
            approval,
            auto_accept_domains: domains
                .iter()
                .map(|d| EmailDomain::parse("d", d).expect("valid domain"))
                .collect(),
        }
    }

    fn proof(domain: &str, state: DomainState) -> DomainProof {
        let mut p = DomainProof::new(
            GroupId::new(),
            EmailDomain::parse("d", domain).expect("valid domain"),
            OffsetDateTime::UNIX_EPOCH,
        );
        p.state = state;
        p
    }

    #[test]
    fn join_policy_decides_who_joins_directly() {
        use Approval::*;
        use DomainState::*;
        let proven = |d: &str| {
            Some(DirectAdmission::ProvenDomain(
                EmailDomain::parse("d", d).expect("valid"),
            ))
        };
        let cases = [
            (
                policy(Restricted, &[]),
                "ana@example.com",
                true,
                None,
                None,
                "restricted, no domains",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com",
                true,
                Some(proof("example.com", Verified)),
                proven("example.com"),
                "listed domain, proven, verified address",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com",
                true,
                None,
                None,
                "listed domain without a proof (listed before proofs existed)",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com",
                true,
                Some(proof("example.com", Pending)),
                None,
                "listed domain, record never found",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com",
                true,
                Some(proof("example.com", Suspended)),
                None,
                "listed domain, suspended",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com",
                true,
                Some(proof("other.com", Verified)),
                None,
                "another domain's proof",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com",
                false,
                Some(proof("example.com", Verified)),
                None,
                "listed domain, proven, unverified address",
            ),
            (
                policy(Restricted, &[]),
                "ana@example.com",
                true,
                Some(proof("example.com", Verified)),
                None,
                "a proof left for a domain no longer listed",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@evil-example.com",
                true,
                Some(proof("example.com", Verified)),
                None,
                "look-alike prefix",
            ),
            (
                policy(Restricted, &["example.com"]),
                "ana@example.com.evil.net",
                true,
                Some(proof("example.com", Verified)),
                None,
                "look-alike suffix",
            ),
            (
                policy(Restricted, &["example.com", "rad.biz"]),
                "bo@rad.biz",
                true,
                Some(proof("rad.biz", Verified)),
                proven("rad.biz"),
                "second listed domain",
            ),
            (
                policy(AutoApproveAll, &[]),
                "anyone@else.org",
                false,
                None,
                None,
                "auto-approve never admits an unverified address",
            ),
            (
                policy(AutoApproveAll, &["example.com"]),
                "x@other.org",
                true,
                None,
                Some(DirectAdmission::Everyone),
                "auto-approve beats list",
            ),
        ];
        for (policy, address, verified, proof, expected, case) in cases {
            assert_eq!(
                policy.admits_directly(&email(address), verified, proof.as_ref()),
                expected,
                "{case}"
            );
        }
    }

    fn group_requiring(sso: &[SsoProvider]) -> Group {
        let creator = AccountId::parse("sub", "creator").expect("valid");
        NewGroup {
            name: GroupName::parse("n", "Initech").expect("valid"),
            products: BTreeSet::from([Product::B2]),
            managed: true,
            join_policy: JoinPolicy::default(),
            sso: sso.iter().copied().collect(),
            member_summary_emails: EmailCadence::Weekly,
            admin_report_emails: AdminReportEmails::default(),
            version_history_30_days: false,
            admin_notifications: true,
        }
        .into_group(
            GroupId::new(),
            creator,
            email("c@example.com"),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn an_sso_setting_admits_only_sessions_of_its_providers() {
        use SsoProvider::{Google, Microsoft};
        let password = SignIn::Password;
        let google = SignIn::Sso(Google);
        let microsoft = SignIn::Sso(Microsoft);
        let cases: [(&[SsoProvider], SignIn, bool); 9] = [
            (&[], password, true),
            (&[], google, true),
            (&[], microsoft, true),
            (&[Google], password, false),
            (&[Google], google, true),
            (&[Google], microsoft, false),
            (&[Google, Microsoft], password, false),
            (&[Google, Microsoft], google, true),
            (&[Google, Microsoft], microsoft, true),
        ];
        for (sso, session, admitted) in cases {
            let group = group_requiring(sso);
            let outcome = group.admits_session(session);
            assert_eq!(outcome.is_ok(), admitted, "{sso:?} {session:?}");
            assert_eq!(
                group.admits_request(session).is_ok(),
                admitted,
                "request: {sso:?} {session:?}"
            );
            assert_eq!(
                ensure_sso_keeps_caller(&group.sso, session).is_ok(),
                admitted,
                "setting: {sso:?} {session:?}"
            );
            if let Err(refusal) = outcome {
                assert_eq!(refusal.kind(), ProblemKind::SsoRequired);
                let Error::SsoRequired { providers, detail } = refusal else {
                    panic!("an sso-required refusal: {refusal:?}");
                };
                assert_eq!(providers, sso, "names the providers that would do");
                assert!(detail.contains("you are signed in with"), "{detail}");
            }
        }
    }

    #[test]
    fn the_admin_rule_is_who_administers_then_their_session() {
        let group = group_requiring(&[SsoProvider::Google]);
        let admin = |sign_in| Caller {
            account_id: AccountId::parse("sub", "creator").expect("valid"),
            email: email("c@example.com"),
            email_verified: true,
            sign_in,
        };
        let outsider = Caller {
            account_id: AccountId::parse("sub", "outsider").expect("valid"),
            ..admin(SignIn::Password)
        };
        assert!(
            administered_by(
                Some(group.clone()),
                &admin(SignIn::Sso(SsoProvider::Google))
            )
            .is_ok()
        );
        let refused = administered_by(Some(group.clone()), &admin(SignIn::Password));
        assert!(
            matches!(refused, Err(Error::SsoRequired { .. })),
            "{refused:?}"
        );
        // An outsider learns nothing of the setting: the missing group's 404.
        let hidden = administered_by(Some(group.clone()), &outsider);
        assert!(
            matches!(hidden, Err(Error::NotFound("group"))),
            "{hidden:?}"
        );
        assert!(administered_by_account(Some(group), &outsider.account_id).is_err());
    }

    #[test]
    fn provider_names_round_trip_and_nothing_else_is_one() {
        for provider in SsoProvider::ALL {
            assert_eq!(
                SsoProvider::from_identity_provider(provider.identity_provider()),
                Some(provider)
            );
        }
        for other in ["google", "GOOGLE", "Microsoft365", "SignInWithApple", ""] {
            assert_eq!(SsoProvider::from_identity_provider(other), None, "{other}");
        }
    }

    #[test]
    fn changes_add_products_and_never_remove_them() {
        let now = OffsetDateTime::UNIX_EPOCH;
        let new = NewGroup {
            name: GroupName::parse("n", "Initech").expect("valid"),
            products: BTreeSet::from([Product::ComputerBackup]),
            managed: true,
            join_policy: JoinPolicy::default(),
            sso: BTreeSet::new(),
            member_summary_emails: EmailCadence::Weekly,
            admin_report_emails: AdminReportEmails::default(),
            version_history_30_days: false,
            admin_notifications: true,
        };
        let creator = AccountId::parse("sub", "creator").expect("valid");
        let mut group =
            new.into_group(GroupId::new(), creator.clone(), email("c@example.com"), now);
        assert!(group.is_admin(&creator));
        assert_eq!(group.version, 1);

        let changes = GroupChanges {
            add_products: BTreeSet::from([Product::B2, Product::ComputerBackup]),
            ..GroupChanges::default()
        };
        changes.apply_to(&mut group, now);
        assert_eq!(
            group.products.keys().copied().collect::<Vec<_>>(),
            [Product::ComputerBackup, Product::B2]
        );
        assert!(group.managed, "managed is untouched by any change");
        assert_eq!(group.version, 2);
        assert!(GroupChanges::default().is_empty());
        assert!(!changes.is_empty());
    }

    #[test]
    fn an_admin_address_passed_to_another_account_is_mailed_nothing() {
        let mut group = NewGroup {
            name: GroupName::parse("name", "Initech").expect("name"),
            products: BTreeSet::from([Product::B2]),
            managed: false,
            join_policy: policy(Approval::Restricted, &[]),
            sso: BTreeSet::new(),
            member_summary_emails: EmailCadence::default(),
            admin_report_emails: AdminReportEmails::default(),
            version_history_30_days: false,
            admin_notifications: true,
        }
        .into_group(
            GroupId::new(),
            AccountId::parse("sub", "ana").expect("id"),
            email("ana@initech.com"),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(group.admin_emails().len(), 1);
        for entry in group.admins.values_mut() {
            entry.email_withdrawn = true;
        }
        assert!(group.admin_emails().is_empty());
    }
}
