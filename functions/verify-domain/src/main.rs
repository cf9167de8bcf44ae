//! Lambda entry point: clients and the resolver once per cold start, then serve.

use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    let deps = shared::Deps::from_env_with_dns().await?;
    run(service_fn(|req| async {
        Ok::<_, Error>(verify_domain::handler(&deps, req).await)
    }))
    .await
}
