//! Email: the `Mailer` port and its two adapters (SES v2 in AWS, a folder of
//! `.eml` files locally). Owned by the mail work; see DESIGN §6.
//!
//! A port, because two real implementations exist: [`SesMailer`] delivers in
//! AWS, [`FolderOutbox`] writes what would have been delivered when running
//! locally. Both render the same MIME (see [`EmailMessage`]), so what a local
//! run shows is what SES would have sent.
//!
//! Callers decide what to do with a failure from [`MailError`] alone:
//! [`MailError::is_retryable`] says whether the outbox sender should try again
//! or hand the message to the dead-letter queue.

#[cfg(feature = "eml")]
mod eml;
mod folder;
mod message;
mod ses;

use std::fmt;

#[cfg(feature = "eml")]
pub use eml::ParsedEml;
pub use folder::FolderOutbox;
#[cfg(feature = "eml")]
pub use folder::OutboxEntry;
pub use message::{Attachment, EmailMessage};
pub use ses::SesMailer;

/// The boxed cause kept inside a [`MailError`], so the chain can be logged.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Delivers one rendered email. Implemented by [`SesMailer`] (AWS) and
/// [`FolderOutbox`] (local runs and tests), so senders never name either.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Sends `message` to all its recipients at once; returns the id the
    /// transport gave it, for correlating bounces and logs.
    async fn send(&self, message: &EmailMessage) -> Result<SentId, MailError>;
}

/// The identifier the transport assigned to a sent message (SES `MessageId`,
/// or the `.eml` file stem of the folder outbox), kept to trace deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SentId(String);

impl SentId {
    /// Wraps a transport's identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as the transport spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a message was not sent, grouped by what the caller must do about it.
/// The transport's own error is kept as the source for logs.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// This message can never be delivered as it is (bad address, content
    /// refused, request malformed): do not retry, dead-letter it.
    #[error("the message was rejected")]
    Rejected(#[source] BoxError),
    /// Sending is refused for every message until an operator acts (account
    /// suspended or paused, sender domain not verified, configuration set
    /// missing): do not retry, dead-letter and alert.
    #[error("sending is blocked until an operator acts")]
    Blocked(#[source] BoxError),
    /// A transient failure (throttling, quota, service error, network, disk):
    /// retry later.
    #[error("the mail transport is unavailable")]
    Unavailable(#[source] BoxError),
}

impl MailError {
    /// Whether sending the same message again later may succeed; the outbox
    /// sender retries only these and dead-letters the rest.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unavailable_is_retryable() {
        let cause = || -> BoxError { "cause".into() };
        let cases = [
            (MailError::Rejected(cause()), false),
            (MailError::Blocked(cause()), false),
            (MailError::Unavailable(cause()), true),
        ];
        for (error, expected) in cases {
            assert_eq!(error.is_retryable(), expected, "{error:?}");
        }
    }
}
