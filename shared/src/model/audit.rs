//! The audit log: every admin action on a member's account and every admin
//! or policy change of a group, with who, what, when and from where. The
//! welcome email of a managed group promises that every such access is
//! logged; an entry is written in the action's own transaction where there
//! is one, and before any data is answered where there is none.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AccountId, BucketName, EmailAddress, GroupId};

/// Longest user agent kept (API Gateway passes whatever the client sent).
const MAX_USER_AGENT: usize = 256;

/// Where a request came from, as API Gateway saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Origin {
    /// The client's address (`requestContext.http.sourceIp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    /// Its user agent, cut to a bounded length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl Origin {
    /// An origin from the request context's values, bounded and without
    /// control characters (they would corrupt a log line or a CSV cell).
    pub fn new(source_ip: Option<&str>, user_agent: Option<&str>) -> Self {
        let clean = |raw: &str, max: usize| -> Option<String> {
            let text: String = raw.chars().filter(|c| !c.is_control()).take(max).collect();
            (!text.is_empty()).then_some(text)
        };
        Self {
            source_ip: source_ip.and_then(|ip| clean(ip, 64)),
            user_agent: user_agent.and_then(|ua| clean(ua, MAX_USER_AGENT)),
        }
    }
}

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum AuditAction {
    /// Listed the member's buckets.
    BucketsBrowsed,
    /// Listed files in one of the member's buckets.
    FilesBrowsed {
        /// The bucket.
        bucket: BucketName,
        /// The folder listed (`""` for the top).
        prefix: String,
    },
    /// Asked for a snapshot of the member's files.
    SnapshotRequested {
        /// The snapshot.
        snapshot_id: Uuid,
        /// Its bucket.
        bucket: BucketName,
        /// Its name.
        name: String,
    },
    /// Took a download link of a snapshot.
    SnapshotDownloaded {
        /// The snapshot.
        snapshot_id: Uuid,
    },
    /// Ordered a snapshot on a USB hard drive.
    UsbOrdered {
        /// The snapshot.
        snapshot_id: Uuid,
        /// The order.
        order_id: Uuid,
    },
    /// Asked to change the member's email (a code went to the new address).
    EmailChangeRequested,
    /// Confirmed the code: the member's email changed.
    EmailChanged,
    /// Asked to change the member's phone (a code went to the new number).
    PhoneChangeRequested,
    /// Confirmed the code: the member's phone changed.
    PhoneChanged,
    /// Changed the member's password.
    PasswordChanged,
    /// Changed the member's sign-in settings.
    SignInChanged,
    /// Made an account an administrator.
    AdminAdded {
        /// The new admin.
        account_id: AccountId,
    },
    /// Took an account's administrator rights away.
    AdminRemoved {
        /// The former admin.
        account_id: AccountId,
    },
    /// Changed group settings (join policy, SSO, products, ...).
    SettingsChanged {
        /// The settings changed, by their API names.
        fields: Vec<String>,
    },
    /// Proved an automatically accepted domain: its DNS record was found,
    /// so its addresses now join directly.
    DomainVerified {
        /// The domain.
        domain: super::EmailDomain,
    },
}

/// One entry of a group's audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// Time-ordered id (UUIDv7).
    pub id: Uuid,
    /// The group the actor acted in.
    pub group_id: GroupId,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who acted.
    pub actor: AccountId,
    /// Their email at the time.
    pub actor_email: EmailAddress,
    /// Whose account was acted on (`None` for a change of the group itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<AccountId>,
    /// What was done.
    pub action: AuditAction,
    /// From where.
    #[serde(flatten)]
    pub origin: Origin,
}

impl AuditEntry {
    /// A new entry stamped now.
    pub fn new(
        group_id: GroupId,
        actor: (&AccountId, &EmailAddress),
        subject: Option<&AccountId>,
        action: AuditAction,
        origin: &Origin,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            group_id,
            at: now,
            actor: actor.0.clone(),
            actor_email: actor.1.clone(),
            subject: subject.cloned(),
            action,
            origin: origin.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_bounded_and_free_of_control_characters() {
        let long = "x".repeat(1000);
        let origin = Origin::new(Some("203.0.113.9"), Some(&long));
        assert_eq!(origin.user_agent.as_deref().map(str::len), Some(256));
        let origin = Origin::new(Some(""), Some("curl/8\r\nX-Injected: 1"));
        assert_eq!(origin.source_ip, None);
        assert_eq!(origin.user_agent.as_deref(), Some("curl/8X-Injected: 1"));
    }

    #[test]
    fn actions_serialise_with_a_kind() {
        let json = serde_json::to_value(AuditAction::AdminAdded {
            account_id: AccountId::parse("id", "abc").expect("valid"),
        })
        .expect("serialise");
        assert_eq!(
            json,
            serde_json::json!({"kind": "adminAdded", "accountId": "abc"})
        );
    }
}
