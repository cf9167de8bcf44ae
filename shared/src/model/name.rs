//! A group's display name.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// A trimmed, non-empty name of at most 100 visible characters (see
/// [`super::text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GroupName(String);

impl GroupName {
    /// Longest accepted name, in characters.
    pub const MAX_CHARS: usize = 100;

    /// Validates and trims a name.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        super::text::single_line(field, raw, Self::MAX_CHARS).map(Self)
    }

    /// The name as shown to people.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for GroupName {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("name", &value).map_err(|e| e.reason)
    }
}

impl From<GroupName> for String {
    fn from(value: GroupName) -> Self {
        value.0
    }
}

impl fmt::Display for GroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Initech Staff", Some("Initech Staff")),
            ("  padded  ", Some("padded")),
            ("", None),
            ("   ", None),
            ("tab\tinside", None),
            (&"n".repeat(100), Some(&"n".repeat(100))),
            (&"n".repeat(101), None),
        ];
        for (input, expected) in cases {
            let got = GroupName::parse("name", input).ok();
            assert_eq!(
                got.as_ref().map(GroupName::as_str),
                *expected,
                "input {input:?}"
            );
        }
    }
}
