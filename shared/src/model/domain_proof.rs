//! Proof that a group controls an automatically accepted domain: a DNS TXT
//! record holding a random challenge the group was given. Only a domain
//! proven this way lets its addresses join directly; a domain whose record
//! disappears is suspended by the daily re-check until an admin verifies it
//! again.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EmailDomain, GroupId};

/// The label under the domain where the record is published.
pub const RECORD_LABEL: &str = "_groups-challenge";
/// What precedes the challenge in the record's value.
pub const RECORD_PREFIX: &str = "groups-domain-verification=";
/// Random bytes in a challenge (128 bits).
const CHALLENGE_BYTES: usize = 16;

/// Where a listed domain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DomainState {
    /// Listed; its record was never found. Does not auto-accept.
    Pending,
    /// Its record was found: auto-accepts.
    Verified,
    /// Its record disappeared after it was verified. Does not auto-accept
    /// until an admin verifies it again.
    Suspended,
}

impl DomainState {
    /// Its stored and shown name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Suspended => "suspended",
        }
    }
}

/// One listed domain's challenge and state (`GROUP#<gid>` / `DOMAIN#<domain>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainProof {
    /// The group that listed it.
    pub group_id: GroupId,
    /// The domain.
    pub domain: EmailDomain,
    /// The random value the record must hold (base32, no padding).
    pub challenge: String,
    /// Where it stands.
    pub state: DomainState,
    /// When it was listed (or, for a domain listed before proofs existed,
    /// when its challenge was first asked for).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When its record was last found by an admin's verification.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    /// When it was last looked up (a verification or the daily re-check).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_checked_at: Option<OffsetDateTime>,
    /// When the re-check found its record gone.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub suspended_at: Option<OffsetDateTime>,
}

impl DomainProof {
    /// A newly listed domain with a fresh challenge.
    pub fn new(group_id: GroupId, domain: EmailDomain, now: OffsetDateTime) -> Self {
        Self {
            group_id,
            domain,
            challenge: new_challenge(),
            state: DomainState::Pending,
            created_at: now,
            verified_at: None,
            last_checked_at: None,
            suspended_at: None,
        }
    }

    /// The TXT record's name, e.g. `_groups-challenge.example.com`.
    pub fn record_name(&self) -> String {
        record_name(&self.domain)
    }

    /// The TXT record's value, e.g. `groups-domain-verification=MFRGG...`.
    pub fn record_value(&self) -> String {
        format!("{RECORD_PREFIX}{}", self.challenge)
    }

    /// True when this domain lets its addresses join directly.
    pub fn auto_accepts(&self) -> bool {
        self.state == DomainState::Verified
    }

    /// True when one of `texts` (the TXT strings found at the record's
    /// name) is this proof's value. Surrounding spaces are forgiven; case is
    /// not (the challenge is the secret).
    pub fn is_proven_by<S: AsRef<str>>(&self, texts: &[S]) -> bool {
        let expected = self.record_value();
        texts.iter().any(|t| t.as_ref().trim() == expected)
    }
}

/// The TXT record's name for `domain`.
pub fn record_name(domain: &EmailDomain) -> String {
    format!("{RECORD_LABEL}.{domain}")
}

/// 128 random bits from the operating system's generator, as unpadded
/// RFC 4648 base32 (26 characters, A–Z and 2–7: safe in any DNS console).
fn new_challenge() -> String {
    use rand::TryRngCore as _;
    let mut bytes = [0u8; CHALLENGE_BYTES];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .unwrap_or_else(|_| bytes = rand::random());
    base32(&bytes)
}

/// RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u16 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[usize::from((buffer >> bits) & 31)]));
        }
    }
    if bits > 0 {
        out.push(char::from(
            ALPHABET[usize::from((buffer << (5 - bits)) & 31)],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proof(domain: &str) -> DomainProof {
        DomainProof::new(
            GroupId::new(),
            EmailDomain::parse("d", domain).expect("valid domain"),
            OffsetDateTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn base32_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (input, expected) in cases {
            assert_eq!(base32(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn challenges_are_128_random_bits_in_base32() {
        let a = proof("example.com");
        let b = proof("example.com");
        assert_eq!(a.challenge.len(), 26, "{}", a.challenge);
        assert!(
            a.challenge
                .bytes()
                .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
        );
        assert_ne!(a.challenge, b.challenge, "every listing gets its own value");
        assert_eq!(a.state, DomainState::Pending);
        assert!(!a.auto_accepts());
    }

    #[test]
    fn the_record_is_named_under_the_domain_and_holds_the_challenge() {
        let p = proof("Bücher.de");
        assert_eq!(p.record_name(), "_groups-challenge.xn--bcher-kva.de");
        assert_eq!(
            p.record_value(),
            format!("groups-domain-verification={}", p.challenge)
        );
    }

    #[test]
    fn only_the_exact_value_proves_the_domain() {
        let p = proof("example.com");
        let value = p.record_value();
        let cases: [(Vec<String>, bool, &str); 6] = [
            (vec![value.clone()], true, "the value alone"),
            (
                vec!["v=spf1 -all".into(), format!(" {value} ")],
                true,
                "among other records, padded",
            ),
            (vec![], false, "no records"),
            (vec!["v=spf1 -all".into()], false, "other records only"),
            (vec![value.to_lowercase()], false, "another case"),
            (
                vec![format!("{RECORD_PREFIX}{}", proof("example.com").challenge)],
                false,
                "another listing's challenge",
            ),
        ];
        for (texts, expected, case) in cases {
            assert_eq!(p.is_proven_by(&texts), expected, "{case}");
        }
    }

    #[test]
    fn proofs_round_trip_with_camel_case_states() {
        let mut p = proof("example.com");
        p.state = DomainState::Suspended;
        p.suspended_at = Some(OffsetDateTime::UNIX_EPOCH);
        let json = serde_json::to_value(&p).expect("serialise");
        assert_eq!(json["state"], "suspended");
        let back: DomainProof = serde_json::from_value(json).expect("deserialise");
        assert_eq!(back, p);
    }
}
