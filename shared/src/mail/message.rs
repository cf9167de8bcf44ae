//! The message every mailer sends and its one MIME rendering.

use std::fmt;

use mail_builder::MessageBuilder;

use crate::model::EmailAddress;
use crate::outbox::OutboxEmail;

/// One email as rendered from a template: the same content goes to every
/// recipient in `to`. Debug output shows counts only, never bodies or
/// addresses, so logging a message by accident leaks nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    /// Recipients; all see each other in the `To` header.
    pub to: Vec<EmailAddress>,
    /// Subject line (any Unicode; encoded as needed).
    pub subject: String,
    /// Plain-text body, for clients that do not render HTML.
    pub text: String,
    /// HTML body, the same content as `text`.
    pub html: String,
    /// Files attached to the message (the User Stats CSV, for instance).
    pub attachments: Vec<Attachment>,
}

/// A file attached to an email.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Name the recipient's client shows and saves it under.
    pub filename: String,
    /// MIME type, such as `text/csv`.
    pub content_type: String,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for EmailMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailMessage")
            .field("recipients", &self.to.len())
            .field("subject", &self.subject)
            .field("text_len", &self.text.len())
            .field("html_len", &self.html.len())
            .field("attachments", &self.attachments)
            .finish()
    }
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl EmailMessage {
    /// Renders the RFC 5322 message: `multipart/alternative` (text, then
    /// HTML), wrapped in `multipart/mixed` when there are attachments. The one
    /// place MIME is built, for SES raw sends and `.eml` files alike.
    /// `message_id` is the bare id (`local@domain`), without angle brackets.
    pub(crate) fn to_mime(&self, from: &EmailAddress, message_id: &str) -> Vec<u8> {
        let mut builder = MessageBuilder::new()
            .from(from.as_str())
            .to(self.to.iter().map(EmailAddress::as_str).collect::<Vec<_>>())
            .subject(self.subject.as_str())
            .message_id(message_id)
            .text_body(self.text.as_str())
            .html_body(self.html.as_str());
        for attachment in &self.attachments {
            builder = builder.attachment(
                attachment.content_type.as_str(),
                attachment.filename.as_str(),
                attachment.bytes.as_slice(),
            );
        }
        let mut out = Vec::new();
        builder.serialize(&mut out);
        out
    }
}

impl From<&OutboxEmail> for EmailMessage {
    fn from(e: &OutboxEmail) -> Self {
        EmailMessage {
            to: e.to.clone(),
            subject: e.subject.clone(),
            text: e.text.clone(),
            html: e.html.clone(),
            attachments: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::ParsedEml;

    fn address(raw: &str) -> EmailAddress {
        EmailAddress::parse("to", raw).expect("valid address")
    }

    fn message(attachments: Vec<Attachment>) -> EmailMessage {
        EmailMessage {
            to: vec![address("ana@example.com"), address("bo@example.org")],
            subject: "Bienvenue dans « Équipe » ✓".into(),
            text: "Join here: https://groups.example.com/invitations/abc?x=1&y=2\nThanks.".into(),
            html: "<p>Join <a href=\"https://groups.example.com/invitations/abc?x=1&amp;y=2\">here</a></p>".into(),
            attachments,
        }
    }

    #[test]
    fn mime_round_trips_headers_and_both_bodies() {
        let sent = message(vec![]);
        let raw = sent.to_mime(
            &address("no-reply@groups.example.com"),
            "id-1@groups.example.com",
        );

        let got = ParsedEml::parse(&raw).expect("parses");

        assert_eq!(got.from.as_deref(), Some("no-reply@groups.example.com"));
        assert_eq!(got.to, ["ana@example.com", "bo@example.org"]);
        assert_eq!(got.subject, sent.subject);
        assert_eq!(got.text, sent.text);
        assert_eq!(got.html, sent.html);
        assert!(got.attachments.is_empty());
        assert_eq!(got.message_id.as_deref(), Some("id-1@groups.example.com"));
        let head = String::from_utf8_lossy(&raw);
        assert!(head.contains("multipart/alternative"), "{head}");
        assert!(!head.contains("multipart/mixed"), "{head}");
    }

    #[test]
    fn attachments_make_a_mixed_message() {
        let csv = Attachment {
            filename: "user-stats.csv".into(),
            content_type: "text/csv".into(),
            bytes: b"email,computer\nana@example.com,laptop\n".to_vec(),
        };
        let pdf = Attachment {
            filename: "report.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: vec![0, 159, 146, 150, 255],
        };
        let sent = message(vec![csv, pdf]);
        let raw = sent.to_mime(
            &address("no-reply@groups.example.com"),
            "id-2@groups.example.com",
        );

        let got = ParsedEml::parse(&raw).expect("parses");

        assert_eq!(got.text, sent.text);
        assert_eq!(got.html, sent.html);
        assert_eq!(got.attachments, sent.attachments);
        assert!(String::from_utf8_lossy(&raw).contains("multipart/mixed"));
    }

    #[test]
    fn a_subject_cannot_inject_headers() {
        let mut sent = message(vec![]);
        sent.subject = "Hello\r\nBcc: mallory@evil.example".into();
        let raw = sent.to_mime(
            &address("no-reply@groups.example.com"),
            "id-3@groups.example.com",
        );

        let text = String::from_utf8_lossy(&raw);
        assert!(!text.lines().any(|line| line.starts_with("Bcc:")), "{text}");
        let got = ParsedEml::parse(&raw).expect("parses");
        assert_eq!(got.to, ["ana@example.com", "bo@example.org"]);
    }

    #[test]
    fn debug_output_hides_addresses_and_bodies() {
        let shown = format!("{:?}", message(vec![]));
        assert!(!shown.contains("ana@example.com"), "{shown}");
        assert!(!shown.contains("Join here"), "{shown}");
        assert!(shown.contains("recipients: 2"), "{shown}");
    }
}
