//! Lambda entry point: clients once per cold start, then serve schedule runs.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let deps = shared::Deps::from_env().await?;
    run(service_fn(
        |event: LambdaEvent<weekly_report::ScheduledRun>| async {
            weekly_report::handler(&deps, event.payload)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
