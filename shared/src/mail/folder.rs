//! The local adapter: every message becomes an `.eml` file in a folder, to
//! open in a mail client or read back in tests.

#[cfg(feature = "eml")]
use std::io;
use std::path::{Path, PathBuf};

use super::{EmailMessage, MailError, Mailer, SentId};
use crate::model::EmailAddress;

/// Writes each message as `<time>-<uuid>.eml` (RFC 5322, the same MIME SES
/// would send) into a directory, creating it if missing. File names sort in
/// sending order.
#[derive(Debug, Clone)]
pub struct FolderOutbox {
    dir: PathBuf,
    from: EmailAddress,
}

/// One message found in the outbox.
#[cfg(feature = "eml")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The id [`Mailer::send`] returned for it (the file stem).
    pub id: SentId,
    /// Where the `.eml` file is.
    pub path: PathBuf,
    /// Its decoded headers, bodies and attachments.
    pub email: super::ParsedEml,
}

impl FolderOutbox {
    /// An outbox writing into `dir`, with `from` in the `From` header.
    pub fn new(dir: impl Into<PathBuf>, from: EmailAddress) -> Self {
        Self {
            dir: dir.into(),
            from,
        }
    }

    /// The folder messages are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every message written so far, oldest first; empty if the folder does
    /// not exist yet. For tests and local inspection.
    #[cfg(feature = "eml")]
    pub fn messages(&self) -> io::Result<Vec<OutboxEntry>> {
        crate::spool::files(&self.dir, "eml")?
            .into_iter()
            .map(|path| {
                let raw = std::fs::read(&path)?;
                let email = super::ParsedEml::parse(&raw).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("{} is not a MIME message", path.display()),
                    )
                })?;
                let id = SentId::new(
                    path.file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
                Ok(OutboxEntry { id, path, email })
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Mailer for FolderOutbox {
    async fn send(&self, message: &EmailMessage) -> Result<SentId, MailError> {
        tracing::debug!(recipients = message.to.len(), subject = %message.subject, attachments = message.attachments.len(), "writing email to the folder outbox");
        let (stem, uuid) = crate::spool::new_stem();
        let raw = message.to_mime(&self.from, &format!("{uuid}@{}", self.from.domain()));
        let dir = self.dir.clone();
        let file = stem.clone();
        tokio::task::spawn_blocking(move || {
            crate::spool::write_atomically(&dir, &file, "eml", &raw)
        })
        .await
        .map_err(|e| MailError::Unavailable(Box::new(e)))?
        .map_err(|e| MailError::Unavailable(Box::new(e)))?;
        Ok(SentId::new(stem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::Attachment;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse("email", raw).expect("valid address")
    }

    fn invitation() -> EmailMessage {
        EmailMessage {
            to: vec![address("ana@example.com")],
            subject: "You are invited to join Acme".into(),
            text: "Open https://groups.example.com/join?t=abc=def to join.".into(),
            html: "<p>Open <a href=\"https://groups.example.com/join?t=abc=def\">this link</a> to join.</p>".into(),
            attachments: vec![],
        }
    }

    #[tokio::test]
    async fn a_sent_message_is_written_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderOutbox::new(
            dir.path().join("outbox/nested"),
            address("no-reply@groups.example.com"),
        );

        let id = outbox.send(&invitation()).await.expect("sent");

        let messages = outbox.messages().expect("readable");
        assert_eq!(messages.len(), 1);
        let entry = &messages[0];
        assert_eq!(entry.id, id);
        assert_eq!(entry.path.extension().and_then(|e| e.to_str()), Some("eml"));
        assert_eq!(
            entry.email.from.as_deref(),
            Some("no-reply@groups.example.com")
        );
        assert_eq!(entry.email.to, ["ana@example.com"]);
        assert_eq!(entry.email.subject, "You are invited to join Acme");
        assert_eq!(entry.email.text, invitation().text);
        assert_eq!(entry.email.html, invitation().html);
        assert!(entry.email.attachments.is_empty());
        let raw = std::fs::read_to_string(&entry.path).expect("text file");
        assert!(raw.contains("multipart/alternative"), "{raw}");
        assert!(
            raw.contains("\r\nSubject: You are invited to join Acme\r\n"),
            "{raw}"
        );
    }

    #[tokio::test]
    async fn attachments_are_written_as_mixed_parts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderOutbox::new(dir.path(), address("no-reply@groups.example.com"));
        let mut report = invitation();
        report.subject = "Weekly backup report".into();
        report.attachments = vec![Attachment {
            filename: "user-stats.csv".into(),
            content_type: "text/csv".into(),
            bytes: b"email,computer,last backup\nana@example.com,laptop,2026-11-20\n".to_vec(),
        }];

        outbox.send(&report).await.expect("sent");

        let messages = outbox.messages().expect("readable");
        let email = &messages[0].email;
        assert_eq!(email.text, report.text);
        assert_eq!(email.html, report.html);
        assert_eq!(email.attachments, report.attachments);
        let raw = std::fs::read_to_string(&messages[0].path).expect("text file");
        assert!(raw.contains("multipart/mixed"), "{raw}");
        assert!(raw.contains("multipart/alternative"), "{raw}");
    }

    #[tokio::test]
    async fn messages_come_back_in_sending_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderOutbox::new(dir.path(), address("no-reply@groups.example.com"));
        for n in 0..3 {
            let mut message = invitation();
            message.subject = format!("message {n}");
            outbox.send(&message).await.expect("sent");
        }

        let subjects: Vec<_> = outbox
            .messages()
            .expect("readable")
            .into_iter()
            .map(|m| m.email.subject)
            .collect();

        assert_eq!(subjects, ["message 0", "message 1", "message 2"]);
    }

    #[test]
    fn a_missing_folder_has_no_messages() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = FolderOutbox::new(
            dir.path().join("never-written"),
            address("no-reply@groups.example.com"),
        );
        assert!(outbox.messages().expect("readable").is_empty());
    }
}
