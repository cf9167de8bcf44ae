//! Errors the emulator never produces but real DynamoDB does under load
//! (`TransactionConflict`, throttling), injected into a client's responses so
//! tests can walk the paths a production burst takes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// Replaces the response of every request for one operation with a DynamoDB
/// error, as the service sends it (awsJson 1.0, HTTP 400), and counts them;
/// only while armed, so a test can set up its data first.
#[derive(Debug, Clone)]
pub struct Fault {
    operation: &'static str,
    body: &'static str,
    armed: Arc<AtomicBool>,
    injected: Arc<AtomicUsize>,
}

impl Fault {
    /// Every `TransactWriteItems` is cancelled because another transaction
    /// holds one of its items.
    pub fn transaction_conflict() -> Self {
        Self {
            operation: "TransactWriteItems",
            body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]","CancellationReasons":[{"Code":"TransactionConflict","Message":"Transaction is ongoing for the item"}]}"#,
            armed: Arc::default(),
            injected: Arc::default(),
        }
    }

    /// Every request of `operation` is throttled (after the SDK's own retries,
    /// the caller sees it).
    pub fn throttling(operation: &'static str) -> Self {
        Self {
            operation,
            body: r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
            armed: Arc::default(),
            injected: Arc::default(),
        }
    }

    /// From now on, responses are replaced.
    pub fn arm(&self) {
        self.armed.store(true, Ordering::SeqCst);
    }

    /// From now on, responses pass untouched.
    pub fn disarm(&self) {
        self.armed.store(false, Ordering::SeqCst);
    }

    /// How many responses were replaced so far.
    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }
}

/// SDK retries as configured, but milliseconds apart: a faulted test
/// reaches the end of them at once.
pub fn quick_retries() -> aws_sdk_dynamodb::config::retry::RetryConfig {
    aws_sdk_dynamodb::config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(std::time::Duration::from_millis(5))
        .with_max_backoff(std::time::Duration::from_millis(20))
}

impl Fault {
    fn applies(&self, cfg: &ConfigBag) -> bool {
        self.armed.load(Ordering::SeqCst)
            && cfg
                .load::<Metadata>()
                .is_some_and(|m| m.name() == self.operation)
    }
}

impl Intercept for Fault {
    fn name(&self) -> &'static str {
        "Fault"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The emulator must not carry out a request whose answer is replaced:
        // real DynamoDB changed nothing. An empty body is refused unread.
        if self.applies(cfg) {
            let request = context.request_mut();
            *request.body_mut() = SdkBody::from("{}");
            request.headers_mut().insert("content-length", "2");
        }
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if self.applies(cfg) {
            let mut response = HttpResponse::new(
                StatusCode::try_from(400).map_err(|e| BoxError::from(e.to_string()))?,
                SdkBody::from(self.body),
            );
            response
                .headers_mut()
                .insert("content-type", "application/x-amz-json-1.0");
            *context.response_mut() = response;
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}
