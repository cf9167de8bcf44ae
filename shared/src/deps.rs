//! What every Lambda builds once per cold start: typed configuration and SDK
//! clients. Region, endpoint and credentials come from the standard AWS
//! environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, profiles, roles).

use std::sync::Arc;

use crate::clock::{Clock, SystemClock};
use crate::repo::Repository;

/// A required setting that is missing or empty; names the variable so a
/// misconfigured deployment fails fast and says why.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set to a valid value")]
pub struct MissingSetting(pub &'static str);

/// Reads a required environment variable.
pub fn required_env(name: &'static str) -> Result<String, MissingSetting> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(MissingSetting(name))
}

/// Limits and links that differ per deployment (and per test).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Member accounts per group (the product's 5,000; smaller in tests).
    pub max_members: u32,
    /// Email invitations one group may send per UTC day.
    pub invites_per_day: u32,
    /// Where invite links point, e.g. `https://groups.example.com`.
    pub public_base_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_members: crate::model::MAX_MEMBERS,
            invites_per_day: 500,
            public_base_url: "http://127.0.0.1:3000".into(),
        }
    }
}

impl Settings {
    /// Reads optional overrides: `MAX_MEMBERS_PER_GROUP`, `INVITES_PER_DAY`, `PUBLIC_BASE_URL`.
    pub fn from_env() -> Result<Self, MissingSetting> {
        let mut settings = Self::default();
        if let Ok(v) = std::env::var("MAX_MEMBERS_PER_GROUP") {
            settings.max_members = v
                .parse()
                .map_err(|_| MissingSetting("MAX_MEMBERS_PER_GROUP"))?;
        }
        if let Ok(v) = std::env::var("INVITES_PER_DAY") {
            settings.invites_per_day = v.parse().map_err(|_| MissingSetting("INVITES_PER_DAY"))?;
        }
        if let Ok(v) = std::env::var("PUBLIC_BASE_URL") {
            settings.public_base_url = v.trim_end_matches('/').to_owned();
        }
        Ok(settings)
    }

    /// The join link for a token.
    pub fn join_url(&self, token: &str) -> String {
        format!("{}/invitations/{token}", self.public_base_url)
    }
}

/// Shared dependencies of every operation.
#[derive(Clone)]
pub struct Deps {
    /// The table.
    pub repo: Repository,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Limits and links.
    pub settings: Settings,
}

impl Deps {
    /// Assembles dependencies from parts (tests and the local gateway).
    pub fn new(repo: Repository, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            repo,
            clock,
            settings,
        }
    }

    /// Builds clients from the standard AWS environment and `TABLE_NAME`.
    pub async fn from_env() -> Result<Self, MissingSetting> {
        let table = required_env("TABLE_NAME")?;
        let settings = Settings::from_env()?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let repo = Repository::new(aws_sdk_dynamodb::Client::new(&sdk), table);
        Ok(Self::new(repo, Arc::new(SystemClock), settings))
    }
}

/// Initialises tracing as Lambda expects (honours `AWS_LAMBDA_LOG_FORMAT` and level).
pub fn init_tracing() {
    lambda_http::tracing::init_default_subscriber();
}
