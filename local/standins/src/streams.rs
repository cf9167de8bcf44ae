//! Reads the emulated table's stream as Lambda would receive it, so the local
//! run and tests feed stream consumers (the outbox sender) the same
//! `aws_lambda_events` records the event source mapping delivers in AWS.
//!
//! dynoxide keeps one shard per table; the reader still follows every shard
//! the stream describes when it is opened.

use aws_lambda_events::event::dynamodb::EventRecord;
use dynoxide::actions::describe_stream::DescribeStreamRequest;
use dynoxide::actions::get_records::GetRecordsRequest;
use dynoxide::actions::get_shard_iterator::GetShardIteratorRequest;
use dynoxide::actions::list_streams::ListStreamsRequest;

use crate::StandIns;

/// Largest batch [`StreamReader::next_batch`] returns unless told otherwise
/// (the event source mapping's default batch size).
pub const DEFAULT_BATCH_SIZE: usize = 100;

/// Why the stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The table has no stream enabled.
    #[error("table {0} has no stream")]
    NoStream(String),
    /// The emulator refused a stream call.
    #[error("dynoxide stream call failed: {0}")]
    Dynoxide(String),
    /// A record did not convert to the Lambda event shape.
    #[error("stream record does not convert to a Lambda event record: {0}")]
    Convert(#[from] serde_json::Error),
}

/// Where a new reader starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartAt {
    /// Every record the stream still holds (tests: a fresh table).
    TrimHorizon,
    /// Only records written after opening (a folder-backed local run that
    /// does not want to replay yesterday).
    Latest,
}

impl StartAt {
    fn iterator_type(self) -> &'static str {
        match self {
            Self::TrimHorizon => "TRIM_HORIZON",
            Self::Latest => "LATEST",
        }
    }
}

/// A cursor over the table's stream; each call to
/// [`StreamReader::next_batch`] returns the records written since the last.
pub struct StreamReader {
    db: dynoxide::Database,
    stream_arn: String,
    iterators: Vec<String>,
    batch_size: usize,
}

impl StreamReader {
    /// A reader of the stand-ins' table stream, from `start`.
    pub async fn open(standins: &StandIns, start: StartAt) -> Result<Self, StreamError> {
        Self::open_table(standins.database().clone(), &standins.names.table, start).await
    }

    /// A reader of any table's stream in `db`, from `start`.
    pub async fn open_table(
        db: dynoxide::Database,
        table: &str,
        start: StartAt,
    ) -> Result<Self, StreamError> {
        let table = table.to_owned();
        let blocking_db = db.clone();
        let (stream_arn, iterators) = blocking(move || {
            let streams = blocking_db
                .list_streams(ListStreamsRequest {
                    table_name: Some(table.clone()),
                    exclusive_start_stream_arn: None,
                    limit: None,
                })
                .map_err(dynoxide_error)?;
            let stream_arn = streams
                .streams
                .into_iter()
                .find(|s| s.table_name == table)
                .map(|s| s.stream_arn)
                .ok_or_else(|| StreamError::NoStream(table.clone()))?;
            let description = blocking_db
                .describe_stream(DescribeStreamRequest {
                    stream_arn: stream_arn.clone(),
                    exclusive_start_shard_id: None,
                    limit: None,
                })
                .map_err(dynoxide_error)?;
            let mut iterators = Vec::new();
            for shard in description.stream_description.shards {
                let iterator = blocking_db
                    .get_shard_iterator(GetShardIteratorRequest {
                        stream_arn: stream_arn.clone(),
                        shard_id: shard.shard_id,
                        shard_iterator_type: start.iterator_type().to_owned(),
                        sequence_number: None,
                    })
                    .map_err(dynoxide_error)?;
                iterators.extend(iterator.shard_iterator);
            }
            Ok((stream_arn, iterators))
        })
        .await?;
        Ok(Self {
            db,
            stream_arn,
            iterators,
            batch_size: DEFAULT_BATCH_SIZE,
        })
    }

    /// Changes the largest batch returned (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The stream's ARN (set as each record's `eventSourceARN`).
    pub fn stream_arn(&self) -> &str {
        &self.stream_arn
    }

    /// Up to the batch size of the records written since the previous call,
    /// oldest first, as Lambda's DynamoDB event records; empty when there is
    /// nothing new.
    pub async fn next_batch(&mut self) -> Result<Vec<EventRecord>, StreamError> {
        let db = self.db.clone();
        let iterators = self.iterators.clone();
        let batch_size = self.batch_size;
        let (raw, next) = blocking(move || {
            let mut raw = Vec::new();
            let mut next = Vec::with_capacity(iterators.len());
            for iterator in iterators {
                let room = batch_size.saturating_sub(raw.len());
                if room == 0 {
                    next.push(iterator);
                    continue;
                }
                let page = db
                    .get_records(GetRecordsRequest {
                        shard_iterator: iterator.clone(),
                        limit: Some(room),
                    })
                    .map_err(dynoxide_error)?;
                raw.extend(page.records);
                next.push(page.next_shard_iterator.unwrap_or(iterator));
            }
            Ok((raw, next))
        })
        .await?;
        self.iterators = next;
        raw.into_iter()
            .map(|record| {
                let mut json = serde_json::to_value(record)?;
                if let Some(fields) = json.as_object_mut() {
                    fields.insert(
                        "eventSourceARN".to_owned(),
                        serde_json::Value::String(self.stream_arn.clone()),
                    );
                }
                Ok(serde_json::from_value(json)?)
            })
            .collect()
    }
}

fn dynoxide_error(error: impl std::fmt::Display) -> StreamError {
    StreamError::Dynoxide(error.to_string())
}

/// Runs a dynoxide call off the async workers (it takes a lock and blocks).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StreamError> + Send + 'static,
) -> Result<T, StreamError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StreamError::Dynoxide(format!("stream reader task failed: {e}")))?
}
