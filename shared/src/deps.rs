//! What every Lambda builds once per cold start: typed configuration and SDK
//! clients. Region, endpoint and credentials come from the standard AWS
//! environment (`AWS_REGION`, `AWS_ENDPOINT_URL`, profiles, roles).

use std::sync::Arc;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
// Through the DynamoDB crate: aws-smithy-types is optional (feature `delivery`).
use aws_sdk_dynamodb::config::ConfigBag;

use crate::clock::{Clock, SystemClock};
use crate::repo::Repository;

/// A required setting that is missing or empty; names the variable so a
/// misconfigured deployment fails fast and says why.
#[derive(Debug, thiserror::Error)]
#[error("environment variable {0} must be set to a valid value")]
pub struct MissingSetting(pub &'static str);

#[cfg(test)]
mod public_base_url_tests {
    use super::public_base_url;

    #[test]
    fn the_public_base_url_is_an_absolute_https_url_in_lambda() {
        assert_eq!(
            public_base_url("https://groups.example.com/", true)
                .ok()
                .as_deref(),
            Some("https://groups.example.com")
        );
        assert!(public_base_url("http://127.0.0.1:3000", false).is_ok());
        for bad in [
            "http://groups.example.com",
            "groups.example.com",
            "https://",
            "",
            "https://a b",
        ] {
            assert!(public_base_url(bad, true).is_err(), "{bad:?}");
        }
    }
}

/// Reads a required environment variable.
pub fn required_env(name: &'static str) -> Result<String, MissingSetting> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .ok_or(MissingSetting(name))
}

/// Reads an optional environment variable as a `T`: absent is `None`, a
/// value that does not parse stops the cold start, naming the variable.
pub fn optional_env<T: std::str::FromStr>(name: &'static str) -> Result<Option<T>, MissingSetting> {
    std::env::var(name)
        .ok()
        .map(|v| v.parse::<T>().map_err(|_| MissingSetting(name)))
        .transpose()
}

/// Where invite links point: an absolute http(s) URL without a trailing
/// slash; in Lambda, https only.
fn public_base_url(raw: &str, in_lambda: bool) -> Result<String, MissingSetting> {
    let url = raw.trim().trim_end_matches('/');
    let scheme_ok = url.starts_with("https://") || (!in_lambda && url.starts_with("http://"));
    let host = url.split_once("://").map_or("", |(_, rest)| rest);
    if scheme_ok && !host.is_empty() && !url.chars().any(char::is_whitespace) {
        Ok(url.to_owned())
    } else {
        Err(MissingSetting("PUBLIC_BASE_URL"))
    }
}

/// Limits and links that differ per deployment (and per test).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Member accounts per group (the product's 5,000; smaller in tests).
    pub max_members: u32,
    /// Email invitations one group may send per UTC day.
    pub invites_per_day: u32,
    /// Email invitations one account may send per UTC day, over all its groups.
    pub invites_per_account_per_day: u32,
    /// Groups one account may create per UTC day.
    pub groups_per_account_per_day: u32,
    /// How often one invitation may be sent again.
    pub resends: crate::model::ResendLimits,
    /// Where invite links point, e.g. `https://groups.example.com`.
    pub public_base_url: String,
    /// Prices for groups created from now on.
    pub prices: crate::model::Prices,
    /// Days a User Stats report is kept (the reports bucket's lifecycle rule).
    pub report_retention_days: u32,
    /// Largest User Stats CSV a report email attaches; a larger one is linked.
    pub report_attachment_max_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_members: crate::model::MAX_MEMBERS,
            invites_per_day: 500,
            invites_per_account_per_day: 1_000,
            groups_per_account_per_day: 3,
            resends: crate::model::ResendLimits::default(),
            public_base_url: "http://127.0.0.1:3000".into(),
            prices: crate::model::Prices::default(),
            report_retention_days: crate::model::DEFAULT_REPORT_RETENTION_DAYS,
            report_attachment_max_bytes: crate::outbox::DEFAULT_ATTACHMENT_MAX_BYTES,
        }
    }
}

impl Settings {
    /// Reads optional overrides: `MAX_MEMBERS_PER_GROUP`, `INVITES_PER_DAY`,
    /// the abuse caps `INVITES_PER_ACCOUNT_PER_DAY`,
    /// `GROUPS_PER_ACCOUNT_PER_DAY`, `RESENDS_PER_INVITATION`,
    /// `RESEND_INTERVAL_MINUTES`, `PUBLIC_BASE_URL`, and the prices
    /// `COMPUTER_MONTH_CENTS`, `B2_TB_MONTH_CENTS`, `B2_FREE_GB`, and the
    /// reports' `REPORT_RETENTION_DAYS`, `REPORT_ATTACHMENT_MAX_BYTES`.
    pub fn from_env() -> Result<Self, MissingSetting> {
        let mut settings = Self::default();
        if let Some(max) = optional_env("MAX_MEMBERS_PER_GROUP")? {
            settings.max_members = max;
        }
        if let Some(cap) = optional_env("INVITES_PER_DAY")? {
            settings.invites_per_day = cap;
        }
        if let Some(cap) = optional_env("INVITES_PER_ACCOUNT_PER_DAY")? {
            settings.invites_per_account_per_day = cap;
        }
        if let Some(cap) = optional_env("GROUPS_PER_ACCOUNT_PER_DAY")? {
            settings.groups_per_account_per_day = cap;
        }
        if let Some(max) = optional_env("RESENDS_PER_INVITATION")? {
            settings.resends.max = max;
        }
        if let Some(minutes) = optional_env::<u32>("RESEND_INTERVAL_MINUTES")? {
            settings.resends.interval = time::Duration::minutes(i64::from(minutes));
        }
        let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
        match std::env::var("PUBLIC_BASE_URL") {
            Ok(v) => settings.public_base_url = public_base_url(&v, in_lambda)?,
            // Links in emails must never silently point at the local default.
            Err(_) if in_lambda => return Err(MissingSetting("PUBLIC_BASE_URL")),
            Err(_) => {}
        }
        if let Some(cents) = optional_env("COMPUTER_MONTH_CENTS")? {
            settings.prices.computer_month_cents = cents;
        }
        if let Some(cents) = optional_env("B2_TB_MONTH_CENTS")? {
            settings.prices.b2_tb_month_cents = cents;
        }
        if let Some(gb) = optional_env::<u64>("B2_FREE_GB")? {
            settings.prices.b2_free_bytes = gb.saturating_mul(crate::model::GB);
        }
        if let Some(days) = optional_env("REPORT_RETENTION_DAYS")? {
            settings.report_retention_days = days;
        }
        if let Some(bytes) = optional_env("REPORT_ATTACHMENT_MAX_BYTES")? {
            settings.report_attachment_max_bytes = bytes;
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
    /// Turns invitation-token seals into tokens: only where invitations are
    /// minted or sent (see [`Deps::with_invite_secret`]).
    pub invite_secret: Option<crate::model::InviteSecret>,
    /// Member files and snapshots in S3: only where used (see
    /// [`Deps::with_files`]).
    #[cfg(feature = "files")]
    pub files: Option<crate::storage::FileStore>,
    /// Checks members' passwords and changes their sign-in attributes, and
    /// texts codes to new phones: only where used (see [`Deps::with_identity`]).
    #[cfg(feature = "identity-port")]
    pub identity: Option<Identity>,
    /// Looks up the TXT records that prove a group's domains: only where
    /// used (see [`Deps::with_dns`]).
    #[cfg(feature = "dns")]
    pub dns: Option<crate::dns::TxtResolver>,
}

/// The identity provider and the SMS sender of password-confirmed changes.
#[cfg(feature = "identity-port")]
#[derive(Clone)]
pub struct Identity {
    /// Passwords and sign-in attributes (Cognito in AWS).
    pub port: Arc<dyn crate::credentials::IdentityPort>,
    /// Codes to new phone numbers (SNS in AWS).
    pub sms: Arc<dyn crate::credentials::SmsSender>,
}

impl Deps {
    /// Assembles dependencies from parts (tests and the local gateway).
    pub fn new(repo: Repository, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self {
            repo,
            clock,
            settings,
            invite_secret: None,
            #[cfg(feature = "files")]
            files: None,
            #[cfg(feature = "identity-port")]
            identity: None,
            #[cfg(feature = "dns")]
            dns: None,
        }
    }

    /// These dependencies with a resolver, for the functions that look up
    /// domain proofs.
    #[cfg(feature = "dns")]
    pub fn with_dns(mut self, resolver: crate::dns::TxtResolver) -> Self {
        self.dns = Some(resolver);
        self
    }

    /// The resolver, which a function that proves domains must have.
    #[cfg(feature = "dns")]
    pub fn dns(&self) -> crate::Result<&crate::dns::TxtResolver> {
        self.dns
            .as_ref()
            .ok_or_else(|| crate::Error::unexpected("this function has no DNS resolver"))
    }

    /// [`Deps::from_env`] plus the resolver (see
    /// [`crate::dns::TxtResolver::from_env`]), built once per cold start.
    #[cfg(feature = "dns")]
    pub async fn from_env_with_dns() -> Result<Self, MissingSetting> {
        let resolver = crate::dns::TxtResolver::from_env()?;
        Ok(Self::from_env().await?.with_dns(resolver))
    }

    /// These dependencies with the identity provider and SMS sender, for
    /// the functions that change a member's account on their behalf.
    #[cfg(feature = "identity-port")]
    pub fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = Some(identity);
        self
    }

    /// The identity provider, which such a function must have.
    #[cfg(feature = "identity-port")]
    pub fn identity(&self) -> crate::Result<&Identity> {
        self.identity
            .as_ref()
            .ok_or_else(|| crate::Error::unexpected("this function has no identity provider"))
    }

    /// [`Deps::from_env`] plus Cognito (`COGNITO_USER_POOL_ID`,
    /// `COGNITO_CLIENT_ID`) and SNS.
    #[cfg(feature = "identity-port")]
    pub async fn from_env_with_identity() -> Result<Self, MissingSetting> {
        let sdk = sdk_config().await;
        let identity = Identity {
            port: crate::credentials::identity_from_env(&sdk)?,
            sms: crate::credentials::sms_from_env(&sdk),
        };
        Ok(Self::from_sdk(&sdk)?.with_identity(identity))
    }

    /// These dependencies with S3 access, for the functions that handle
    /// member files and snapshots.
    #[cfg(feature = "files")]
    pub fn with_files(mut self, files: crate::storage::FileStore) -> Self {
        self.files = Some(files);
        self
    }

    /// The file store, which a function that touches files must have.
    #[cfg(feature = "files")]
    pub fn files(&self) -> crate::Result<&crate::storage::FileStore> {
        self.files
            .as_ref()
            .ok_or_else(|| crate::Error::unexpected("this function has no file store"))
    }

    /// [`Deps::from_env`] plus S3 (see [`crate::storage::FileStore::from_env`]).
    #[cfg(feature = "files")]
    pub async fn from_env_with_files() -> Result<Self, MissingSetting> {
        let sdk = sdk_config().await;
        let files = crate::storage::FileStore::from_env(&sdk)?;
        Ok(Self::from_sdk(&sdk)?.with_files(files))
    }

    /// These dependencies holding `secret`, for the functions that mint
    /// invitation tokens.
    pub fn with_invite_secret(mut self, secret: crate::model::InviteSecret) -> Self {
        self.invite_secret = Some(secret);
        self
    }

    /// Builds clients from the standard AWS environment and `TABLE_NAME`.
    pub async fn from_env() -> Result<Self, MissingSetting> {
        Self::from_sdk(&sdk_config().await)
    }

    fn from_sdk(sdk: &aws_config::SdkConfig) -> Result<Self, MissingSetting> {
        let table = required_env("TABLE_NAME")?;
        let settings = Settings::from_env()?;
        let repo = Repository::new(aws_sdk_dynamodb::Client::new(sdk), table);
        Ok(Self::new(repo, Arc::new(SystemClock), settings))
    }

    /// [`Deps::from_env`] plus the invitation-token secret (see
    /// [`invite_secret_from_env`]), for the functions that mint invitations.
    #[cfg(feature = "invite-secret")]
    pub async fn from_env_with_invite_secret()
    -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let sdk = sdk_config().await;
        let secret = invite_secret_from_env(&sdk).await?;
        Ok(Self::from_sdk(&sdk)?.with_invite_secret(secret))
    }
}

/// The invitation-token secret, read once per cold start from the Secrets
/// Manager secret named by `INVITE_SECRET_ARN` (its ARN or name).
#[cfg(feature = "invite-secret")]
pub async fn invite_secret_from_env(
    sdk: &aws_config::SdkConfig,
) -> Result<crate::model::InviteSecret, Box<dyn std::error::Error + Send + Sync>> {
    let id = required_env("INVITE_SECRET_ARN")?;
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    invite_secret_from(&client, &id).await
}

/// [`invite_secret_from_env`] with a given client (tests: moto).
#[cfg(feature = "invite-secret")]
pub async fn invite_secret_from(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<crate::model::InviteSecret, Box<dyn std::error::Error + Send + Sync>> {
    let out = client.get_secret_value().secret_id(id).send().await?;
    let text = out.secret_string().unwrap_or_default();
    crate::model::InviteSecret::from_text(text)
        .ok_or_else(|| "the invitation-token secret must be at least 32 characters".into())
}

/// The AWS SDK configuration of a Lambda: `aws_config::load_defaults` (region,
/// endpoint, credentials, retries from the standard AWS environment, exactly as
/// before) with one change, the HTTPS client's trusted roots.
///
/// Why: the SDK's default client reads the system's root certificates when the
/// first SDK client is created (a 220 KB bundle and ~150 files on the dev
/// machine): with it get-me's init was 2.4x a hello-world floor, without it
/// 1.3x (`scripts/bench-coldstart`). This client trusts Mozilla's root certificates compiled into the binary
/// (`webpki-root-certs`: the set `webpki-roots` carries, as certificates), with
/// nothing read from disk. TLS is otherwise the SDK's default: rustls with
/// aws-lc, the same protocol versions and cipher suites, full certificate and
/// host-name verification. One difference: `HTTPS_PROXY`/`NO_PROXY` are not
/// read (the functions reach the AWS endpoints directly, outside any VPC).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}

/// The SDK's rustls (aws-lc) HTTPS client, trusting only the compiled-in roots.
fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::tls::{
        Provider, TlsContext, TrustStore, rustls_provider::CryptoMode,
    };
    // `empty()`: no native roots, so nothing is read from /etc/ssl.
    let trust = TrustStore::empty().with_pem_certificate(mozilla_roots_pem());
    let tls = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .expect("a TLS context with a trust store always builds");
    let client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::rustls(CryptoMode::AwsLc))
        .tls_context(tls)
        .build_https();
    SharedHttpClient::new(NoThrowawayConnector(client))
}

/// The SDK's HTTPS client without the TLS connector it builds and drops when an
/// SDK client is created (`validate_base_client_config`, there so that native
/// roots are read at init rather than on the first request). With compiled-in
/// roots there is nothing to warm, and that build parses every root (~0.5 ms)
/// only to throw the result away: the connector used for requests is built, as
/// before, on first use and cached. Everything else is passed through.
#[derive(Debug)]
struct NoThrowawayConnector(SharedHttpClient);

impl HttpClient for NoThrowawayConnector {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// Mozilla's root certificates as one PEM bundle, the only form the SDK's trust
/// store takes (one base64 line per certificate; encoding takes ~0.1 ms).
fn mozilla_roots_pem() -> Vec<u8> {
    use base64::Engine as _;
    let roots = webpki_root_certs::TLS_SERVER_ROOT_CERTS;
    let mut pem = String::with_capacity(roots.iter().map(|c| c.len() * 4 / 3 + 64).sum());
    for cert in roots {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        base64::engine::general_purpose::STANDARD.encode_string(cert, &mut pem);
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

/// Initialises tracing as Lambda expects (honours `AWS_LAMBDA_LOG_FORMAT` and level).
pub fn init_tracing() {
    lambda_http::tracing::init_default_subscriber();
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_compiled_in_roots_read_back_exactly_with_the_sdks_pem_parser() {
        let pem = mozilla_roots_pem();
        let parsed = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .expect("the bundle is valid PEM");
        assert!(parsed.len() > 100, "only {} roots", parsed.len());
        assert_eq!(parsed, webpki_root_certs::TLS_SERVER_ROOT_CERTS);
    }

    #[tokio::test]
    async fn a_request_builds_the_tls_connector_from_the_compiled_in_roots() {
        // The connector (which panics on a trust store it cannot load) is built
        // on the first request; port 9 on loopback refuses the connection.
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url("https://127.0.0.1:9")
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::for_tests())
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .http_client(https_client())
            .build();
        let client = aws_sdk_dynamodb::Client::from_conf(config);
        let err = client
            .list_tables()
            .send()
            .await
            .expect_err("nothing listens on 127.0.0.1:9");
        assert!(
            matches!(err, aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)),
            "expected a connection failure, got {err:?}"
        );
    }
}
