//! Who is calling: only ever built from verified JWT claims.

use std::collections::HashMap;

use crate::error::Error;
use crate::model::{AccountId, EmailAddress};

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `sub` claim.
    pub account_id: AccountId,
    /// `email` claim, normalised.
    pub email: EmailAddress,
    /// `email_verified` claim (API Gateway passes claims as strings).
    pub email_verified: bool,
}

impl Caller {
    /// Reads the claims the API Gateway JWT authorizer verified. Anything
    /// missing or malformed is a 401: there is no other source of identity.
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
}
