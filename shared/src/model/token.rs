//! Invite tokens: the secret handed to people, its stored hash, and the
//! record that says where it admits and whether it can still be used.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::{EmailAddress, GroupId};
use crate::error::{Error, Result};
use crate::problem::ProblemKind;

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
    /// The hash of a presented secret.
    pub fn of(secret: &str) -> Self {
        Self(format!("{:x}", Sha256::digest(secret.as_bytes())))
    }

    /// Hex digest, used in keys.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Constant-time equality, for comparing a presented token's hash with a stored one.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

/// The secret that turns an invitation's stored [`TokenSeal`] into its
/// token. Only the functions that mint invitation tokens and the outbox
/// sender hold it (Secrets Manager in AWS, a file locally), so the table,
/// its stream and its backups hold nothing a token can be made from.
#[derive(Clone)]
pub struct InviteSecret([u8; 32]);

impl fmt::Debug for InviteSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteSecret(..)")
    }
}

impl InviteSecret {
    /// A fresh random secret (tests, a first local run).
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// The secret as stored: any text of at least 32 bytes (Secrets
    /// Manager's generated password, a local file), condensed with SHA-256.
    pub fn from_text(text: &str) -> Option<Self> {
        let text = text.trim();
        (text.len() >= 32).then(|| Self(Sha256::digest(text.as_bytes()).into()))
    }
}

/// What the table holds for an emailed token: the group and a random nonce,
/// useless without the [`InviteSecret`]. In the stored email, its text
/// stands where the token goes, and the sender swaps one for the other.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenSeal(String);

impl fmt::Debug for TokenSeal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSeal(..)")
    }
}

impl TokenSeal {
    /// The text that stands in for the token until it is sent.
    pub fn placeholder(&self) -> &str {
        &self.0
    }
}

/// Random bytes in a seal's nonce: 128 bits, so seals never repeat.
const NONCE_BYTES: usize = 16;

impl InviteToken {
    /// A fresh emailed token for `group` and the seal it is stored as:
    /// group id, then HMAC-SHA256(secret, group id and nonce).
    pub fn sealed(group: &GroupId, secret: &InviteSecret) -> (Self, TokenSeal) {
        let mut seal = Vec::with_capacity(16 + NONCE_BYTES);
        seal.extend_from_slice(group.as_bytes());
        seal.extend_from_slice(&rand::random::<[u8; NONCE_BYTES]>());
        let seal = TokenSeal(URL_SAFE_NO_PAD.encode(seal));
        let token = Self::unseal(&seal, secret).expect("a seal just made opens");
        (token, seal)
    }

    /// The token a seal stands for; `None` for a seal that is not one.
    pub fn unseal(seal: &TokenSeal, secret: &InviteSecret) -> Option<Self> {
        use hmac::{Hmac, Mac};
        let bytes = URL_SAFE_NO_PAD.decode(&seal.0).ok()?;
        if bytes.len() != 16 + NONCE_BYTES {
            return None;
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret.0).ok()?;
        mac.update(b"groups invitation token v1\0");
        mac.update(&bytes);
        let mut token = Vec::with_capacity(16 + SECRET_BYTES);
        token.extend_from_slice(&bytes[..16]);
        token.extend_from_slice(&mac.finalize().into_bytes());
        Some(Self(URL_SAFE_NO_PAD.encode(token)))
    }

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
        TokenHash::of(&self.0)
    }

    /// The token text, to show exactly once (or put in an email).
    pub fn reveal(&self) -> &str {
        &self.0
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

impl TokenKind {
    /// An email invitation addressed to this very address, verified: the
    /// invitee, the only one who may spend it.
    pub fn invites(&self, email: &EmailAddress, email_verified: bool) -> bool {
        matches!(self, Self::Invitation { email: invited } if email_verified && invited == email)
    }
}

/// A live token's record (the token text itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    /// Group it admits to.
    pub group_id: GroupId,
    /// Link or personal invitation.
    pub via: TokenKind,
    /// Hash, compared in constant time against the presented token's.
    pub token_hash: TokenHash,
    /// End of validity (epoch seconds); links have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<i64>,
    /// Set when a single-use invitation was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<String>,
}

impl TokenRecord {
    /// The rule for a presented token: a used invitation is refused as
    /// used, one past its validity as expired. Both the pre-check of a join
    /// and the explanation of a refused spend ask this.
    pub fn ensure_usable(&self, now: OffsetDateTime) -> Result<()> {
        if self.used_at.is_some() {
            return Err(Error::refused(
                ProblemKind::InvitationUsed,
                "this invitation has already been used",
            ));
        }
        if self.valid_until.is_some_and(|t| t <= now.unix_timestamp()) {
            return Err(Error::refused(
                ProblemKind::InvitationExpired,
                "this invitation has expired; ask an administrator to resend it",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_opens_only_with_its_secret_and_never_is_the_token() {
        let gid = GroupId::new();
        let secret = InviteSecret::random();
        let (token, seal) = InviteToken::sealed(&gid, &secret);
        assert_eq!(InviteToken::unseal(&seal, &secret), Some(token.clone()));
        assert_eq!(
            token.group_id(),
            Some(gid),
            "a sealed token is a normal token"
        );
        assert!(InviteToken::parse(token.reveal()).is_some());
        assert!(
            InviteToken::parse(seal.placeholder()).is_none(),
            "the seal itself is no token"
        );
        let other = InviteSecret::random();
        assert_ne!(InviteToken::unseal(&seal, &other), Some(token.clone()));
        let (again, _) = InviteToken::sealed(&gid, &secret);
        assert_ne!(again, token, "a fresh nonce each time");
        assert!(InviteSecret::from_text("too short").is_none());
        assert!(format!("{secret:?}{seal:?}").contains(".."), "never logged");
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
    fn a_token_is_usable_until_used_or_expired() {
        let now = OffsetDateTime::UNIX_EPOCH + time::Duration::days(100);
        let record = |valid_until: Option<i64>, used: bool| TokenRecord {
            group_id: GroupId::new(),
            via: TokenKind::Link,
            token_hash: InviteToken::generate(&GroupId::new()).hash(),
            valid_until,
            used_at: used.then(|| "2026-01-01T00:00:00Z".to_owned()),
        };
        let later = now.unix_timestamp() + 1;
        let cases = [
            (record(None, false), None, "a link never expires"),
            (record(Some(later), false), None, "live invitation"),
            (
                record(Some(now.unix_timestamp()), false),
                Some(ProblemKind::InvitationExpired),
                "expired at this very second",
            ),
            (
                record(Some(later), true),
                Some(ProblemKind::InvitationUsed),
                "used",
            ),
            (
                record(Some(0), true),
                Some(ProblemKind::InvitationUsed),
                "used wins over expired",
            ),
        ];
        for (record, expected, case) in cases {
            assert_eq!(
                record.ensure_usable(now).err().map(|e| e.kind()),
                expected,
                "{case}"
            );
        }
    }
}
