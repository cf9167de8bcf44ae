//! A stand-in for API Gateway's JWT authorizer: HS256 tokens signed with a
//! local secret, verified here, their claims handed to the function exactly
//! as API Gateway passes them (a map of strings).

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Issuer and audience of local tokens.
pub const ISSUER: &str = "groups-local";

/// The signing secret of one gateway.
#[derive(Clone)]
pub struct TokenKey {
    secret: Vec<u8>,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(..)")
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    email: String,
    email_verified: bool,
    iss: String,
    aud: String,
    iat: i64,
    exp: i64,
    token_use: String,
}

impl TokenKey {
    /// A key from raw secret bytes (tests make a random one).
    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    /// A fresh random key.
    pub fn random() -> Self {
        Self::new(rand::random::<[u8; 32]>().to_vec())
    }

    /// The key kept in `dir/jwt-secret`, created on first use, so tokens
    /// minted by `local token` work with `local serve` across restarts.
    ///
    /// Whoever reads the file can mint a token for anyone, so it is created
    /// readable by its owner only (0600), and a file found readable by others
    /// (made by an older gateway) is narrowed to 0600 when loaded.
    pub fn load_or_create(dir: &Path) -> anyhow::Result<Self> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

        let path = dir.join("jwt-secret");
        let read = |path: &Path| -> anyhow::Result<Self> {
            let meta = std::fs::metadata(path)?;
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                    .with_context(|| format!("making {} private (0600)", path.display()))?;
            }
            let text = std::fs::read_to_string(path)?;
            let secret = URL_SAFE_NO_PAD
                .decode(text.trim())
                .ok()
                .filter(|s| !s.is_empty())
                .with_context(|| format!("{} is not a base64url secret", path.display()))?;
            Ok(Self::new(secret))
        };
        if path.exists() {
            return read(&path);
        }
        std::fs::create_dir_all(dir)?;
        // Written whole under a private temporary name, then linked into
        // place, so nobody ever reads a half-written or world-readable secret.
        let key = Self::random();
        let temporary = dir.join(format!(".jwt-secret.{}", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .with_context(|| format!("creating {}", temporary.display()))?;
        file.write_all(URL_SAFE_NO_PAD.encode(&key.secret).as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", temporary.display()))?;
        let linked = std::fs::hard_link(&temporary, &path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => Ok(key),
            // Another `local` process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }

    /// Signs an ID-token-like JWT for `email`; `sub` is derived from the
    /// email so the same person always maps to the same account.
    pub fn mint(
        &self,
        email: &str,
        email_verified: bool,
        ttl: time::Duration,
    ) -> anyhow::Result<String> {
        self.mint_as(&local_subject(email), email, email_verified, ttl)
    }

    /// Signs an ID-token-like JWT for the account `sub` now signing in with
    /// `email`: another account than the one the email alone gives (a
    /// person who signed up again, or an address that passed to someone
    /// else).
    pub fn mint_as(
        &self,
        sub: &str,
        email: &str,
        email_verified: bool,
        ttl: time::Duration,
    ) -> anyhow::Result<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            email: email.to_owned(),
            email_verified,
            iss: ISSUER.into(),
            aud: ISSUER.into(),
            iat: now,
            exp: now + ttl.whole_seconds(),
            token_use: "id".into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(&self.secret),
        )?)
    }

    /// Verifies signature, expiry, issuer and audience; returns the claims as
    /// API Gateway's `requestContext.authorizer.jwt.claims` would hold them.
    pub fn verify(&self, token: &str) -> Option<HashMap<String, String>> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &DecodingKey::from_secret(&self.secret),
            &validation,
        )
        .ok()?;
        Some(
            data.claims
                .into_iter()
                .map(|(k, v)| (k, claim_string(&v)))
                .collect(),
        )
    }
}

/// The `sub` a local token gets for an email.
pub fn local_subject(email: &str) -> String {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    format!("local-{}", &format!("{digest:x}")[..24])
}

/// API Gateway flattens claim values to strings; arrays become `[a b]`.
fn claim_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(claim_string).collect::<Vec<_>>().join(" ")
            )
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_verify_and_carry_string_claims() {
        let key = TokenKey::random();
        let token = key
            .mint("Ana@Example.com", true, time::Duration::hours(1))
            .expect("mint");
        let claims = key.verify(&token).expect("valid token");
        assert_eq!(claims["email"], "Ana@Example.com");
        assert_eq!(claims["email_verified"], "true");
        assert_eq!(claims["sub"], local_subject("ana@example.com"));
    }

    #[test]
    fn forged_expired_and_garbage_tokens_are_refused() {
        let key = TokenKey::random();
        let other = TokenKey::random();
        let forged = other
            .mint("a@example.com", true, time::Duration::hours(1))
            .expect("mint");
        let expired = key
            .mint("a@example.com", true, time::Duration::hours(-2))
            .expect("mint");
        for (case, token) in [
            ("forged", forged.as_str()),
            ("expired", &expired),
            ("garbage", "abc.def.ghi"),
            ("empty", ""),
        ] {
            assert!(key.verify(token).is_none(), "{case} token must be refused");
        }
    }
}
