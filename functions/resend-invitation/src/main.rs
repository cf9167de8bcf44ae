//! Lambda entry point: clients once per cold start, then serve.

use lambda_http::{Error, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::deps::init_tracing();
    // Reads the invitation-token secret too: this function mints invitations.
    let deps = shared::Deps::from_env_with_invite_secret().await?;
    run(service_fn(|req| async {
        Ok::<_, Error>(resend_invitation::handler(&deps, req).await)
    }))
    .await
}
