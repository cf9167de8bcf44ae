//! A group's automatically accepted domains as its admins see them: each
//! with its state and the DNS TXT record that proves it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::model::{DomainProof, DomainState, EmailDomain};

/// Where a listed domain stands, as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DomainStatus {
    /// Listed before domains had to be proven: no record yet. Verifying
    /// it gives it one (and answers `domain-not-verified` with it).
    Unverified,
    /// Its record was never found.
    Pending,
    /// Its record was found: its addresses join directly.
    Verified,
    /// Its record disappeared: its addresses ask until it is verified again.
    Suspended,
}

impl From<DomainState> for DomainStatus {
    fn from(state: DomainState) -> Self {
        match state {
            DomainState::Pending => Self::Pending,
            DomainState::Verified => Self::Verified,
            DomainState::Suspended => Self::Suspended,
        }
    }
}

/// The DNS record an admin publishes to prove a domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxtRecordView {
    /// Always `TXT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its name, e.g. `_groups-challenge.example.com`.
    pub name: String,
    /// Its value, e.g. `groups-domain-verification=MFRGG...`.
    pub value: String,
}

/// One listed domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainView {
    /// The domain.
    pub domain: EmailDomain,
    /// Where it stands.
    pub state: DomainStatus,
    /// Whether its verified addresses join without approval now.
    pub auto_accepts: bool,
    /// The record to publish (absent while `unverified`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<TxtRecordView>,
    /// When its record was last found by a verification.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub verified_at: Option<OffsetDateTime>,
    /// When it was last looked up.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub last_checked_at: Option<OffsetDateTime>,
    /// When the daily re-check found its record gone.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option"
    )]
    pub suspended_at: Option<OffsetDateTime>,
}

impl DomainView {
    /// A listed domain and its proof (`None`: listed before proofs existed).
    pub fn new(domain: &EmailDomain, proof: Option<&DomainProof>) -> Self {
        match proof {
            Some(p) => Self {
                domain: domain.clone(),
                state: p.state.into(),
                auto_accepts: p.auto_accepts(),
                record: Some(TxtRecordView {
                    kind: "TXT".into(),
                    name: p.record_name(),
                    value: p.record_value(),
                }),
                verified_at: p.verified_at,
                last_checked_at: p.last_checked_at,
                suspended_at: p.suspended_at,
            },
            None => Self {
                domain: domain.clone(),
                state: DomainStatus::Unverified,
                auto_accepts: false,
                record: None,
                verified_at: None,
                last_checked_at: None,
                suspended_at: None,
            },
        }
    }
}

/// `GET /groups/{groupId}/domains`: every listed domain, by name (a group
/// lists at most `MAX_AUTO_ACCEPT_DOMAINS`: one page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainList {
    /// The domains.
    pub domains: Vec<DomainView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_domain_shows_its_record_only_once_it_has_a_proof() {
        let domain = EmailDomain::parse("d", "example.com").expect("valid");
        let legacy = serde_json::to_value(DomainView::new(&domain, None)).expect("json");
        assert_eq!(
            legacy,
            serde_json::json!({"domain": "example.com", "state": "unverified", "autoAccepts": false})
        );
        let proof = DomainProof::new(
            crate::model::GroupId::new(),
            domain.clone(),
            OffsetDateTime::UNIX_EPOCH,
        );
        let shown = serde_json::to_value(DomainView::new(&domain, Some(&proof))).expect("json");
        assert_eq!(shown["state"], "pending");
        assert_eq!(shown["record"]["type"], "TXT");
        assert_eq!(shown["record"]["name"], "_groups-challenge.example.com");
        assert_eq!(shown["record"]["value"], proof.record_value());
    }
}
