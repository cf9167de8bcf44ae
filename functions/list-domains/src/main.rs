//! Lambda entry point: clients once per cold start, then serve.

use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let deps = shared::Deps::from_env().await?;
    run(service_fn(|req| async {
        Ok::<_, Error>(list_domains::handler(&deps, req).await)
    }))
    .await
}
