//! Handing jobs to their runners: the `JobQueue` port with its SQS adapter
//! (one queue per kind of job, in AWS) and its folder adapter (the local
//! run and tests, which then run the jobs in-process with the same code).

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use aws_sdk_sqs::Client;

use super::{Job, JobKind};
use crate::events::PublishError;

/// Hands one job to whatever runs jobs of its kind.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    /// Enqueues `job`; delivery is at least once, so runners are idempotent.
    async fn enqueue(&self, job: &Job) -> Result<(), PublishError>;
}

/// Sends each job to its kind's SQS queue. The client is built once per
/// cold start and shared.
#[derive(Debug, Clone)]
pub struct SqsJobs {
    client: Client,
    queues: HashMap<JobKind, String>,
}

impl SqsJobs {
    /// Sends jobs of each kind to `queues[kind]` (a queue URL).
    pub fn new(client: Client, queues: HashMap<JobKind, String>) -> Self {
        Self { client, queues }
    }
}

#[async_trait::async_trait]
impl JobQueue for SqsJobs {
    async fn enqueue(&self, job: &Job) -> Result<(), PublishError> {
        let queue = self.queues.get(&job.kind()).ok_or_else(|| {
            PublishError::Rejected(format!("no queue for {} jobs", job.kind().name()).into())
        })?;
        let body = serde_json::to_string(job).map_err(|e| PublishError::Rejected(Box::new(e)))?;
        self.client
            .send_message()
            .queue_url(queue)
            .message_body(body)
            .send()
            .await
            .map_err(|e| match e {
                aws_sdk_sqs::error::SdkError::ConstructionFailure(_) => {
                    PublishError::Rejected(Box::new(e))
                }
                other => PublishError::Unavailable(Box::new(other.into_service_error())),
            })?;
        Ok(())
    }
}

/// Writes each job as `<time>-<uuid>.json` into a folder; [`FolderJobs::take`]
/// hands them back, oldest first, for the local run and tests to run.
#[derive(Debug, Clone)]
pub struct FolderJobs {
    dir: PathBuf,
}

impl FolderJobs {
    /// A queue kept in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder jobs are written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Removes and returns every job waiting, oldest first.
    pub fn take(&self) -> io::Result<Vec<Job>> {
        let mut jobs = Vec::new();
        for path in crate::spool::files(&self.dir, "json")? {
            let raw = std::fs::read(&path)?;
            let job = serde_json::from_slice(&raw).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not a job: {e}", path.display()),
                )
            })?;
            std::fs::remove_file(&path)?;
            jobs.push(job);
        }
        Ok(jobs)
    }
}

#[async_trait::async_trait]
impl JobQueue for FolderJobs {
    async fn enqueue(&self, job: &Job) -> Result<(), PublishError> {
        let raw =
            serde_json::to_vec_pretty(job).map_err(|e| PublishError::Rejected(Box::new(e)))?;
        let (stem, _) = crate::spool::new_stem();
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            crate::spool::write_atomically(&dir, &stem, "json", &raw)
        })
        .await
        .map_err(|e| PublishError::Unavailable(Box::new(e)))?
        .map_err(|e| PublishError::Unavailable(Box::new(e)))
    }
}
