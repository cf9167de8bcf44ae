//! Lambda entry point: the outbox sender's configuration and clients once per
//! cold start (`shared::delivery::sender_from_env`), then sweep on schedule.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let sender = shared::delivery::sender_from_env().await?;
    run(service_fn(|event: LambdaEvent<serde_json::Value>| async {
        Ok::<_, Error>(sweep_outbox::handler(&sender, event).await)
    }))
    .await
}
