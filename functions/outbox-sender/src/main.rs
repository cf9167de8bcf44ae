//! Lambda entry point: configuration and clients once per cold start, then
//! serve stream batches.
//!
//! Settings: `TABLE_NAME`, `SENDER_EMAIL` (a verified SES identity),
//! `SES_CONFIGURATION_SET` (optional), `EVENT_BUS_NAME`, and one queue URL
//! per kind of job (`USAGE_QUEUE_URL`, `DISSOLVE_QUEUE_URL`),
//! `INVITE_SECRET_ARN` (opens invitation tokens' seals); region,
//! endpoint and credentials from the standard AWS environment.

use std::collections::HashMap;
use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::clock::SystemClock;
use shared::delivery::OutboxSender;
use shared::deps::required_env;
use shared::events::EventBridgePublisher;
use shared::jobs::JobKind;
use shared::jobs::queue::SqsJobs;
use shared::mail::SesMailer;
use shared::model::EmailAddress;
use shared::repo::Repository;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let table = required_env("TABLE_NAME")?;
    let sender_email = EmailAddress::parse("SENDER_EMAIL", &required_env("SENDER_EMAIL")?)
        .map_err(|e| format!("SENDER_EMAIL {}", e.reason))?;
    let configuration_set = required_env("SES_CONFIGURATION_SET").ok();
    let bus = required_env("EVENT_BUS_NAME")?;
    let queues = JobKind::ALL
        .into_iter()
        .map(|kind| Ok((kind, required_env(kind.queue_setting())?)))
        .collect::<Result<HashMap<_, _>, shared::deps::MissingSetting>>()?;

    let sdk = shared::deps::sdk_config().await;
    let sender = OutboxSender::new(
        Repository::new(aws_sdk_dynamodb::Client::new(&sdk), table),
        Arc::new(SesMailer::new(
            aws_sdk_sesv2::Client::new(&sdk),
            sender_email,
            configuration_set,
        )),
        Arc::new(EventBridgePublisher::new(
            aws_sdk_eventbridge::Client::new(&sdk),
            bus,
        )),
        Arc::new(SqsJobs::new(aws_sdk_sqs::Client::new(&sdk), queues)),
        Arc::new(SystemClock),
    )
    .with_invite_secret(shared::deps::invite_secret_from_env(&sdk).await?);

    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Error>(outbox_sender::handler(&sender, event).await)
    }))
    .await
}
