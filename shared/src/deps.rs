//! What every Lambda builds once per cold start: typed configuration and SDK
//! clients. Region, endpoint and credentials come from the standard AWS
//! environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, profiles, roles).

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::repo::Repository;

/// A required setting that is missing or empty; names the variable so a
/// misconfigured deployment fails fast and says why.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set")]
pub struct MissingSetting(pub &'static str);

/// Reads a required environment variable.
pub fn required_env(name: &'static str) -> Result<String, MissingSetting> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(MissingSetting(name))
}

/// Shared dependencies of every operation.
#[derive(Clone)]
pub struct Deps {
    /// The table.
    pub repo: Repository,
    /// Time source.
    pub clock: Arc<dyn Clock>,
}

impl Deps {
    /// Assembles dependencies from parts (tests and the local gateway).
    pub fn new(repo: Repository, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Builds clients from the standard AWS environment and `TABLE_NAME`.
    pub async fn from_env() -> Result<Self, MissingSetting> {
        let table = required_env("TABLE_NAME")?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let repo = Repository::new(aws_sdk_dynamodb::Client::new(&sdk), table);
        Ok(Self::new(repo, Arc::new(SystemClock)))
    }
}

/// Initialises tracing as Lambda expects (honours `AWS_LAMBDA_LOG_FORMAT` and level).
pub fn init_tracing() {
    lambda_http::tracing::init_default_subscriber();
}
