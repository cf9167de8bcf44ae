//! Phone numbers as the identity provider and SMS stores them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// An E.164 number: `+`, then 8 to 15 digits, the first not `0` (no
/// country code starts with one). Cognito's `phone_number` attribute and an
/// SNS `Publish` both take exactly this form, so a number that parses here
/// is never refused for its shape there. People's spacing (`+1 (555)
/// 555-0123`) is accepted and dropped, so one number has one spelling.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Fewest digits after `+` (the shortest numbers in use have 8).
    pub const MIN_DIGITS: usize = 8;
    /// Most digits after `+` (E.164's limit).
    pub const MAX_DIGITS: usize = 15;

    /// Parses and normalises a number: spaces, dots, hyphens and brackets
    /// are dropped, anything else must be the E.164 form.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                field,
                "must be a phone number in international form, such as +14155550123",
            )
        };
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let digits = compact.strip_prefix('+').ok_or_else(invalid)?;
        let well_formed = (Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if well_formed {
            Ok(Self(compact))
        } else {
            Err(invalid())
        }
    }

    /// The number in E.164 form, e.g. `+14155550123`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("phone", &value).map_err(|e| e.reason)
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> Self {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kept_in_e164_form() {
        let cases = [
            ("+14155550123", "+14155550123"),
            ("  +1 (415) 555-0123 ", "+14155550123"),
            ("+44 20 7946 0958", "+442079460958"),
            ("+49.30.123456", "+4930123456"),
            ("+12345678", "+12345678"),
            ("+123456789012345", "+123456789012345"),
        ];
        for (input, expected) in cases {
            let got = PhoneNumber::parse("phone", input).map(|p| p.0);
            assert_eq!(got.as_deref(), Ok(expected), "input {input:?}");
        }
    }

    #[test]
    fn malformed_numbers_are_rejected_with_the_field_named() {
        for bad in [
            "",
            "+",
            "4155550123",
            "001 415 555 0123",
            "+1234567",
            "+1234567890123456",
            "+0123456789",
            "+1415555012a",
            "+1 415 555 0123 ext 4",
            "++14155550123",
            "+1\u{0660}4155550123",
        ] {
            let error = PhoneNumber::parse("phone", bad).expect_err(bad);
            assert_eq!(error.field, "phone", "{bad:?}");
        }
    }

    #[test]
    fn a_stored_number_reads_back_and_a_bad_one_does_not() {
        let phone: PhoneNumber = serde_json::from_str("\"+14155550123\"").expect("valid");
        assert_eq!(phone.as_str(), "+14155550123");
        assert_eq!(
            serde_json::to_string(&phone).expect("serialises"),
            "\"+14155550123\""
        );
        assert!(serde_json::from_str::<PhoneNumber>("\"555\"").is_err());
    }
}
