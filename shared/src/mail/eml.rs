//! Reading rendered messages back (the folder outbox's `.eml` files, SES
//! raw messages), for tests and the local run; never linked into a Lambda.

use mail_parser::{MessageParser, MimeHeaders};

use super::Attachment;

/// A rendered message read back (from an `.eml` file or an SES raw message),
/// decoded so tests can assert on what a recipient would see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedEml {
    /// The `From` address.
    pub from: Option<String>,
    /// The `To` addresses, in header order.
    pub to: Vec<String>,
    /// The decoded subject.
    pub subject: String,
    /// The decoded `text/plain` body (empty if none).
    pub text: String,
    /// The decoded `text/html` body (empty if none).
    pub html: String,
    /// The attachments, decoded.
    pub attachments: Vec<Attachment>,
    /// The `Message-ID`, without angle brackets.
    pub message_id: Option<String>,
}

impl ParsedEml {
    /// Parses a MIME message; `None` if `raw` is not one.
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let message = MessageParser::default().parse(raw)?;
        let addresses = |address: Option<&mail_parser::Address<'_>>| -> Vec<String> {
            address
                .map(|a| {
                    a.iter()
                        .filter_map(|addr| addr.address().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        // Only real text/plain and text/html parts: the parser would otherwise
        // synthesise one alternative from the other. MIME lines end in CRLF on
        // the wire; read back as the `\n` text that was sent.
        let text = message
            .text_bodies()
            .find(|part| part.is_text() && !part.is_text_html())
            .and_then(|part| part.text_contents())
            .unwrap_or_default()
            .replace("\r\n", "\n");
        let html = message
            .html_bodies()
            .find(|part| part.is_text_html())
            .and_then(|part| part.text_contents())
            .unwrap_or_default()
            .replace("\r\n", "\n");
        let attachments = message
            .attachments()
            .map(|part| Attachment {
                filename: part.attachment_name().unwrap_or_default().to_owned(),
                content_type: part
                    .content_type()
                    .map(|ct| match ct.subtype() {
                        Some(sub) => format!("{}/{sub}", ct.ctype()),
                        None => ct.ctype().to_owned(),
                    })
                    .unwrap_or_default(),
                bytes: part.contents().to_vec(),
            })
            .collect();
        Some(Self {
            from: addresses(message.from()).into_iter().next(),
            to: addresses(message.to()),
            subject: message.subject().unwrap_or_default().to_owned(),
            text,
            html,
            attachments,
            message_id: message.message_id().map(str::to_owned),
        })
    }
}
