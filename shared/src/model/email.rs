//! Email addresses as the service compares them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::EmailDomain;
use super::domain::normalise_host;
use crate::error::FieldError;

/// A syntactically valid address, lowercased, with its domain in ASCII form,
/// so that one person has one spelling (accounts are unique by email).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses and normalises an address.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim();
        let invalid = || FieldError::new(field, "must be an email address such as ana@example.com");
        if raw.len() > 254 {
            return Err(FieldError::new(field, "must be at most 254 characters"));
        }
        let (local, host) = raw.rsplit_once('@').ok_or_else(invalid)?;
        let host = normalise_host(host)
            .ok()
            .filter(|h| h.contains('.'))
            .ok_or_else(invalid)?;
        let candidate = format!("{}@{host}", local.to_lowercase());
        email_address::EmailAddress::from_str(&candidate).map_err(|_| invalid())?;
        if candidate
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid());
        }
        Ok(Self(candidate))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, normalised.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// Exact domain match: `evil-example.com` and `example.com.evil.net` never match `example.com`.
    pub fn is_in_domain(&self, domain: &EmailDomain) -> bool {
        self.domain() == domain.as_str()
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("email", &value).map_err(|e| e.reason)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        let cases = [
            ("ana@example.com", "ana@example.com"),
            ("  Ana.Lopez@Example.COM ", "ana.lopez@example.com"),
            ("ana+eu@example.com.", "ana+eu@example.com"),
            ("jo@bücher.de", "jo@xn--bcher-kva.de"),
        ];
        for (input, expected) in cases {
            let got = EmailAddress::parse("email", input).map(|e| e.0);
            assert_eq!(got.as_deref(), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "ana@@example.com",
            "a na@example.com",
            "ana@localhost",
            "ana@exa_mple.com",
        ] {
            assert!(
                EmailAddress::parse("email", bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
    }

    #[test]
    fn domain_match_is_exact() {
        let domain = EmailDomain::parse("d", "example.com").expect("valid");
        let cases = [
            ("ana@example.com", true),
            ("ana@EXAMPLE.com", true),
            ("ana@evil-example.com", false),
            ("ana@example.com.evil.net", false),
            ("ana@sub.example.com", false),
            ("ana@notexample.com", false),
        ];
        for (email, expected) in cases {
            let email = EmailAddress::parse("e", email).expect("valid");
            assert_eq!(email.is_in_domain(&domain), expected, "{email}");
        }
    }
}
