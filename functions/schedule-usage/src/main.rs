//! Lambda entry point: clients once per cold start, then serve schedule runs.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let deps = shared::Deps::from_env().await?;
    run(service_fn(
        |event: LambdaEvent<schedule_usage::ScheduledRun>| async {
            schedule_usage::handler(&deps, event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
