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
use shared::model::SsoProvider;

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
    /// A federated user's username, `<ProviderName>_<userId>`.
    #[serde(rename = "cognito:username", skip_serializing_if = "Option::is_none")]
    username: Option<String>,
    /// A federated user's identities, as Cognito writes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    identities: Option<Vec<Identity>>,
}

/// One entry of a federated Cognito ID token's `identities` claim, with
/// Cognito's own types (text for `dateCreated` and `primary`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identity {
    date_created: String,
    user_id: String,
    provider_name: String,
    provider_type: String,
    issuer: Option<String>,
    primary: String,
}

/// The identity a federated token carries for `provider`: its user pool
/// name and type as `infra/template.yaml` configures them (Google is
/// Cognito's built-in provider, Microsoft an OIDC one, whose issuer Cognito
/// records), and a user id of the provider's derived from the email.
fn identity(provider: SsoProvider, email: &str, now: i64) -> Identity {
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    let user_id = format!("{:x}", digest)[..21].to_owned();
    let (provider_type, issuer) = match provider {
        SsoProvider::Google => ("Google", None),
        SsoProvider::Microsoft => (
            "OIDC",
            Some(
                "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
                    .into(),
            ),
        ),
    };
    Identity {
        date_created: (now * 1000).to_string(),
        user_id,
        provider_name: provider.identity_provider().into(),
        provider_type: provider_type.into(),
        issuer,
        primary: "true".into(),
    }
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

    /// Signs an ID-token-like JWT for `email`, signed in with a password;
    /// `sub` is derived from the email so the same person always maps to
    /// the same account.
    pub fn mint(
        &self,
        email: &str,
        email_verified: bool,
        ttl: time::Duration,
    ) -> anyhow::Result<String> {
        self.mint_signed_in(email, email_verified, None, ttl)
    }

    /// Signs an ID-token-like JWT for `email` signed in through `provider`
    /// (a password when `None`). A federated token is shaped as Cognito
    /// issues one to a user it created through the provider: an
    /// `identities` claim naming the provider and a `cognito:username` of
    /// `<ProviderName>_<userId>`; its `sub` ([`federated_subject`]) is
    /// another account than the same email's password one, as in Cognito,
    /// where the federated user is a user of its own.
    pub fn mint_signed_in(
        &self,
        email: &str,
        email_verified: bool,
        provider: Option<SsoProvider>,
        ttl: time::Duration,
    ) -> anyhow::Result<String> {
        let sub = match provider {
            Some(p) => federated_subject(p, email),
            None => local_subject(email),
        };
        self.mint_claims(&sub, email, email_verified, provider, ttl)
    }

    /// Signs an ID-token-like JWT for the account `sub` now signing in with
    /// `email` and a password: another account than the one the email alone
    /// gives (a person who signed up again, or an address that passed to
    /// someone else).
    pub fn mint_as(
        &self,
        sub: &str,
        email: &str,
        email_verified: bool,
        ttl: time::Duration,
    ) -> anyhow::Result<String> {
        self.mint_claims(sub, email, email_verified, None, ttl)
    }

    /// The token of `sub` with `email`, through `provider`.
    fn mint_claims(
        &self,
        sub: &str,
        email: &str,
        email_verified: bool,
        provider: Option<SsoProvider>,
        ttl: time::Duration,
    ) -> anyhow::Result<String> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let identity = provider.map(|p| identity(p, email, now));
        let claims = Claims {
            sub: sub.to_owned(),
            email: email.to_owned(),
            email_verified,
            iss: ISSUER.into(),
            aud: ISSUER.into(),
            iat: now,
            exp: now + ttl.whole_seconds(),
            token_use: "id".into(),
            username: identity
                .as_ref()
                .map(|i| format!("{}_{}", i.provider_name, i.user_id)),
            identities: identity.map(|i| vec![i]),
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

/// The `sub` a local token federated through `provider` gets for an email:
/// another account than [`local_subject`]'s.
pub fn federated_subject(provider: SsoProvider, email: &str) -> String {
    let digest = Sha256::digest(
        format!(
            "{}:{}",
            provider.identity_provider(),
            email.trim().to_lowercase()
        )
        .as_bytes(),
    );
    format!("local-{}", &format!("{digest:x}")[..24])
}

/// API Gateway's HTTP API JWT authorizer flattens claim values to strings
/// the way Go's `fmt` prints decoded JSON: an array becomes `[a b]`, an
/// object `map[key:value ...]` with its keys sorted, `null` `<nil>`;
/// numbers keep their JSON text. (So a federated Cognito ID token's
/// `identities` arrives as `[map[dateCreated:... issuer:<nil> ...
/// providerName:Google ...]]`, which `shared::identity` reads.)
fn claim_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            format!(
                "[{}]",
                items.iter().map(claim_string).collect::<Vec<_>>().join(" ")
            )
        }
        serde_json::Value::Object(fields) => {
            let mut pairs: Vec<(&String, &serde_json::Value)> = fields.iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(b.0));
            format!(
                "map[{}]",
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", claim_string(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        }
        serde_json::Value::Null => "<nil>".into(),
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
    fn a_federated_token_carries_identities_flattened_as_api_gateway_does() {
        let key = TokenKey::random();
        let token = key
            .mint_signed_in(
                "ana@example.com",
                true,
                Some(SsoProvider::Google),
                time::Duration::hours(1),
            )
            .expect("mint");
        let claims = key.verify(&token).expect("valid token");
        let identities = &claims["identities"];
        assert!(
            identities.starts_with("[map[dateCreated:") && identities.ends_with("]]"),
            "{identities}"
        );
        assert!(identities.contains(
            " issuer:<nil> primary:true providerName:Google providerType:Google userId:"
        ));
        assert!(claims["cognito:username"].starts_with("Google_"));
        assert_eq!(
            claims["sub"],
            federated_subject(SsoProvider::Google, "ana@example.com")
        );
        assert_ne!(claims["sub"], local_subject("ana@example.com"));
        let caller = shared::identity::Caller::from_claims(&claims).expect("caller");
        assert_eq!(
            caller.sign_in,
            shared::identity::SignIn::Sso(SsoProvider::Google)
        );

        let microsoft = key
            .mint_signed_in(
                "ana@example.com",
                true,
                Some(SsoProvider::Microsoft),
                time::Duration::hours(1),
            )
            .expect("mint");
        let claims = key.verify(&microsoft).expect("valid token");
        assert!(claims["identities"].contains("providerName:Microsoft providerType:OIDC"));
        let caller = shared::identity::Caller::from_claims(&claims).expect("caller");
        assert_eq!(
            caller.sign_in,
            shared::identity::SignIn::Sso(SsoProvider::Microsoft)
        );
    }

    #[test]
    fn claims_flatten_like_go_prints_them() {
        let value = serde_json::json!([{"b": 1, "a": null, "c": [true, "x"]}, 7]);
        assert_eq!(claim_string(&value), "[map[a:<nil> b:1 c:[true x]] 7]");
        assert_eq!(
            claim_string(&serde_json::json!(1_700_000_000)),
            "1700000000"
        );
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
