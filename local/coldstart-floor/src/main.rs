//! The cold-start floor: a hello-world `lambda_http` function with the same
//! shape as the real ones (tracing, `#[tokio::main]`, `run(service_fn(..))`)
//! but no configuration and no SDK clients. `scripts/bench-coldstart` measures
//! every function's init time against this binary; it is never deployed.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

async fn hello(_req: Request) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"hello":"world"}"#))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::tracing::init_default_subscriber();
    run(service_fn(hello)).await
}
