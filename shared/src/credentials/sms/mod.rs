//! SMS: the `SmsSender` port (codes that prove a new phone number is the
//! member's) and its adapters, SNS in AWS and a folder of files locally.

mod folder;
mod sns;

use std::fmt;

pub use folder::{FolderSms, SmsEntry};
pub use sns::SnsSms;

use super::BoxError;
use crate::model::PhoneNumber;

/// Sends one text message to one phone. Implemented by [`SnsSms`] (AWS) and
/// [`FolderSms`] (local runs and tests), so callers never name either.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `text` to `phone` now; returns the id the transport gave it, to
    /// trace the delivery. `text` may hold a one-time code: adapters never
    /// log it.
    async fn send(&self, phone: &PhoneNumber, text: &str) -> Result<SmsId, SmsError>;
}

/// The identifier the transport assigned to a sent message (the SNS
/// `MessageId`, or the file stem of the folder outbox).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SmsId(String);

impl SmsId {
    /// Wraps a transport's identifier.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identifier as the transport spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SmsId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text was not sent, grouped by what the caller tells the admin.
/// The transport's own error is kept as the source for logs.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// This message can never be sent as it is: the number is refused
    /// (unreachable, opted out) or the text is: trying again will not help.
    #[error("the text message was rejected")]
    Rejected(#[source] BoxError),
    /// A transient or operator-side failure (throttling, spending limit,
    /// permissions, network, disk): trying again later may succeed.
    #[error("text messages cannot be sent right now")]
    Unavailable(#[source] BoxError),
}

impl SmsError {
    /// Whether sending the same message again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}
