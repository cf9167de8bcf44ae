//! Lambda entry point: clients and the resolver once per cold start, then
//! serve schedule runs within each invocation's time.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

/// Time kept back from an invocation's deadline to finish the writes under
/// way and answer.
const MARGIN: std::time::Duration = std::time::Duration::from_secs(20);

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let deps = shared::Deps::from_env_with_dns().await?;
    let deps = &deps;
    run(service_fn(
        |event: LambdaEvent<recheck_domains::ScheduledRun>| async move {
            let left = event
                .context
                .deadline()
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            let budget = shared::jobs::Budget::for_time(left.saturating_sub(MARGIN));
            recheck_domains::handler(deps, event.payload, budget)
                .await
                .map_err(Error::from)
        },
    ))
    .await
}
