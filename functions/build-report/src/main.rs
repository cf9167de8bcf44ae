//! Lambda entry point: clients once per cold start, then serve SQS batches.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let deps = shared::Deps::from_env_with_files().await?;
    run(service_fn(|event: LambdaEvent<_>| async {
        Ok::<_, Error>(build_report::handler(&deps, event).await)
    }))
    .await
}
