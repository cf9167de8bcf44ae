//! Membership requests and views.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Error, FieldError, Validator};
use crate::model::{
    EmailAddress, GroupId, GroupName, Invitation, InvitationValidity, JoinOutcome, Region,
    SsoProvider,
};

/// Most addresses one bulk invitation call accepts.
pub const MAX_INVITES_PER_CALL: usize = 500;

/// `POST /groups/{groupId}/invitations`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateInvitationsRequest {
    /// Addresses to invite.
    pub emails: Vec<String>,
    /// Validity in days (1–30, default 7).
    #[serde(default, deserialize_with = "super::json::whole_number")]
    pub expires_in_days: Option<i64>,
}

impl CreateInvitationsRequest {
    /// Valid addresses (deduplicated) and per-address rejections; the call
    /// itself fails only when the list or the validity is unusable.
    pub fn validate(
        &self,
    ) -> Result<(Vec<EmailAddress>, Vec<Rejected>, InvitationValidity), Error> {
        let mut v = Validator::default();
        if self.emails.is_empty() || self.emails.len() > MAX_INVITES_PER_CALL {
            v.push(FieldError::new(
                "emails",
                format!("must list 1 to {MAX_INVITES_PER_CALL} addresses"),
            ));
        }
        let validity = v.check(InvitationValidity::parse(
            "expiresInDays",
            self.expires_in_days,
        ));
        v.finish()?;
        let mut valid = Vec::new();
        let mut rejected = Vec::new();
        for (i, raw) in self.emails.iter().enumerate() {
            match EmailAddress::parse(&format!("emails[{i}]"), raw) {
                Ok(e) if valid.contains(&e) => rejected.push(Rejected {
                    email: raw.clone(),
                    reason: "listed twice".into(),
                }),
                Ok(e) => valid.push(e),
                Err(e) => rejected.push(Rejected {
                    email: raw.clone(),
                    reason: e.reason,
                }),
            }
        }
        Ok((
            valid,
            rejected,
            validity.unwrap_or(InvitationValidity::DEFAULT),
        ))
    }
}

/// An address that was not invited, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejected {
    /// As sent.
    pub email: String,
    /// Why.
    pub reason: String,
}

/// An invitation as admins see it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    /// Invitee.
    pub email: EmailAddress,
    /// Expiry.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Last sent.
    #[serde(with = "time::serde::rfc3339")]
    pub sent_at: OffsetDateTime,
    /// `pending` or `expired`.
    pub status: String,
}

impl InvitationView {
    /// The view at `now`.
    pub fn new(i: &Invitation, now: OffsetDateTime) -> Self {
        Self {
            email: i.email.clone(),
            expires_at: i.expires_at,
            sent_at: i.sent_at,
            status: if i.expires_at > now {
                "pending"
            } else {
                "expired"
            }
            .to_owned(),
        }
    }
}

/// Result of a bulk invitation.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitationsResult {
    /// Sent.
    pub invited: Vec<InvitationView>,
    /// Not sent, per address.
    pub rejected: Vec<Rejected>,
}

/// `POST /invitations/{token}/join`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinRequest {
    /// Consent to administrator access (required for managed groups).
    #[serde(default)]
    pub accept_managed_access: bool,
    /// Consent to 30-day version history (required when the group asks).
    #[serde(default)]
    pub accept_version_history: bool,
    /// Where the joiner's data will live.
    pub region: String,
}

/// `POST /groups/{groupId}/members` ("add myself").
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddMyselfRequest {
    /// Region.
    pub region: String,
    /// Consent to 30-day version history.
    #[serde(default)]
    pub accept_version_history: bool,
}

/// Parses a region field.
pub fn region(raw: &str) -> Result<Region, Error> {
    Region::parse("region", raw).map_err(|e| Error::Validation(vec![e]))
}

/// What a joiner sees before accepting.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewView {
    /// Group name.
    pub group_name: GroupName,
    /// Admins can access members' data.
    pub managed: bool,
    /// 30-day version history must be accepted.
    pub requires_version_history: bool,
    /// Regions to choose from.
    pub regions: Vec<Region>,
    /// Join directly or file a request (for a signed-in, verified invitee).
    pub outcome: JoinOutcome,
    /// The address an email invitation was sent to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invited_email: Option<EmailAddress>,
    /// The single sign-on providers whose sessions the group accepts, so
    /// the joiner signs in with one of them; empty: any sign-in will do.
    #[serde(default)]
    pub sso_providers: Vec<SsoProvider>,
}

/// Outcome of a join.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinResult {
    /// `joined` or `requested`.
    pub outcome: String,
    /// The group.
    pub group_id: GroupId,
}

impl JoinResult {
    /// The caller became a member.
    pub fn joined(group_id: GroupId) -> Self {
        Self {
            outcome: "joined".into(),
            group_id,
        }
    }

    /// The caller's request awaits an admin.
    pub fn requested(group_id: GroupId) -> Self {
        Self {
            outcome: "requested".into(),
            group_id,
        }
    }
}

/// The one-time view of a new invite link.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewLinkView {
    /// The secret token (shown only now).
    pub token: String,
    /// The link to share.
    pub url: String,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The link's state (never its token).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkStateView {
    /// Enabled or not.
    pub enabled: bool,
    /// Created.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_at: Option<OffsetDateTime>,
}
