//! Email domains an administrator lets join directly ("Automatically Accepted Domains").

use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Free-mail providers (npm `free-email-domains`, refreshed by
/// `scripts/update-free-email-domains`): sorted, one per line.
static FREE_MAIL: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/free-email-domains.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// A normalised (lowercase ASCII, IDN as punycode, no trailing dot) registrable
/// domain that is not a free-mail provider: listing `gmail.com` would let the
/// whole world in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailDomain(String);

impl EmailDomain {
    /// Normalises and checks a domain an admin typed.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let ascii = normalise_host(raw).map_err(|reason| FieldError::new(field, reason))?;
        if !is_registrable(&ascii) {
            return Err(FieldError::new(
                field,
                "must be a registrable domain, not a public suffix such as `com` or `co.uk`",
            ));
        }
        if is_free_mail(&ascii) {
            return Err(FieldError::new(
                field,
                "is a free email provider: anyone could sign up with it",
            ));
        }
        Ok(Self(ascii))
    }

    /// The normalised domain.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lowercases, strips one trailing dot and converts IDN to ASCII (punycode).
/// Shared with `EmailAddress` so both compare equal byte for byte.
pub(crate) fn normalise_host(raw: &str) -> Result<String, &'static str> {
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Err("must not be empty");
    }
    if trimmed.contains('@') || trimmed.contains('/') || trimmed.contains(':') {
        return Err("must be a bare domain such as example.com");
    }
    let ascii = idna::domain_to_ascii_strict(trimmed).map_err(|_| "is not a valid domain name")?;
    if ascii.len() > 253 {
        return Err("is not a valid domain name");
    }
    Ok(ascii)
}

/// True when the name has a known public suffix and a label under it.
pub(crate) fn is_registrable(ascii: &str) -> bool {
    psl::suffix(ascii.as_bytes()).is_some_and(|s| s.is_known())
        && psl::domain(ascii.as_bytes()).is_some()
}

/// True for free-mail providers, subdomains included (`mail.gmail.com`).
pub(crate) fn is_free_mail(ascii: &str) -> bool {
    let mut candidate = ascii;
    loop {
        if FREE_MAIL.binary_search(&candidate).is_ok() {
            return true;
        }
        match candidate.split_once('.') {
            Some((_, rest)) if rest.contains('.') => candidate = rest,
            _ => return false,
        }
    }
}

impl TryFrom<String> for EmailDomain {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("domain", &value).map_err(|e| e.reason)
    }
}

impl From<EmailDomain> for String {
    fn from(value: EmailDomain) -> Self {
        value.0
    }
}

impl fmt::Display for EmailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised() {
        let cases = [
            ("example.com", "example.com"),
            ("Example.COM", "example.com"),
            ("example.com.", "example.com"),
            ("  smart.edu ", "smart.edu"),
            ("sub.example.co.uk", "sub.example.co.uk"),
            ("bücher.de", "xn--bcher-kva.de"),
            ("XN--BCHER-KVA.de", "xn--bcher-kva.de"),
        ];
        for (input, expected) in cases {
            let got = EmailDomain::parse("d", input).map(|d| d.0);
            assert_eq!(got.as_deref(), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn public_suffixes_free_mail_and_junk_are_rejected() {
        let cases = [
            ("com", "public suffix"),
            ("co.uk", "public suffix"),
            ("github.io", "public suffix"),
            ("example.notarealtld", "public suffix"),
            ("gmail.com", "free email"),
            ("GMAIL.com.", "free email"),
            ("outlook.com", "free email"),
            ("yahoo.co.uk", "free email"),
            ("mail.gmail.com", "free email"),
            ("", "empty"),
            ("user@example.com", "bare domain"),
            ("https://example.com", "bare domain"),
            ("exa mple.com", "valid domain"),
            ("localhost", "public suffix"),
        ];
        for (input, reason) in cases {
            let err = EmailDomain::parse("d", input).expect_err(input);
            assert!(
                err.reason.contains(reason),
                "{input:?}: got {:?}",
                err.reason
            );
        }
    }

    #[test]
    fn free_mail_list_is_sorted_for_binary_search() {
        assert!(FREE_MAIL.len() > 1000);
        assert!(FREE_MAIL.windows(2).all(|w| w[0] < w[1]));
    }
}
