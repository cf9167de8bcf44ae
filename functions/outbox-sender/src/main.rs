//! Lambda entry point: configuration and clients once per cold start
//! (`shared::delivery::sender_from_env` lists the settings), then serve
//! stream batches.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let sender = shared::delivery::sender_from_env().await?;
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Error>(outbox_sender::handler(&sender, event).await)
    }))
    .await
}
