//! The AWS adapter: SES v2 `SendEmail`.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, RawMessage};

use super::{EmailMessage, MailError, Mailer, SentId};
use crate::model::EmailAddress;

/// Sends through SES v2: `Simple` content for text + HTML, `Raw` (the MIME
/// rendered by [`EmailMessage`]) when there are attachments. The client is
/// built once per cold start and shared.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: EmailAddress,
    configuration_set: Option<String>,
}

impl SesMailer {
    /// A mailer sending as `from` (a verified SES identity), optionally
    /// through a configuration set (event publishing, suppression).
    pub fn new(client: Client, from: EmailAddress, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from,
            configuration_set,
        }
    }

    fn content(&self, message: &EmailMessage) -> Result<EmailContent, MailError> {
        let content = if message.attachments.is_empty() {
            let simple = Message::builder()
                .subject(utf8(&message.subject)?)
                .body(
                    Body::builder()
                        .text(utf8(&message.text)?)
                        .html(utf8(&message.html)?)
                        .build(),
                )
                .build();
            EmailContent::builder().simple(simple).build()
        } else {
            let domain = self.from.domain();
            let raw = message.to_mime(&self.from, &format!("{}@{domain}", uuid::Uuid::now_v7()));
            let raw = RawMessage::builder()
                .data(Blob::new(raw))
                .build()
                .map_err(|e| MailError::Rejected(Box::new(e)))?;
            EmailContent::builder().raw(raw).build()
        };
        Ok(content)
    }
}

/// SES text content, always declared UTF-8.
fn utf8(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Rejected(Box::new(e)))
}

#[async_trait::async_trait]
impl Mailer for SesMailer {
    async fn send(&self, message: &EmailMessage) -> Result<SentId, MailError> {
        tracing::debug!(recipients = message.to.len(), subject = %message.subject, attachments = message.attachments.len(), "sending email through SES");
        let destination = Destination::builder()
            .set_to_addresses(Some(
                message.to.iter().map(|a| a.as_str().to_owned()).collect(),
            ))
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(self.from.as_str())
            .destination(destination)
            .content(self.content(message)?)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(classify)?;
        // SES always returns an id on success; an empty one only from a stand-in.
        Ok(SentId::new(output.message_id.unwrap_or_default()))
    }
}

/// Maps an SDK error to what the caller must do, by error variant (never by
/// message text). The SDK has already retried throttling and transient
/// errors by then; what remains transient is left for the outbox's retries.
fn classify(
    error: SdkError<SendEmailError, aws_sdk_sesv2::config::http::HttpResponse>,
) -> MailError {
    match error {
        SdkError::ServiceError(_) => {}
        // The request could not be built from this message: permanent.
        SdkError::ConstructionFailure(_) => return MailError::Rejected(Box::new(error)),
        // Timeouts, connection and credential failures, unreadable responses.
        _ => return MailError::Unavailable(Box::new(error)),
    }
    let error = error.into_service_error();
    match &error {
        SendEmailError::MessageRejected(_) | SendEmailError::BadRequestException(_) => {
            MailError::Rejected(Box::new(error))
        }
        SendEmailError::AccountSuspendedException(_)
        | SendEmailError::SendingPausedException(_)
        | SendEmailError::MailFromDomainNotVerifiedException(_)
        | SendEmailError::NotFoundException(_) => MailError::Blocked(Box::new(error)),
        SendEmailError::TooManyRequestsException(_) | SendEmailError::LimitExceededException(_) => {
            MailError::Unavailable(Box::new(error))
        }
        // Unmodelled errors (5xx, unknown codes): retrying costs a few
        // attempts before the dead-letter queue; dropping mail costs more.
        _ => MailError::Unavailable(Box::new(error)),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_sesv2::types::error::{
        AccountSuspendedException, BadRequestException, MessageRejected, TooManyRequestsException,
    };
    use aws_smithy_types::body::SdkBody;

    use super::*;

    fn service_error(
        error: SendEmailError,
        status: u16,
    ) -> SdkError<SendEmailError, aws_sdk_sesv2::config::http::HttpResponse> {
        let status = aws_sdk_sesv2::config::http::HttpResponse::new(
            status.try_into().expect("valid status"),
            SdkBody::empty(),
        );
        SdkError::service_error(error, status)
    }

    #[test]
    fn service_errors_are_classified_by_variant() {
        let cases = [
            (
                "rejected",
                SendEmailError::MessageRejected(MessageRejected::builder().build()),
                400,
                "Rejected",
            ),
            (
                "bad request",
                SendEmailError::BadRequestException(BadRequestException::builder().build()),
                400,
                "Rejected",
            ),
            (
                "suspended",
                SendEmailError::AccountSuspendedException(
                    AccountSuspendedException::builder().build(),
                ),
                400,
                "Blocked",
            ),
            (
                "throttled",
                SendEmailError::TooManyRequestsException(
                    TooManyRequestsException::builder().build(),
                ),
                429,
                "Unavailable",
            ),
            (
                "unknown 5xx",
                SendEmailError::generic(
                    aws_sdk_sesv2::error::ErrorMetadata::builder()
                        .code("InternalFailure")
                        .build(),
                ),
                500,
                "Unavailable",
            ),
        ];
        for (case, error, status, expected) in cases {
            let got = match classify(service_error(error, status)) {
                MailError::Rejected(_) => "Rejected",
                MailError::Blocked(_) => "Blocked",
                MailError::Unavailable(_) => "Unavailable",
            };
            assert_eq!(got, expected, "case {case}");
        }
    }

    #[test]
    fn timeouts_are_retryable() {
        let error: SdkError<SendEmailError, aws_sdk_sesv2::config::http::HttpResponse> =
            SdkError::timeout_error("took too long");
        assert!(classify(error).is_retryable());
    }
}
