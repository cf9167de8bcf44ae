//! Embedded AWS stand-ins for the local run and the tests: the `dynoxide`
//! DynamoDB emulator and an `s3s-fs` S3 server, each a real server of the AWS
//! wire protocol on 127.0.0.1, so the production SDK code path is what runs;
//! and an authoritative DNS server answering the TXT records tests write.
//! Never a dependency of a Lambda.

pub mod calls;
pub mod counting;
pub mod dns;
pub mod faults;
pub mod streams;
mod table;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use table::{TableDefinition, create_table};

/// Static credentials the S3 stand-in verifies (SigV4); DynamoDB accepts any.
pub const ACCESS_KEY: &str = "standin";
/// Secret for [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "standin-secret-key";
/// The stand-ins' bucket of member files (the template's `DataBucket`).
pub const DATA_BUCKET: &str = "groups-data";
/// The stand-ins' bucket of snapshot zips (the template's `SnapshotsBucket`).
pub const SNAPSHOTS_BUCKET: &str = "groups-snapshots";
/// The stand-ins' bucket of User Stats reports (the template's `ReportsBucket`).
pub const REPORTS_BUCKET: &str = "groups-reports";
/// Region the stand-ins claim to be in.
pub const REGION: &str = "us-east-1";

/// Why the stand-ins could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Local I/O (sockets, folders).
    #[error("stand-in I/O failed: {0}")]
    Io(#[from] std::io::Error),
    /// The DynamoDB emulator refused to open its database.
    #[error("dynoxide failed: {0}")]
    Dynoxide(String),
    /// S3 set-up failed.
    #[error("s3s-fs failed: {0}")]
    S3(String),
    /// The table could not be created from the template.
    #[error("table set-up failed: {0}")]
    Table(String),
}

/// Where the stand-ins keep their state.
#[derive(Debug, Clone)]
pub enum Storage {
    /// Nothing survives the process (tests: a fresh table each).
    Memory,
    /// A folder, so the local run keeps its data across restarts.
    Folder(PathBuf),
}

/// Names of the resources the stand-ins create (same roles as the template's).
#[derive(Debug, Clone)]
pub struct Names {
    /// The single table.
    pub table: String,
    /// Buckets to create.
    pub buckets: Vec<String>,
}

impl Default for Names {
    fn default() -> Self {
        Self {
            table: "groups".into(),
            buckets: vec![
                DATA_BUCKET.into(),
                REPORTS_BUCKET.into(),
                SNAPSHOTS_BUCKET.into(),
            ],
        }
    }
}

/// Running stand-ins and SDK configuration pointed at them.
pub struct StandIns {
    /// DynamoDB endpoint, e.g. `http://127.0.0.1:40123`.
    pub dynamodb_endpoint: String,
    /// S3 endpoint.
    pub s3_endpoint: String,
    /// Shared SDK configuration (region and credentials of the stand-ins).
    pub sdk_config: SdkConfig,
    /// Names of the table and buckets.
    pub names: Names,
    db: dynoxide::Database,
    _s3_root: Option<tempfile::TempDir>,
    stop: Vec<oneshot::Sender<()>>,
}

impl StandIns {
    /// Starts both servers on ephemeral loopback ports, creates the table
    /// (from `infra/template.yaml`) and the buckets.
    pub async fn start(storage: Storage, names: Names) -> Result<Self, StartError> {
        Self::start_with(storage, names, true).await
    }

    /// [`StandIns::start`] with a table that has no stream, for benchmarks
    /// that write far more items than any test: dynoxide finds each stream
    /// record's sequence number with a `MAX` over every record kept (see its
    /// `storage.rs`), so with a stream every write costs time in proportion
    /// to all the writes before it, which real DynamoDB does not.
    pub async fn start_without_stream(storage: Storage, names: Names) -> Result<Self, StartError> {
        Self::start_with(storage, names, false).await
    }

    async fn start_with(storage: Storage, names: Names, stream: bool) -> Result<Self, StartError> {
        let (db, s3_dir, s3_root) = match &storage {
            Storage::Memory => {
                let tmp = tempfile::tempdir()?;
                let dir = tmp.path().to_path_buf();
                let db = dynoxide::Database::memory()
                    .map_err(|e| StartError::Dynoxide(e.to_string()))?;
                (db, dir, Some(tmp))
            }
            Storage::Folder(root) => {
                std::fs::create_dir_all(root.join("s3"))?;
                let path = root.join("dynamodb.sqlite");
                let db = dynoxide::Database::new(&path.to_string_lossy())
                    .map_err(|e| StartError::Dynoxide(e.to_string()))?;
                (db, root.join("s3"), None)
            }
        };
        let mut stop = Vec::new();

        let dynamo_listener = TcpListener::bind("127.0.0.1:0").await?;
        let dynamo_addr = dynamo_listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        stop.push(tx);
        let server_db = db.clone();
        tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) =
                dynoxide::server::serve_with_shutdown(dynamo_listener, server_db, shutdown).await
            {
                tracing::error!(error = %e, "dynoxide server stopped");
            }
        });

        let s3_addr = start_s3(&s3_dir, &mut stop).await?;

        let sdk_config = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new(
                ACCESS_KEY, SECRET_KEY, None, None, "standins",
            ))
            .load()
            .await;
        let standins = Self {
            dynamodb_endpoint: format!("http://{dynamo_addr}"),
            s3_endpoint: format!("http://{s3_addr}"),
            sdk_config,
            names,
            db,
            _s3_root: s3_root,
            stop,
        };
        let mut table = TableDefinition::from_template()?;
        if !stream {
            table.drop_stream();
        }
        create_table(&standins.dynamodb(), &standins.names.table, &table)
            .await
            .map_err(|e| StartError::Table(e.to_string()))?;
        let s3 = standins.s3();
        for bucket in &standins.names.buckets {
            if s3.head_bucket().bucket(bucket).send().await.is_err() {
                s3.create_bucket()
                    .bucket(bucket)
                    .send()
                    .await
                    .map_err(|e| {
                        StartError::S3(format!(
                            "create bucket {bucket}: {}",
                            e.into_service_error()
                        ))
                    })?;
            }
        }
        Ok(standins)
    }

    /// A DynamoDB client for the emulator.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(&self.sdk_config)
            .endpoint_url(&self.dynamodb_endpoint)
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// A DynamoDB client that also records each request's operation name.
    pub fn counted_dynamodb(&self, counter: counting::RequestCounter) -> aws_sdk_dynamodb::Client {
        let config = aws_sdk_dynamodb::config::Builder::from(&self.sdk_config)
            .endpoint_url(&self.dynamodb_endpoint)
            .interceptor(counter)
            .build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }

    /// The configuration of [`StandIns::dynamodb`], to add interceptors to
    /// (the tests' request counter and call recorder).
    pub fn dynamodb_config(&self) -> aws_sdk_dynamodb::config::Builder {
        aws_sdk_dynamodb::config::Builder::from(&self.sdk_config)
            .endpoint_url(&self.dynamodb_endpoint)
    }

    /// An S3 client for the stand-in (path-style addressing).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(self.s3_config().build())
    }

    /// The configuration of [`StandIns::s3`], to add interceptors to.
    pub fn s3_config(&self) -> aws_sdk_s3::config::Builder {
        aws_sdk_s3::config::Builder::from(&self.sdk_config)
            .endpoint_url(&self.s3_endpoint)
            .force_path_style(true)
    }

    /// Deletes expired items now (dynoxide only expires items when swept).
    pub fn sweep_ttl(&self) -> usize {
        self.db.sweep_ttl().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "TTL sweep failed");
            0
        })
    }

    /// The emulator's database, for stream polling in local runs.
    pub fn database(&self) -> &dynoxide::Database {
        &self.db
    }

    /// Sweeps TTL every `period` in the background (local run).
    pub fn spawn_ttl_sweeper(&self, period: Duration) {
        let db = self.db.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                let db = db.clone();
                let _ = tokio::task::spawn_blocking(move || db.sweep_ttl()).await;
            }
        });
    }
}

impl Drop for StandIns {
    fn drop(&mut self) {
        for tx in self.stop.drain(..) {
            let _ = tx.send(());
        }
    }
}

async fn start_s3(
    root: &Path,
    stop: &mut Vec<oneshot::Sender<()>>,
) -> Result<SocketAddr, StartError> {
    let fs = s3s_fs::FileSystem::new(root).map_err(|e| StartError::S3(format!("{e:?}")))?;
    let service = {
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        builder.build()
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (tx, mut rx) = oneshot::channel::<()>();
    stop.push(tx);
    tokio::spawn(async move {
        let http = ConnBuilder::new(TokioExecutor::new());
        loop {
            let socket = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((socket, _)) => {
                        // Without it, Nagle holds each small body chunk
                        // s3s-fs writes (4 KiB) for the client's delayed
                        // ACK: a 64 KiB GetObject took 3x as long here.
                        let _ = socket.set_nodelay(true);
                        socket
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "s3 stand-in accept failed");
                        continue;
                    }
                },
                _ = &mut rx => break,
            };
            let conn = http
                .serve_connection(TokioIo::new(socket), service.clone())
                .into_owned();
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    Ok(addr)
}
