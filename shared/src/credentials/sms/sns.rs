//! The AWS adapter: SNS `Publish` straight to a phone number (no topic).

use aws_sdk_sns::Client;
use aws_sdk_sns::error::SdkError;
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;

use super::{SmsError, SmsId, SmsSender};
use crate::model::PhoneNumber;

/// Sends each text as a `Transactional` SMS (the type SNS routes for
/// reliability rather than cost, meant for one-time codes). The client is
/// built once per cold start and shared.
#[derive(Debug, Clone)]
pub struct SnsSms {
    client: Client,
}

impl SnsSms {
    /// An adapter sending through `client`'s account and region (whose SMS
    /// settings, spending limit and sandbox apply).
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

#[async_trait::async_trait]
impl SmsSender for SnsSms {
    async fn send(&self, phone: &PhoneNumber, text: &str) -> Result<SmsId, SmsError> {
        tracing::debug!(
            chars = text.chars().count(),
            "sending a text message through SNS"
        );
        let transactional = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .map_err(|e| SmsError::Rejected(Box::new(e)))?;
        let output = self
            .client
            .publish()
            .phone_number(phone.as_str())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await
            .map_err(classify)?;
        // SNS always returns an id on success; an empty one only from a stand-in.
        Ok(SmsId::new(output.message_id.unwrap_or_default()))
    }
}

/// Maps an SDK error to what the caller can do, by error variant.
fn classify(error: SdkError<PublishError, aws_sdk_sns::config::http::HttpResponse>) -> SmsError {
    match error {
        SdkError::ServiceError(_) => {}
        SdkError::ConstructionFailure(_) => return SmsError::Rejected(Box::new(error)),
        _ => return SmsError::Unavailable(Box::new(error)),
    }
    let error = error.into_service_error();
    match &error {
        // A number SNS cannot reach or that opted out, or a text it refuses.
        PublishError::InvalidParameterException(_)
        | PublishError::InvalidParameterValueException(_)
        | PublishError::ValidationException(_)
        | PublishError::EndpointDisabledException(_) => SmsError::Rejected(Box::new(error)),
        _ => SmsError::Unavailable(Box::new(error)),
    }
}
