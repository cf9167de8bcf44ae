//! Group requests and views.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, FieldError, Validator};
use crate::model::{
    AccountId, AdminReportEmails, Approval, EmailAddress, EmailCadence, EmailDomain, Group,
    GroupChanges, GroupId, GroupName, GroupStatus, JoinPolicy, MAX_AUTO_ACCEPT_DOMAINS, NewGroup,
    Product, SsoProvider,
};

/// `POST /groups`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGroupRequest {
    /// Display name.
    pub name: String,
    /// At least one product.
    pub products: Vec<Product>,
    /// Admin access to members' accounts; cannot be changed later, so it is required.
    pub managed: bool,
    /// Defaults to restricted with no domains.
    #[serde(default)]
    pub join_policy: Option<JoinPolicyRequest>,
    /// Defaults to none.
    #[serde(default)]
    pub sso: Vec<SsoProvider>,
    /// Defaults to weekly.
    #[serde(default)]
    pub member_summary_emails: EmailCadence,
    /// Defaults to weekly, CSV not attached.
    #[serde(default)]
    pub admin_report_emails: AdminReportEmails,
    /// Defaults to false.
    #[serde(default)]
    pub version_history_30_days: bool,
    /// Defaults to true.
    #[serde(default)]
    pub admin_notifications: Option<bool>,
}

/// The join policy as sent by clients.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinPolicyRequest {
    /// Restricted or auto-approve.
    #[serde(default)]
    pub approval: Option<Approval>,
    /// Domains that join directly.
    #[serde(default)]
    pub auto_accept_domains: Option<Vec<String>>,
}

fn parse_domains(v: &mut Validator, raw: &[String]) -> BTreeSet<EmailDomain> {
    if raw.len() > MAX_AUTO_ACCEPT_DOMAINS {
        v.push(FieldError::new(
            "joinPolicy.autoAcceptDomains",
            format!("at most {MAX_AUTO_ACCEPT_DOMAINS} domains"),
        ));
    }
    raw.iter()
        .enumerate()
        .filter_map(|(i, d)| {
            v.check(EmailDomain::parse(
                &format!("joinPolicy.autoAcceptDomains[{i}]"),
                d,
            ))
        })
        .collect()
}

impl TryFrom<CreateGroupRequest> for NewGroup {
    type Error = Error;

    fn try_from(req: CreateGroupRequest) -> Result<Self, Error> {
        let mut v = Validator::default();
        let name = v.check(GroupName::parse("name", &req.name));
        if req.products.is_empty() {
            v.push(FieldError::new("products", "choose at least one product"));
        }
        let (approval, domains) = match &req.join_policy {
            Some(p) => (
                p.approval.unwrap_or_default(),
                p.auto_accept_domains.as_deref().unwrap_or_default(),
            ),
            None => (Approval::default(), &[][..]),
        };
        let auto_accept_domains = parse_domains(&mut v, domains);
        v.finish()?;
        Ok(NewGroup {
            name: name.ok_or_else(|| Error::unexpected("validated name missing"))?,
            products: req.products.into_iter().collect(),
            managed: req.managed,
            join_policy: JoinPolicy {
                approval,
                auto_accept_domains,
            },
            sso: req.sso.into_iter().collect(),
            member_summary_emails: req.member_summary_emails,
            admin_report_emails: req.admin_report_emails,
            version_history_30_days: req.version_history_30_days,
            admin_notifications: req.admin_notifications.unwrap_or(true),
        })
    }
}

/// `PATCH /groups/{groupId}`: every field optional; absent means unchanged.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGroupRequest {
    /// New name.
    #[serde(default, deserialize_with = "super::json::present")]
    pub name: Option<String>,
    /// Products to add; existing ones always stay.
    #[serde(default)]
    pub add_products: Vec<Product>,
    /// Accepted only to explain why it cannot be sent.
    pub products: Option<serde_json::Value>,
    /// Accepted only to explain why it cannot be sent.
    pub managed: Option<serde_json::Value>,
    /// Approval rule and/or replacement domain list.
    #[serde(default, deserialize_with = "super::json::present")]
    pub join_policy: Option<JoinPolicyRequest>,
    /// Replacement SSO providers.
    #[serde(default, deserialize_with = "super::json::present")]
    pub sso: Option<Vec<SsoProvider>>,
    /// Member summary cadence.
    #[serde(default, deserialize_with = "super::json::present")]
    pub member_summary_emails: Option<EmailCadence>,
    /// Admin report setting.
    #[serde(default, deserialize_with = "super::json::present")]
    pub admin_report_emails: Option<AdminReportEmails>,
    /// 30-day version history requirement.
    #[serde(default, deserialize_with = "super::json::present")]
    pub version_history_30_days: Option<bool>,
    /// Email admins about requests and joins.
    #[serde(default, deserialize_with = "super::json::present")]
    pub admin_notifications: Option<bool>,
}

impl TryFrom<UpdateGroupRequest> for GroupChanges {
    type Error = Error;

    fn try_from(req: UpdateGroupRequest) -> Result<Self, Error> {
        let mut v = Validator::default();
        if req.managed.is_some() {
            v.push(FieldError::new(
                "managed",
                "is fixed when the group is created",
            ));
        }
        if req.products.is_some() {
            v.push(FieldError::new(
                "products",
                "products cannot be removed; use addProducts to add one",
            ));
        }
        let name = req
            .name
            .as_deref()
            .and_then(|n| v.check(GroupName::parse("name", n)));
        let (approval, domains) = match &req.join_policy {
            Some(p) => (
                p.approval,
                p.auto_accept_domains
                    .as_deref()
                    .map(|d| parse_domains(&mut v, d)),
            ),
            None => (None, None),
        };
        v.finish()?;
        let changes = GroupChanges {
            name,
            add_products: req.add_products.into_iter().collect(),
            approval,
            auto_accept_domains: domains,
            sso: req.sso.map(|s| s.into_iter().collect()),
            member_summary_emails: req.member_summary_emails,
            admin_report_emails: req.admin_report_emails,
            version_history_30_days: req.version_history_30_days,
            admin_notifications: req.admin_notifications,
        };
        if changes.is_empty() {
            return Err(Error::invalid("body", "nothing to change"));
        }
        Ok(changes)
    }
}

/// `POST /groups/{groupId}/admins`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddAdminRequest {
    /// Email of an existing account with a verified address.
    pub email: String,
}

impl AddAdminRequest {
    /// The validated address.
    pub fn email(&self) -> Result<EmailAddress, Error> {
        EmailAddress::parse("email", &self.email).map_err(|e| Error::Validation(vec![e]))
    }
}

/// An administrator as shown to admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminView {
    /// Account id.
    pub account_id: AccountId,
    /// Email.
    pub email: EmailAddress,
    /// False once the address passed to another account (this admin no
    /// longer signs in with it; nothing is mailed to it for them).
    pub email_verified: bool,
    /// When added.
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
}

/// A group as shown to its admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// Id.
    pub id: GroupId,
    /// Name.
    pub name: GroupName,
    /// Products, in a stable order.
    pub products: Vec<Product>,
    /// Managed or not.
    pub managed: bool,
    /// Join policy.
    pub join_policy: JoinPolicy,
    /// SSO providers.
    pub sso: BTreeSet<SsoProvider>,
    /// Member summary cadence.
    pub member_summary_emails: EmailCadence,
    /// Admin report setting.
    pub admin_report_emails: AdminReportEmails,
    /// Joiners must accept 30-day version history.
    pub version_history_30_days: bool,
    /// Admins are emailed about requests and joins.
    pub admin_notifications: bool,
    /// Whether the shared invite link is enabled (the token is never shown here).
    pub invite_link_enabled: bool,
    /// Active or dissolved.
    pub status: GroupStatus,
    /// Administrators.
    pub admins: Vec<AdminView>,
    /// Member accounts.
    pub member_count: u32,
    /// Change counter.
    pub version: u64,
    /// Created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<&Group> for GroupView {
    fn from(g: &Group) -> Self {
        Self {
            id: g.id,
            name: g.name.clone(),
            products: g.products.keys().copied().collect(),
            managed: g.managed,
            join_policy: g.join_policy.clone(),
            sso: g.sso.clone(),
            member_summary_emails: g.member_summary_emails,
            admin_report_emails: g.admin_report_emails,
            version_history_30_days: g.version_history_30_days,
            admin_notifications: g.admin_notifications,
            invite_link_enabled: g.invite_link.is_some(),
            status: g.status,
            admins: g
                .admins
                .iter()
                .map(|(id, a)| AdminView {
                    account_id: id.clone(),
                    email: a.email.clone(),
                    email_verified: !a.email_withdrawn,
                    added_at: a.added_at,
                })
                .collect(),
            member_count: g.member_count,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::body::parse_json;

    fn create(json: &str) -> Result<NewGroup, Error> {
        NewGroup::try_from(parse_json::<CreateGroupRequest>(json.as_bytes())?)
    }

    fn fields(result: Result<impl std::fmt::Debug, Error>) -> Vec<String> {
        match result {
            Err(Error::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation errors, got {other:?}"),
        }
    }

    #[test]
    fn a_minimal_group_gets_sensible_defaults() {
        let g =
            create(r#"{"name":"Initech Staff","products":["b2"],"managed":true}"#).expect("valid");
        assert_eq!(g.join_policy.approval, Approval::Restricted);
        assert!(g.join_policy.auto_accept_domains.is_empty());
        assert_eq!(g.member_summary_emails, EmailCadence::Weekly);
        assert_eq!(g.admin_report_emails.cadence, EmailCadence::Weekly);
    }

    #[test]
    fn invalid_creates_report_every_bad_field() {
        let cases: &[(&str, &[&str])] = &[
            (
                r#"{"name":"","products":[],"managed":false}"#,
                &["name", "products"],
            ),
            (
                r#"{"name":"x","products":["b2"],"managed":false,"joinPolicy":{"autoAcceptDomains":["ok.com","gmail.com","com"]}}"#,
                &[
                    "joinPolicy.autoAcceptDomains[1]",
                    "joinPolicy.autoAcceptDomains[2]",
                ],
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(fields(create(json)), *expected, "{json}");
        }
        let missing_managed =
            parse_json::<CreateGroupRequest>(br#"{"name":"x","products":["b2"]}"#);
        assert!(
            matches!(missing_managed, Err(Error::Validation(_))),
            "managed is required"
        );
        let bad_product =
            parse_json::<CreateGroupRequest>(br#"{"name":"x","products":["tape"],"managed":true}"#);
        assert_eq!(fields(bad_product), ["products[0]"]);
    }

    #[test]
    fn edits_cannot_remove_products_or_change_managed() {
        let update =
            |json: &str| GroupChanges::try_from(parse_json::<UpdateGroupRequest>(json.as_bytes())?);
        assert_eq!(fields(update(r#"{"managed":false}"#)), ["managed"]);
        assert_eq!(fields(update(r#"{"products":["b2"]}"#)), ["products"]);
        assert_eq!(fields(update("{}")), ["body"]);
        let ok = update(r#"{"addProducts":["b2"],"joinPolicy":{"approval":"autoApproveAll"}}"#)
            .expect("valid");
        assert_eq!(ok.approval, Some(Approval::AutoApproveAll));
        assert_eq!(
            ok.auto_accept_domains, None,
            "domains untouched when not sent"
        );
    }
}
