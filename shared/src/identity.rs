//! Who is calling: only ever built from verified JWT claims.

use std::collections::HashMap;

use crate::error::Error;
use crate::model::{AccountId, EmailAddress, SsoProvider};

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `sub` claim.
    pub account_id: AccountId,
    /// `email` claim, normalised.
    pub email: EmailAddress,
    /// `email_verified` claim (API Gateway passes claims as strings).
    pub email_verified: bool,
    /// How this session signed in (the `identities` claim): what a group's
    /// single sign-on setting is checked against.
    pub sign_in: SignIn,
}

/// How a session signed in, as its token tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignIn {
    /// The user pool's own sign-in (a password, and any second factor).
    /// Every session that is not federated through a group SSO provider
    /// counts as this: it satisfies no SSO setting.
    #[default]
    Password,
    /// Federated through one of the providers a group can require.
    Sso(SsoProvider),
}

impl SignIn {
    /// The SSO provider of the session, if any.
    pub fn provider(self) -> Option<SsoProvider> {
        match self {
            Self::Password => None,
            Self::Sso(provider) => Some(provider),
        }
    }

    /// The session of a provider (`None`: a password).
    pub fn from_provider(provider: Option<SsoProvider>) -> Self {
        provider.map_or(Self::Password, Self::Sso)
    }

    /// Reads the session's provider from the verified claims. Cognito puts
    /// an `identities` claim in the ID token of a user it created by
    /// federation: a JSON array of objects (`providerName`,
    /// `providerType`, `userId`, `primary`, `dateCreated`, `issuer`), whose
    /// `providerName` is the identity provider's name in the user pool
    /// ([`SsoProvider::identity_provider`]). Such a user's
    /// `cognito:username` is `<providerName>_<userId>`; a user pool user who
    /// merely has a provider linked keeps their own username and may sign
    /// in with their password, so their session is not taken for the
    /// provider's. Federated, then, when `identities` names a group SSO
    /// provider and `cognito:username` (when present) is that provider's
    /// federated username; otherwise a password session.
    ///
    /// API Gateway's HTTP API JWT authorizer hands claims over as strings,
    /// flattening a non-string claim: an array becomes `[a b]`, its
    /// objects Go's map notation, `map[key:value ...]`; other sources give
    /// the claim as JSON text. [`identity_providers`] reads every one of
    /// these forms. Nothing here refuses a request: a claim that cannot be
    /// read means "not a federated session", and only a group's SSO
    /// setting can make that matter.
    pub fn from_claims(claims: &HashMap<String, String>) -> Self {
        let Some(identities) = claims.get("identities") else {
            return Self::Password;
        };
        let named: Vec<SsoProvider> = identity_providers(identities)
            .iter()
            .filter_map(|name| SsoProvider::from_identity_provider(name))
            .collect();
        let username = claims.get("cognito:username");
        let chosen = match username {
            Some(username) => named
                .into_iter()
                .find(|p| is_federated_username(username, *p)),
            // No username to tell a linked provider from the one signed in
            // with: only a single listed provider is unambiguous.
            None if named.len() == 1 => named.first().copied(),
            None => None,
        };
        Self::from_provider(chosen)
    }
}

/// True when `username` is the one Cognito gives a user it created through
/// `provider`: `<ProviderName>_<id>` (compared without regard to case, as
/// the pool's usernames are).
fn is_federated_username(username: &str, provider: SsoProvider) -> bool {
    let prefix = provider.identity_provider();
    username.len() > prefix.len() + 1
        && username
            .get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
        && username.as_bytes().get(prefix.len()) == Some(&b'_')
}

/// The `providerName` of every identity in an `identities` claim as the
/// function receives it: JSON text (an array of objects, or one object,
/// possibly itself quoted as a JSON string), or API Gateway's flattened
/// form (`[map[dateCreated:1 issuer:<nil> primary:true providerName:Google
/// providerType:Google userId:1]]`). Anything else names none.
pub fn identity_providers(claim: &str) -> Vec<String> {
    let claim = claim.trim();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(claim) {
        return match value {
            // Quoted once more: read what it holds (once, not recursively).
            serde_json::Value::String(inner) => {
                match serde_json::from_str::<serde_json::Value>(&inner) {
                    Ok(value) => json_providers(&value),
                    Err(_) => flattened_providers(&inner),
                }
            }
            value => json_providers(&value),
        };
    }
    flattened_providers(claim)
}

/// `providerName` of an object, or of each object of an array.
fn json_providers(value: &serde_json::Value) -> Vec<String> {
    let name = |o: &serde_json::Value| {
        o.get("providerName")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    match value {
        serde_json::Value::Array(items) => items.iter().filter_map(name).collect(),
        object @ serde_json::Value::Object(_) => name(object).into_iter().collect(),
        _ => Vec::new(),
    }
}

/// `providerName` of each `map[...]` in API Gateway's flattening of an
/// array of objects: space-separated `key:value` pairs, the value running
/// to the next space or bracket (provider names hold neither).
fn flattened_providers(claim: &str) -> Vec<String> {
    const KEY: &str = "providerName:";
    let mut names = Vec::new();
    let mut rest = claim;
    while let Some(at) = rest.find(KEY) {
        // A key starts a pair: right after `map[`, `[` or a space.
        let starts_pair = at == 0 || rest[..at].ends_with(' ') || rest[..at].ends_with('[');
        let value_and_more = &rest[at + KEY.len()..];
        let end = value_and_more
            .find(|c: char| c.is_whitespace() || c == ']')
            .unwrap_or(value_and_more.len());
        let value = &value_and_more[..end];
        if starts_pair && !value.is_empty() && !value.contains(['[', '{', '"']) {
            names.push(value.to_owned());
        }
        rest = &value_and_more[end..];
    }
    names
}

impl Caller {
    /// Reads the claims the API Gateway JWT authorizer verified. Anything
    /// missing or malformed is a 401: there is no other source of identity.
    /// (How the session signed in never refuses one: see
    /// [`SignIn::from_claims`].)
    pub fn from_claims(claims: &HashMap<String, String>) -> Result<Self, Error> {
        let sub = claims
            .get("sub")
            .ok_or(Error::Unauthenticated("token has no `sub` claim"))?;
        let email = claims
            .get("email")
            .ok_or(Error::Unauthenticated("token has no `email` claim"))?;
        let account_id = AccountId::parse("sub", sub)
            .map_err(|_| Error::Unauthenticated("malformed `sub` claim"))?;
        let email = EmailAddress::parse("email", email)
            .map_err(|_| Error::Unauthenticated("malformed `email` claim"))?;
        let email_verified = claims
            .get("email_verified")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        Ok(Self {
            account_id,
            email,
            email_verified,
            sign_in: SignIn::from_claims(claims),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn caller_comes_from_claims() {
        let c = Caller::from_claims(&claims(&[
            ("sub", "abc-123"),
            ("email", "Ana@Example.com"),
            ("email_verified", "true"),
        ]))
        .expect("valid claims");
        assert_eq!(c.account_id.as_str(), "abc-123");
        assert_eq!(c.email.as_str(), "ana@example.com");
        assert!(c.email_verified);
        assert_eq!(c.sign_in, SignIn::Password, "no identities: a password");
    }

    #[test]
    fn unverified_unless_the_claim_says_true() {
        for v in [None, Some("false"), Some("1"), Some("")] {
            let mut m = claims(&[("sub", "a"), ("email", "a@example.com")]);
            if let Some(v) = v {
                m.insert("email_verified".into(), v.into());
            }
            assert!(
                !Caller::from_claims(&m).expect("valid").email_verified,
                "{v:?}"
            );
        }
    }

    #[test]
    fn missing_or_bad_claims_are_unauthenticated() {
        let cases = [
            claims(&[]),
            claims(&[("sub", "a")]),
            claims(&[("email", "a@example.com")]),
            claims(&[("sub", "a#b"), ("email", "a@example.com")]),
            claims(&[("sub", "a"), ("email", "not-an-email")]),
        ];
        for (i, c) in cases.iter().enumerate() {
            assert!(
                matches!(Caller::from_claims(c), Err(Error::Unauthenticated(_))),
                "case {i}"
            );
        }
    }

    /// An `identities` claim as a federated Cognito ID token carries it,
    /// in each form a function may receive it.
    const GOOGLE_FLATTENED: &str = "[map[dateCreated:1749623553646 issuer:<nil> primary:true providerName:Google providerType:Google userId:105150609770703019992]]";
    const GOOGLE_JSON: &str = r#"[{"dateCreated":"1749623553646","userId":"105150609770703019992","providerName":"Google","providerType":"Google","issuer":null,"primary":"true"}]"#;
    const MICROSOFT_FLATTENED: &str = "[map[dateCreated:1700000000000 issuer:https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0 primary:true providerName:Microsoft providerType:OIDC userId:AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ]]";

    fn session(identities: Option<&str>, username: Option<&str>) -> SignIn {
        let mut m = claims(&[("sub", "a"), ("email", "a@example.com")]);
        if let Some(i) = identities {
            m.insert("identities".into(), i.into());
        }
        if let Some(u) = username {
            m.insert("cognito:username".into(), u.into());
        }
        Caller::from_claims(&m).expect("valid claims").sign_in
    }

    #[test]
    fn a_federated_session_is_read_from_every_form_of_the_identities_claim() {
        let google = SignIn::Sso(SsoProvider::Google);
        let microsoft = SignIn::Sso(SsoProvider::Microsoft);
        let cases = [
            (
                GOOGLE_FLATTENED,
                Some("Google_105150609770703019992"),
                google,
                "API Gateway's flattening",
            ),
            (
                GOOGLE_JSON,
                Some("Google_105150609770703019992"),
                google,
                "JSON text",
            ),
            (
                GOOGLE_JSON,
                Some("google_105150609770703019992"),
                google,
                "a lower-cased username",
            ),
            (GOOGLE_JSON, None, google, "no username claim"),
            (
                r#"{"dateCreated":"1","userId":"1","providerName":"Google","providerType":"Google","issuer":null,"primary":"true"}"#,
                Some("Google_1"),
                google,
                "one object (a REST API authorizer's form)",
            ),
            (
                r#""[{\"userId\":\"1\",\"providerName\":\"Google\",\"providerType\":\"Google\"}]""#,
                Some("Google_1"),
                google,
                "JSON quoted once more",
            ),
            (
                MICROSOFT_FLATTENED,
                Some("Microsoft_AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"),
                microsoft,
                "the OIDC provider, flattened",
            ),
            (
                "[map[providerName:Google userId:1] map[providerName:Microsoft userId:2]]",
                Some("Microsoft_2"),
                microsoft,
                "two identities: the username tells which",
            ),
            (
                "[map[dateCreated:1 providerName:Google userId:1]]",
                Some("Google_1"),
                google,
                "a flattening with fewer keys",
            ),
        ];
        for (identities, username, expected, case) in cases {
            assert_eq!(session(Some(identities), username), expected, "{case}");
        }
    }

    #[test]
    fn anything_else_is_a_password_session_never_a_refusal() {
        let cases = [
            (None, None, "no identities claim"),
            (Some(""), None, "empty"),
            (Some("[]"), None, "an empty array"),
            (Some("not json and not a map"), None, "garbage"),
            (Some("[{\"providerName\":"), None, "truncated JSON"),
            (
                Some("[map[providerName: userId:1]]"),
                None,
                "an empty provider name",
            ),
            (
                Some("[{\"providerName\":42}]"),
                None,
                "a provider name that is not text",
            ),
            (Some("{\"nothing\":1}"), None, "no providerName"),
            (Some("[\"Google\"]"), None, "bare strings"),
            (
                Some("[map[providerName:SignInWithApple userId:1]]"),
                Some("SignInWithApple_1"),
                "a provider no group can require",
            ),
            (
                Some("[map[providerName:google userId:1]]"),
                Some("google_1"),
                "a provider name in the wrong case",
            ),
            (
                Some(GOOGLE_FLATTENED),
                Some("0b6e2f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
                "a linked provider on a user pool user",
            ),
            (
                Some(GOOGLE_JSON),
                Some("Microsoft_105150609770703019992"),
                "a username of another provider",
            ),
            (
                Some(GOOGLE_JSON),
                Some("Google"),
                "a username that is only the prefix",
            ),
            (
                Some(GOOGLE_JSON),
                Some("Googlers_1"),
                "a username that only starts alike",
            ),
            (
                Some(GOOGLE_JSON),
                Some("Gööl_1"),
                "a username with wide characters",
            ),
            (
                Some("[map[providerName:Google userId:1] map[providerName:Microsoft userId:2]]"),
                None,
                "two identities and no username to tell them apart",
            ),
            (
                Some("[map[userId:xproviderName:Google]]"),
                Some("Google_1"),
                "the key inside a value",
            ),
        ];
        for (identities, username, case) in cases {
            assert_eq!(session(identities, username), SignIn::Password, "{case}");
        }
    }

    #[test]
    fn the_providers_of_each_form_are_listed_in_order() {
        assert_eq!(identity_providers(GOOGLE_FLATTENED), ["Google"]);
        assert_eq!(identity_providers(GOOGLE_JSON), ["Google"]);
        assert_eq!(identity_providers(MICROSOFT_FLATTENED), ["Microsoft"]);
        assert_eq!(
            identity_providers("[map[providerName:A] map[providerName:B]]"),
            ["A", "B"]
        );
        assert!(identity_providers("[map[issuer:<nil>]]").is_empty());
    }
}
