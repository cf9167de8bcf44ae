//! JSON request bodies: bounded, strict about unknown fields (the DTOs say
//! `deny_unknown_fields`), and precise about which field is wrong.

use lambda_http::{Body, Request};
use serde::de::DeserializeOwned;

use crate::error::{Error, FieldError, Result};

/// Largest accepted body. Group edits and bulk invitations fit well within it.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Parses the body as `T`, naming the offending field on failure.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T> {
    let bytes: &[u8] = match req.body() {
        Body::Empty => b"",
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    parse_json(bytes)
}

/// The pure part of [`json_body`], for tests.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(Error::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::invalid("body", "a JSON body is required"));
    }
    // serde reads a struct from an array of its fields in order too; every
    // body of this API is an object, and `[..]` is a client's mistake.
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(Error::invalid("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." || path == "?" {
            "body".to_owned()
        } else {
            path
        };
        Error::Validation(vec![FieldError::new(field, clean(e.inner()))])
    })?;
    de.end()
        .map_err(|_| Error::invalid("body", "trailing characters after the JSON value"))?;
    Ok(value)
}

/// serde's message without its line/column suffix (the path already says where).
fn clean(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u8,
    }

    #[test]
    fn only_an_object_is_a_body() {
        for body in [r#"["x", null]"#, "\"name\"", "42", "null", " [ ]"] {
            let error = field_error(body);
            assert_eq!(error.field, "body", "{body}");
            assert_eq!(error.reason, "must be a JSON object", "{body}");
        }
        assert!(parse_json::<Sample>(br#" {"name": "x"}"#).is_ok());
    }

    fn field_error(body: &str) -> FieldError {
        match parse_json::<Sample>(body.as_bytes()) {
            Err(Error::Validation(mut errors)) => errors.remove(0),
            other => panic!("expected a validation error for {body:?}, got {other:?}"),
        }
    }

    #[test]
    fn bad_bodies_name_the_field() {
        let cases = [
            ("", "body", "required"),
            (r#"{"name": 1}"#, "name", "invalid type"),
            (
                r#"{"name": "x", "extra": true}"#,
                "extra",
                "unknown field `extra`",
            ),
            (
                r#"{"name": "x", "inner": {"count": 300}}"#,
                "inner.count",
                "invalid value",
            ),
            (r#"{"inner": null}"#, "body", "missing field `name`"),
            ("{", "body", "EOF"),
            (r#"{"name": "x"} trailing"#, "body", "trailing"),
        ];
        for (body, field, reason) in cases {
            let e = field_error(body);
            assert_eq!(e.field, field, "body {body:?}");
            assert!(e.reason.contains(reason), "body {body:?}: {:?}", e.reason);
        }
    }

    #[test]
    fn oversized_bodies_are_refused_before_parsing() {
        let big = format!(r#"{{"name": "{}"}}"#, "x".repeat(MAX_BODY_BYTES));
        assert!(matches!(
            parse_json::<Sample>(big.as_bytes()),
            Err(Error::PayloadTooLarge { .. })
        ));
    }
}
