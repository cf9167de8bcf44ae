//! The local adapter: every text becomes a JSON file in a folder, to read
//! (the code in it included) when trying a flow locally, or in tests.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{SmsError, SmsId, SmsSender};
use crate::model::PhoneNumber;

/// Writes each text as `<time>-<uuid>.json` (`{"to": ..., "text": ...}`)
/// into a directory, creating it if missing; file names sort in sending
/// order, as the email folder outbox's do.
#[derive(Debug, Clone)]
pub struct FolderSms {
    dir: PathBuf,
}

/// One text found in the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsEntry {
    /// The id [`SmsSender::send`] returned for it (the file stem).
    pub id: SmsId,
    /// Where the file is.
    pub path: PathBuf,
    /// The phone it was sent to.
    pub to: PhoneNumber,
    /// What it said.
    pub text: String,
}

/// The file's content.
#[derive(Serialize, Deserialize)]
struct SmsFile {
    to: PhoneNumber,
    text: String,
}

impl FolderSms {
    /// An outbox writing into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder texts are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every text written so far, oldest first; empty if the folder does not
    /// exist yet. For tests and local inspection.
    pub fn messages(&self) -> io::Result<Vec<SmsEntry>> {
        crate::spool::files(&self.dir, "json")?
            .into_iter()
            .map(|path| {
                let file: SmsFile = serde_json::from_slice(&std::fs::read(&path)?)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                let id = SmsId::new(
                    path.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
                Ok(SmsEntry {
                    id,
                    path,
                    to: file.to,
                    text: file.text,
                })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl SmsSender for FolderSms {
    async fn send(&self, phone: &PhoneNumber, text: &str) -> Result<SmsId, SmsError> {
        tracing::debug!(
            chars = text.chars().count(),
            "writing a text message to the folder outbox"
        );
        let raw = serde_json::to_vec_pretty(&SmsFile {
            to: phone.clone(),
            text: text.to_owned(),
        })
        .map_err(|e| SmsError::Rejected(Box::new(e)))?;
        let (stem, _) = crate::spool::new_stem();
        let dir = self.dir.clone();
        let file = stem.clone();
        tokio::task::spawn_blocking(move || {
            crate::spool::write_atomically(&dir, &file, "json", &raw)
        })
        .await
        .map_err(|e| SmsError::Unavailable(Box::new(e)))?
        .map_err(|e| SmsError::Unavailable(Box::new(e)))?;
        Ok(SmsId::new(stem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse("phone", raw).expect("valid number")
    }

    #[tokio::test]
    async fn a_sent_text_is_a_readable_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderSms::new(dir.path().join("sms/nested"));

        let id = outbox
            .send(&phone("+14155550123"), "Your Groups code is 482913")
            .await
            .expect("sent");

        let messages = outbox.messages().expect("readable");
        assert_eq!(messages.len(), 1);
        let entry = &messages[0];
        assert_eq!(entry.id, id);
        assert_eq!(entry.to, phone("+14155550123"));
        assert_eq!(entry.text, "Your Groups code is 482913");
        assert_eq!(
            entry.path.extension().and_then(|e| e.to_str()),
            Some("json")
        );
        let raw = std::fs::read_to_string(&entry.path).expect("a text file");
        assert!(raw.contains("\"to\": \"+14155550123\""), "{raw}");
        assert!(raw.contains("Your Groups code is 482913"), "{raw}");
    }

    #[tokio::test]
    async fn texts_come_back_in_sending_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderSms::new(dir.path());
        for n in 0..3 {
            outbox
                .send(&phone("+442079460958"), &format!("code {n}"))
                .await
                .expect("sent");
        }
        let texts: Vec<_> = outbox
            .messages()
            .expect("readable")
            .into_iter()
            .map(|m| m.text)
            .collect();
        assert_eq!(texts, ["code 0", "code 1", "code 2"]);
    }

    #[test]
    fn a_missing_folder_has_no_texts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderSms::new(dir.path().join("never-written"));
        assert!(outbox.messages().expect("readable").is_empty());
    }
}
