//! A folder of files written whole and read back in order: the local
//! stand-in for SES (`.eml`), EventBridge and SQS (`.json`), and SNS text
//! messages (`.json`).

use std::io;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;
use time::macros::format_description;

/// A new file stem: `20261126T143205.123456Z-<uuid v7>`, sortable by write
/// time and unique. Returns the stem and its uuid.
pub(crate) fn new_stem() -> (String, uuid::Uuid) {
    let uuid = uuid::Uuid::now_v7();
    let format =
        format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:6]Z");
    let now = OffsetDateTime::now_utc();
    let time = now
        .format(&format)
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    (format!("{time}-{uuid}"), uuid)
}

/// Writes to a hidden temporary file, then renames, so a reader never sees half a file.
pub(crate) fn write_atomically(
    dir: &Path,
    stem: &str,
    extension: &str,
    raw: &[u8],
) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{stem}.partial"));
    std::fs::write(&partial, raw)?;
    std::fs::rename(&partial, dir.join(format!("{stem}.{extension}")))
}

/// Writes `value` as a new pretty JSON file in `dir`, off the async
/// runtime's threads: what the folder stand-ins of EventBridge and SQS do.
#[cfg(feature = "delivery")]
pub(crate) async fn write_json(
    dir: &Path,
    value: &impl serde::Serialize,
) -> Result<(), crate::events::PublishError> {
    use crate::events::PublishError;
    let raw = serde_json::to_vec_pretty(value).map_err(|e| PublishError::Rejected(Box::new(e)))?;
    let (stem, _) = new_stem();
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || write_atomically(&dir, &stem, "json", &raw))
        .await
        .map_err(|e| PublishError::Unavailable(Box::new(e)))?
        .map_err(|e| PublishError::Unavailable(Box::new(e)))
}

/// The files with `extension` in `dir`, oldest first; none if the folder does not exist yet.
pub(crate) fn files(dir: &Path, extension: &str) -> io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == extension) {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}
