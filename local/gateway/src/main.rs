//! `local serve` runs the whole API on 127.0.0.1 against embedded AWS
//! stand-ins (or real AWS when the standard AWS environment names an
//! endpoint), with the outbox sender and the job workers running beside it,
//! and a DNS stand-in that the domain proofs are looked up on;
//! `local token EMAIL` mints a token for it (`--provider google` one signed
//! in through Google); `local schedule usage` (or `weekly`, `monthly`,
//! `domains`) fires a schedule on the running server now; `local password
//! --email EMAIL` gives a local user the password that password-confirmed
//! changes check; `local dns set NAME VALUE` (and `local dns remove NAME`)
//! publishes (removes) a TXT record on the DNS stand-in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use local::TokenKey;
use shared::Deps;
use shared::clock::SystemClock;
use shared::repo::Repository;
use shared::storage::FileStore;
use standins::{Names, StandIns, Storage};

#[derive(Parser)]
#[command(about = "Run the Groups API locally")]
struct Cli {
    /// Where local state lives (stand-in data, the token secret).
    #[arg(
        long,
        global = true,
        default_value = ".local",
        env = "GROUPS_LOCAL_DIR"
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every HTTP route of infra/template.yaml.
    Serve {
        /// Address to listen on (loopback only by default).
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
        /// Where the DNS stand-in answers (UDP and TCP), the nameserver the
        /// domain verification and re-check ask.
        #[arg(long, default_value = "127.0.0.1:5353")]
        dns_addr: SocketAddr,
    },
    /// Fire a schedule now on the running `serve` (EventBridge Scheduler's
    /// part): `usage` writes today's usage job for every group; `domains`
    /// re-checks every verified domain's record.
    Schedule {
        /// The schedule: `usage`, `weekly`, `monthly` or `domains`.
        name: String,
        /// Where `serve` listens.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
    },
    /// Give the local user EMAIL a password, read from standard input (one
    /// line), on the running `serve`: the password that password-confirmed
    /// changes check locally, where Cognito would in AWS. The user is the
    /// account `local token EMAIL` signs in as; setting it again resets it.
    Password {
        /// The user's sign-in email.
        #[arg(long)]
        email: String,
        /// Where `serve` listens.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: SocketAddr,
    },
    /// Publish or remove a TXT record on the running `serve`'s DNS
    /// stand-in (what an admin does at their DNS provider to prove a
    /// domain).
    Dns {
        #[command(subcommand)]
        change: DnsChange,
        /// Where `serve` listens.
        #[arg(long, default_value = "127.0.0.1:3000", global = true)]
        addr: SocketAddr,
    },
    /// Print a bearer token for EMAIL, accepted by `serve`.
    Token {
        /// The signed-in person's email.
        email: String,
        /// Mint a token whose email is not verified.
        #[arg(long)]
        unverified: bool,
        /// Sign in through a group SSO provider (`google` or `microsoft`)
        /// instead of with a password: the token is shaped as Cognito's for
        /// a user it federated (an `identities` claim, a `cognito:username`
        /// of `Google_<id>`), and is another account than EMAIL's password
        /// one, as a federated Cognito user is a user of its own.
        #[arg(long, value_parser = parse_provider)]
        provider: Option<shared::model::SsoProvider>,
        /// Lifetime in hours.
        #[arg(long, default_value_t = 12)]
        hours: i64,
    },
}

#[derive(Subcommand, serde::Serialize, serde::Deserialize)]
#[serde(tag = "action", rename_all = "camelCase")]
enum DnsChange {
    /// Publish a TXT record NAME with VALUE (beside any already there).
    Set {
        /// The record's name, e.g. `_groups-challenge.example.com`.
        name: String,
        /// Its value, e.g. `groups-domain-verification=MFRGG...`.
        value: String,
    },
    /// Remove every record at NAME (it answers NXDOMAIN).
    Remove {
        /// The record's name.
        name: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,aws_config=warn,aws_smithy_runtime=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let key = TokenKey::load_or_create(&cli.data_dir)?;
    match cli.command {
        Command::Token {
            email,
            unverified,
            provider,
            hours,
        } => {
            println!(
                "{}",
                key.mint_signed_in(&email, !unverified, provider, time::Duration::hours(hours))?
            );
            Ok(())
        }
        Command::Serve { addr, dns_addr } => serve(addr, dns_addr, &cli.data_dir, key).await,
        Command::Dns { change, addr } => change_dns(&change, addr).await,
        Command::Schedule { name, addr } => fire_schedule(&name, addr).await,
        Command::Password { email, addr } => set_password(&email, addr).await,
    }
}

/// A `--provider` value: a group SSO provider as the API names it.
fn parse_provider(text: &str) -> Result<shared::model::SsoProvider, String> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| format!("`{text}` is not a provider: use google or microsoft"))
}

/// `deps` with the local identity provider (Argon2 credentials in the
/// table; `local password` sets one) and texts written to `<data>/sms/`.
fn local_identity(deps: Deps, data_dir: &std::path::Path) -> Deps {
    let port = shared::credentials::LocalIdentity::new(deps.repo.clone(), deps.clock.clone());
    let identity = shared::deps::Identity {
        port: Arc::new(port),
        sms: Arc::new(shared::credentials::FolderSms::new(data_dir.join("sms"))),
    };
    deps.with_identity(identity)
}

async fn serve(
    addr: SocketAddr,
    dns_addr: SocketAddr,
    data_dir: &std::path::Path,
    key: TokenKey,
) -> anyhow::Result<()> {
    let dns = standins::dns::DnsServer::start(dns_addr)
        .await
        .with_context(|| format!("starting the DNS stand-in on {dns_addr}"))?;
    tracing::info!(dns = %dns.addr, "DNS stand-in answering (`local dns set NAME VALUE` publishes a record)");
    let resolver = shared::dns::TxtResolver::at(dns.addr);
    // Keep the stand-ins alive for as long as the server runs.
    let (deps, embedded) = if std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some()
    {
        tracing::info!("using the AWS endpoint from the environment");
        let secret = local_invite_secret(data_dir)?;
        (
            Arc::new(
                Deps::from_env_with_files()
                    .await?
                    .with_invite_secret(secret)
                    .with_dns(resolver),
            ),
            None,
        )
    } else {
        let standins = StandIns::start(Storage::Folder(data_dir.join("aws")), Names::default())
            .await
            .context("starting the embedded AWS stand-ins")?;
        standins.spawn_ttl_sweeper(Duration::from_secs(60));
        tracing::info!(
            dynamodb = %standins.dynamodb_endpoint,
            s3 = %standins.s3_endpoint,
            data = %data_dir.display(),
            "embedded AWS stand-ins running"
        );
        let repo = Repository::new(standins.dynamodb(), standins.names.table.clone());
        let deps = Arc::new(local_identity(
            Deps::new(
                repo,
                Arc::new(SystemClock),
                shared::deps::Settings::from_env()?,
            )
            .with_invite_secret(local_invite_secret(data_dir)?)
            .with_files(
                FileStore::new(
                    standins.s3(),
                    Some(standins::DATA_BUCKET.into()),
                    Some(standins::SNAPSHOTS_BUCKET.into()),
                )
                .with_reports_bucket(standins::REPORTS_BUCKET),
            )
            .with_dns(resolver),
            data_dir,
        ));
        let delivery = outbox_delivery(&standins, deps.clone(), data_dir).await?;
        (deps, Some((standins, delivery)))
    };
    let identity =
        shared::credentials::LocalIdentity::new(deps.repo.clone(), Arc::new(SystemClock));
    let records = dns.records.clone();
    let app = local::app(deps.clone(), key)?
        .route(
            "/_local/schedules/{name}",
            axum::routing::post(
                move |axum::extract::Path(name): axum::extract::Path<String>| {
                    let deps = deps.clone();
                    async move { run_schedule(&deps, &name).await }
                },
            ),
        )
        .route(
            "/_local/dns",
            axum::routing::post(move |body: String| {
                let records = records.clone();
                async move { publish(&records, &body) }
            }),
        )
        .route(
            "/_local/credentials",
            axum::routing::post(move |body: String| {
                let identity = identity.clone();
                async move { provision(&identity, &body).await }
            }),
        );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!("Groups API listening on http://{}", listener.local_addr()?);
    let server = axum::serve(listener, app).with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    match embedded {
        // The stand-ins live as long as the server; delivery runs beside it.
        Some((_standins, delivery)) => {
            tokio::select! {
                served = server => served?,
                () = delivery => {}
            }
        }
        None => server.await?,
    }
    Ok(())
}

/// Plays the outbox sender's and the job workers' part locally: reads the
/// table's stream, delivers emails into `.local/outbox/*.eml`, events into
/// `.local/events/` and jobs into `.local/jobs/`, then runs those jobs with
/// the job Lambdas' own code.
async fn outbox_delivery(
    standins: &StandIns,
    deps: Arc<Deps>,
    data_dir: &std::path::Path,
) -> anyhow::Result<impl std::future::Future<Output = ()> + use<>> {
    let sender_address = shared::model::EmailAddress::parse("from", "groups@example.com")
        .map_err(|e| anyhow::anyhow!(e.reason))?;
    let outbox = shared::mail::FolderOutbox::new(data_dir.join("outbox"), sender_address);
    let events = shared::events::FolderEvents::new(data_dir.join("events"));
    let jobs = shared::jobs::queue::FolderJobs::new(data_dir.join("jobs"));
    let mut sender = shared::delivery::OutboxSender::new(
        deps.repo.clone(),
        Arc::new(outbox),
        Arc::new(events),
        Arc::new(jobs.clone()),
        Arc::new(SystemClock),
    );
    if let Some(secret) = deps.invite_secret.clone() {
        sender = sender.with_invite_secret(secret);
    }
    if let Some(files) = deps.files.clone() {
        sender = sender.with_reports(shared::delivery::ReportFiles::from_env(files)?);
    }
    // From the start of the stream: items already delivered are skipped.
    let mut reader =
        standins::streams::StreamReader::open(standins, standins::streams::StartAt::TrimHorizon)
            .await
            .map_err(|e| anyhow::anyhow!("opening the table stream: {e:?}"))?;
    tracing::info!(outbox = %data_dir.join("outbox").display(), "emails are written as .eml files");
    Ok(async move {
        loop {
            match reader.next_batch().await {
                Ok(records) if !records.is_empty() => {
                    let failed = sender.deliver_records(&records).await;
                    if !failed.is_empty() {
                        tracing::warn!(failed = failed.len(), "outbox items left for retry");
                    }
                    run_jobs(&deps, &jobs).await;
                }
                Ok(_) => tokio::time::sleep(Duration::from_millis(300)).await,
                Err(e) => {
                    tracing::warn!(error = ?e, "reading the table stream failed");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
            }
        }
    })
}

/// Runs the jobs waiting in the local queue (a failed one is logged, as the
/// deployed queue would retry and finally dead-letter it).
async fn run_jobs(deps: &Deps, jobs: &shared::jobs::queue::FolderJobs) {
    let waiting = match jobs.take() {
        Ok(waiting) => waiting,
        Err(e) => {
            tracing::warn!(error = %e, "reading the local job queue failed");
            return;
        }
    };
    for job in waiting {
        let budget = shared::jobs::Budget::for_time(Duration::from_secs(600));
        if let Err(e) = shared::jobs::runner::run(deps, &job, budget).await {
            tracing::error!(?job, error = %e, "job failed");
        }
    }
}

/// The control route behind `local schedule`: what the schedule's Lambda
/// does when EventBridge Scheduler fires it (`usage`, `weekly`, `monthly`).
async fn run_schedule(deps: &Deps, name: &str) -> (axum::http::StatusCode, String) {
    let now = deps.clock.now();
    let ran = match name {
        shared::repo::USAGE_SCHEDULE => shared::jobs::usage::schedule(deps, now.date(), now)
            .await
            .map(|jobs| format!("{{\"schedule\":\"{name}\",\"jobs\":{jobs}}}")),
        "weekly" | "monthly" => {
            let cadence = if name == "weekly" {
                shared::model::EmailCadence::Weekly
            } else {
                shared::model::EmailCadence::Monthly
            };
            shared::jobs::report::schedule(deps, cadence, now)
                .await
                .map(|(period, jobs)| {
                    format!(
                        "{{\"schedule\":\"{name}\",\"period\":\"{period}\",\"reports\":{},\"summaries\":{}}}",
                        jobs.reports, jobs.summaries
                    )
                })
        }
        "domains" => shared::jobs::domains::recheck(
            deps,
            shared::jobs::Budget::for_time(Duration::from_secs(600)),
        )
        .await
        .and_then(|ran| serde_json::to_string(&ran).map_err(shared::Error::unexpected)),
        _ => {
            return (
                axum::http::StatusCode::NOT_FOUND,
                format!("no schedule {name:?} (try: usage, weekly, monthly, domains)"),
            );
        }
    };
    match ran {
        Ok(body) => (axum::http::StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "schedule failed");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "schedule failed".into(),
            )
        }
    }
}

/// `local schedule NAME`: asks the running `serve` to fire a schedule.
async fn fire_schedule(name: &str, addr: SocketAddr) -> anyhow::Result<()> {
    let (status, body) = post_local(addr, &format!("/_local/schedules/{name}"), "").await?;
    if !status.starts_with("HTTP/1.1 200") {
        anyhow::bail!("the schedule did not run: {status}");
    }
    println!("{}", body.trim());
    Ok(())
}

/// The control route behind `local dns`: changes the DNS stand-in's records.
fn publish(records: &standins::dns::DnsRecords, body: &str) -> (axum::http::StatusCode, String) {
    match serde_json::from_str::<DnsChange>(body) {
        Ok(DnsChange::Set { name, value }) => {
            records.add_txt(&name, &value);
            (
                axum::http::StatusCode::OK,
                serde_json::json!({"name": name, "txt": records.txt(&name)}).to_string(),
            )
        }
        Ok(DnsChange::Remove { name }) => {
            records.remove(&name);
            (
                axum::http::StatusCode::OK,
                serde_json::json!({"name": name, "txt": []}).to_string(),
            )
        }
        Err(_) => (
            axum::http::StatusCode::BAD_REQUEST,
            "expected {\"action\": \"set\", \"name\": ..., \"value\": ...} or {\"action\": \"remove\", \"name\": ...}".into(),
        ),
    }
}

/// `local dns set NAME VALUE` / `local dns remove NAME`: asks the running
/// `serve` to change its DNS stand-in's records.
async fn change_dns(change: &DnsChange, addr: SocketAddr) -> anyhow::Result<()> {
    let body = serde_json::to_string(change)?;
    let (status, reply) = post_local(addr, "/_local/dns", &body).await?;
    if !status.starts_with("HTTP/1.1 200") {
        anyhow::bail!("the record was not changed: {}", reply.trim());
    }
    println!("{}", reply.trim());
    Ok(())
}

/// What `local password` sends to the running `serve` (over loopback only).
#[derive(serde::Serialize, serde::Deserialize)]
struct NewCredential {
    email: String,
    password: String,
}

/// The control route behind `local password`: the local identity adapter
/// provisions the account `local token EMAIL` signs in as.
async fn provision(
    identity: &shared::credentials::LocalIdentity,
    body: &str,
) -> (axum::http::StatusCode, String) {
    use axum::http::StatusCode;
    use shared::credentials::IdentityError;
    let Ok(body) = serde_json::from_str::<NewCredential>(body) else {
        return (
            StatusCode::BAD_REQUEST,
            "expected {\"email\": ..., \"password\": ...}".into(),
        );
    };
    let email = match shared::model::EmailAddress::parse("email", &body.email) {
        Ok(email) => email,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("email {}", e.reason)),
    };
    let account =
        match shared::model::AccountId::parse("sub", &local::auth::local_subject(email.as_str())) {
            Ok(account) => account,
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.reason),
        };
    match identity.provision(&account, &email, &body.password).await {
        Ok(()) => (
            StatusCode::OK,
            format!("{{\"accountId\":\"{account}\",\"email\":\"{email}\"}}"),
        ),
        Err(IdentityError::InvalidPassword { reason }) => {
            (StatusCode::BAD_REQUEST, format!("the password {reason}"))
        }
        Err(e) => {
            tracing::error!(error = %e, "setting a local password failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "setting the password failed".into(),
            )
        }
    }
}

/// `local password --email EMAIL`: reads the password from standard input
/// (never an argument, so it stays out of shell history and `ps`) and asks
/// the running `serve` to set it.
async fn set_password(email: &str, addr: SocketAddr) -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    tokio::io::BufReader::new(tokio::io::stdin())
        .read_line(&mut line)
        .await
        .context("reading the password from standard input")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        anyhow::bail!(
            "no password on standard input (try: echo 'Correct-Horse-1' | local password --email {email})"
        );
    }
    let body = serde_json::to_string(&NewCredential {
        email: email.to_owned(),
        password: password.to_owned(),
    })?;
    let (status, reply) = post_local(addr, "/_local/credentials", &body).await?;
    if !status.starts_with("HTTP/1.1 200") {
        anyhow::bail!("the password was not set: {}", reply.trim());
    }
    println!("{}", reply.trim());
    Ok(())
}

/// POSTs `body` (JSON, possibly empty) to the running `serve`; returns the
/// status line and the response body.
async fn post_local(addr: SocketAddr, path: &str, body: &str) -> anyhow::Result<(String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("is `local serve` running on {addr}?"))?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let status = head.lines().next().unwrap_or(head).to_owned();
    Ok((status, body.to_owned()))
}

/// The invitation-token secret kept in `dir/invite-secret` (mode 0600),
/// created on first use: what Secrets Manager holds in AWS.
fn local_invite_secret(dir: &std::path::Path) -> anyhow::Result<shared::model::InviteSecret> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = dir.join("invite-secret");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return shared::model::InviteSecret::from_text(&text)
            .with_context(|| format!("{} holds fewer than 32 characters", path.display()));
    }
    std::fs::create_dir_all(dir)?;
    let text = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        rand::random::<[u8; 32]>(),
    );
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))?;
    shared::model::InviteSecret::from_text(&text).context("a fresh secret is long enough")
}
