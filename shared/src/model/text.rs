//! Text people give us that others will read: names and labels are one
//! trimmed line of visible characters. Control characters, Unicode format
//! characters (bidi overrides, zero-width joiners and spaces, soft hyphens)
//! and line or paragraph separators are refused: they hide or reorder what a
//! reader sees (`"Initech\u{202E}gnp.exe"`), or break a line where none may be.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::FieldError;

/// Characters no name may hold: controls, format characters, separators.
fn hidden(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// One trimmed line of 1..=`max` visible characters.
pub fn single_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(hidden) {
        return Err(FieldError::new(
            field,
            "must not contain control, format or separator characters",
        ));
    }
    Ok(text.to_owned())
}

/// Free text of at most `max` characters, lines allowed (`\n` only), the
/// same hidden characters refused. Empty is fine.
pub fn free_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(|c| c != '\n' && hidden(c)) {
        return Err(FieldError::new(
            field,
            "must not contain control, format or separator characters",
        ));
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_characters_are_refused_and_visible_ones_kept() {
        for good in [
            "Initech Staff",
            "Équipe Zürich",
            "開発チーム",
            "  padded  ",
            "a-b_c (d)",
        ] {
            assert!(single_line("name", good, 100).is_ok(), "{good:?}");
        }
        let cases = [
            ("", "empty"),
            ("   ", "blank"),
            ("a\u{202E}gnp.exe", "right-to-left override"),
            ("a\u{2066}b", "isolate"),
            ("zero\u{200B}width", "zero-width space"),
            ("join\u{200D}er", "zero-width joiner"),
            ("soft\u{00AD}hyphen", "soft hyphen"),
            ("line\u{2028}separator", "line separator"),
            ("para\u{2029}separator", "paragraph separator"),
            ("tab\tinside", "control"),
            ("bom\u{FEFF}", "byte-order mark"),
        ];
        for (bad, case) in cases {
            assert!(single_line("name", bad, 100).is_err(), "{case}");
        }
        assert!(single_line("name", &"x".repeat(101), 100).is_err());
        assert_eq!(
            free_text("detail", "two\nlines", 500).ok().as_deref(),
            Some("two\nlines")
        );
        assert!(free_text("detail", "bidi\u{202E}", 500).is_err());
    }
}
