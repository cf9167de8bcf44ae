//! Member files in the data bucket: paths as B2 names them, uploads waiting
//! for their confirmation, and confirmed files with the size that counts.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AccountId, BucketName};
use crate::error::FieldError;

/// Longest path, in UTF-8 bytes (B2's and S3's limit on names).
pub const MAX_PATH_BYTES: usize = 1024;
/// Longest single file or folder name in a path, in UTF-8 bytes (what
/// common file systems allow, so a snapshot unpacks anywhere).
pub const MAX_SEGMENT_BYTES: usize = 255;
/// Largest single upload (S3's limit on one PUT).
pub const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// A file's path inside a bucket: `/`-separated names, none empty, `.` or
/// `..`, no control characters, no backslash; at most 1024 bytes, each name
/// at most 255. What makes a zip entry or a folder listing unsurprising.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FilePath(String);

impl FilePath {
    /// Validates a file path as given.
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        check_path(field, raw, false).map(|()| Self(raw.to_owned()))
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A folder prefix inside a bucket: empty (the top), or a path ending in `/`.
pub fn parse_folder(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.is_empty() {
        return Ok(String::new());
    }
    let Some(inner) = raw.strip_suffix('/') else {
        return Err(FieldError::new(field, "must be empty or end with '/'"));
    };
    check_path(field, inner, true).map(|()| raw.to_owned())
}

/// A selection for a snapshot: a file path, or a folder ending in `/`.
pub fn parse_selection(field: &str, raw: &str) -> Result<String, FieldError> {
    if raw.ends_with('/') {
        if raw == "/" {
            return Err(FieldError::new(field, "must name a file or a folder"));
        }
        parse_folder(field, raw)
    } else {
        FilePath::parse(field, raw).map(|p| p.0)
    }
}

fn check_path(field: &str, raw: &str, folder: bool) -> Result<(), FieldError> {
    let what = if folder { "folder" } else { "path" };
    if raw.is_empty() {
        return Err(FieldError::new(
            field,
            format!("the {what} must not be empty"),
        ));
    }
    if raw.len() > MAX_PATH_BYTES {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_PATH_BYTES} bytes"),
        ));
    }
    if raw.chars().any(|c| c.is_control() || c == '\\') {
        return Err(FieldError::new(
            field,
            "must not contain control characters or backslashes",
        ));
    }
    for segment in raw.split('/') {
        match segment {
            "" => {
                return Err(FieldError::new(
                    field,
                    "must not start or end with '/' or hold empty names ('//')",
                ));
            }
            "." | ".." => {
                return Err(FieldError::new(field, "must not contain '.' or '..' names"));
            }
            s if s.len() > MAX_SEGMENT_BYTES => {
                return Err(FieldError::new(
                    field,
                    format!("each name must be at most {MAX_SEGMENT_BYTES} bytes"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

impl TryFrom<String> for FilePath {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse("path", &value).map_err(|e| e.reason)
    }
}

impl From<FilePath> for String {
    fn from(value: FilePath) -> Self {
        value.0
    }
}

impl std::fmt::Display for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An upload handed out and not yet confirmed. It expires with its URL
/// (the TTL removes the item a day later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingUpload {
    /// Its id (the path parameter of the confirmation).
    pub id: Uuid,
    /// The owner.
    pub account_id: AccountId,
    /// The bucket.
    pub bucket: BucketName,
    /// The file's path.
    pub path: FilePath,
    /// The size declared (and signed into the URL).
    pub size: u64,
    /// When the URL stops working.
    #[serde(with = "time::serde::rfc3339")]
    pub url_expires_at: OffsetDateTime,
}

/// A confirmed file: the size that is counted in the bucket's stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredFile {
    /// The bucket.
    pub bucket: BucketName,
    /// The file's path.
    pub path: FilePath,
    /// Its size as found in storage when confirmed.
    pub size: u64,
    /// When it was confirmed.
    #[serde(with = "time::serde::rfc3339")]
    pub confirmed_at: OffsetDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_plain_relative_names() {
        for good in [
            "a.txt",
            "photos/2026/beach.jpg",
            "ünï cødé/ファイル.txt",
            &"x".repeat(255),
        ] {
            assert!(FilePath::parse("path", good).is_ok(), "{good:?}");
        }
        let long_path = vec!["y".repeat(200); 6].join("/");
        for bad in [
            "",
            "/abs",
            "trailing/",
            "a//b",
            "../etc/passwd",
            "a/../b",
            "./a",
            "a\\b",
            "tab\there",
            "nul\0",
            &"x".repeat(256),
            &"é".repeat(1000),
            &long_path,
        ] {
            assert!(FilePath::parse("path", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn folders_and_selections() {
        assert_eq!(parse_folder("prefix", "").ok().as_deref(), Some(""));
        assert_eq!(parse_folder("prefix", "a/b/").ok().as_deref(), Some("a/b/"));
        for bad in ["a", "/", "../", "a//"] {
            assert!(parse_folder("prefix", bad).is_err(), "{bad:?}");
        }
        assert!(parse_selection("paths[0]", "a/b/").is_ok());
        assert!(parse_selection("paths[0]", "a/b.txt").is_ok());
        for bad in ["/", "", "a/../"] {
            assert!(parse_selection("paths[0]", bad).is_err(), "{bad:?}");
        }
    }
}
