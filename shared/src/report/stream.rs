//! The loop from the table to S3: pages of members, each member's
//! computers and buckets, rows into a part's buffer, full parts into the
//! upload.

use std::pin::Pin;
use std::task::{Context, Poll};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use futures::future::BoxFuture;
use futures::stream::{self, Stream, TryStreamExt};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::csv::RowWriter;
use super::row::ComputerRow;
use super::{CONTENT_TYPE, ReportError, ReportPeriod};
use crate::model::{AccountId, Bucket, ComputerId, GroupId, MAX_COMPUTERS_PER_ACCOUNT, Member};
use crate::multipart::{MAX_PART_SIZE, MIN_PART_SIZE, Upload};
use crate::repo::{MembersFrom, Repository};

/// Members read per `Query`: a page of members is small (a few hundred
/// bytes each), and what is held while their rows are written.
pub const MEMBERS_PER_QUERY: i32 = 100;

/// Computers read per `Query`: one past an account's limit, so one page
/// holds all of a member's computers (about 300 KB, under `Query`'s 1 MB)
/// and says that no more follow (a `Query` that stops at its `Limit`
/// answers a `LastEvaluatedKey` even when nothing is left, which cost a
/// member at the limit a second, empty `Query`); the largest page held for
/// a member while its rows are written or read ahead.
pub const COMPUTERS_PER_QUERY: i32 = MAX_COMPUTERS_PER_ACCOUNT as i32 + 1;

/// Room past the part size in a part's buffer, so that it is never grown
/// (a grown `Vec` briefly holds both its old and new copies): the CSV
/// writer's own 8 KiB buffer plus the longest row, with a wide margin.
const SLACK: usize = 64 * 1024;

/// What [`write_group_report`] wrote: what the report item records and the
/// job logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportWritten {
    /// Rows below the header (computers plus buckets).
    pub rows: u64,
    /// Size of the object in bytes.
    pub bytes: u64,
    /// Parts of the multipart upload; 1 when the report fitted in one part
    /// and was written by a single `PutObject`.
    pub parts: u32,
}

/// The report's object key: `reports/<gid>/<period>.csv`. One per group and
/// period, so a rerun replaces it.
pub fn report_key(gid: &GroupId, period: &ReportPeriod) -> String {
    crate::model::report_object_key(gid, period)
}

/// Writes group `gid`'s report for `period` to `bucket` at
/// [`report_key`]: the header, then for each member (in account-id order)
/// a row per computer (in id order) and a row per bucket. Memory stays at
/// about two parts of `part_size` bytes (5 MiB to 5 GiB;
/// [`super::DEFAULT_PART_SIZE`] unless there is a reason) plus one page of
/// members and the first page of computers of a few members (the one
/// being written and those read ahead), whatever the group's size.
///
/// The rows are read page by page while the report is written, not from
/// one snapshot of the table: a member who joins or leaves meanwhile may
/// or may not appear, but no row is ever repeated. On any failure after the
/// multipart upload started, it is aborted before the error is returned, so
/// S3 keeps no parts and the previous report of the period (if any) stays.
#[tracing::instrument(skip_all, fields(%gid, %period))]
pub async fn write_group_report(
    repo: &Repository,
    s3: &Client,
    bucket: &str,
    gid: &GroupId,
    period: &ReportPeriod,
    part_size: usize,
) -> Result<ReportWritten, ReportError> {
    write_group_report_noting(repo, s3, bucket, gid, period, part_size, None).await
}

/// Told the multipart upload's id once it has started, before any part is
/// sent, so the caller can record it: a build that crashes leaves its
/// upload open, and the next build aborts it. A failure here fails the
/// report (and aborts the upload).
pub type OnUploadStarted<'a> =
    Box<dyn FnOnce(String) -> BoxFuture<'a, crate::Result<()>> + Send + 'a>;

/// [`write_group_report`], telling `on_started` the multipart upload's id
/// (a report that fits in one part has none).
pub async fn write_group_report_noting(
    repo: &Repository,
    s3: &Client,
    bucket: &str,
    gid: &GroupId,
    period: &ReportPeriod,
    part_size: usize,
    on_started: Option<OnUploadStarted<'_>>,
) -> Result<ReportWritten, ReportError> {
    if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&part_size) {
        return Err(ReportError::PartSize { size: part_size });
    }
    let key = report_key(gid, period);
    let mut sink = Sink::new(s3, bucket, &key, part_size);
    sink.on_started = on_started;
    let outcome = match fill(repo, gid, &mut sink).await {
        Ok(rows) => sink
            .finish()
            .await
            .map(|(bytes, parts)| ReportWritten { rows, bytes, parts }),
        Err(e) => Err(e),
    };
    if outcome.is_err()
        && let Some(mut upload) = sink.upload.take()
    {
        upload.abort().await;
    }
    outcome
}

/// Every row into the sink; returns how many.
///
/// The reads run ahead of the writing: while one member's rows are
/// written, the next members' first page of computers and their buckets
/// are already being read (and parsed) on their own tasks, so the table's
/// latency and the SDK's parsing overlap the CSV instead of adding to it.
/// What is held stays bounded whatever the group's size: a page of
/// members and [`READ_AHEAD`] members' first pages.
async fn fill(
    repo: &Repository,
    gid: &GroupId,
    sink: &mut Sink<'_, '_>,
) -> Result<u64, ReportError> {
    sink.csv.header()?;
    let mut rows = 0;
    let reads = members(repo, gid)
        .map_ok(|member| ReadAhead::spawn(repo, member))
        .try_buffered(READ_AHEAD);
    let mut reads = std::pin::pin!(reads);
    while let Some(read) = reads.try_next().await? {
        rows += member_rows(repo, read, sink).await?;
    }
    Ok(rows)
}

/// The group's members in account-id order, read a page at a time (the
/// next page only once this one is used up).
fn members<'a>(
    repo: &'a Repository,
    gid: &'a GroupId,
) -> impl Stream<Item = Result<Member, ReportError>> + Send + 'a {
    /// Where the walk is: where the next page starts, or done.
    enum Next {
        From(Option<AccountId>),
        Done,
    }
    let pages = stream::try_unfold(Next::From(None), move |next| async move {
        let Next::From(last) = next else {
            return Ok(None);
        };
        let from = last.as_ref().map_or(MembersFrom::Start, MembersFrom::After);
        let (members, more) = repo.members_from(gid, from, MEMBERS_PER_QUERY).await?;
        let next = match members.last() {
            Some(member) if more => Next::From(Some(member.account_id.clone())),
            _ => Next::Done,
        };
        Ok::<_, ReportError>(Some((stream::iter(members.into_iter().map(Ok)), next)))
    });
    pages.try_flatten()
}

/// Members read ahead of the one whose rows are being written: enough to
/// keep a request queued at the table while the SDK parses the answers
/// before it (each member is two requests, its buckets and its first page
/// of computers), few enough that what they hold (a page of up to
/// [`COMPUTERS_PER_QUERY`] computers each) stays small.
const READ_AHEAD: usize = 4;

/// A member with its buckets and its first page of computers.
struct MemberRead {
    member: Member,
    buckets: Vec<Bucket>,
    computers: Vec<ComputerRow>,
    /// Where the member's next page of computers starts, if it has more.
    next: Option<ComputerId>,
}

/// A member's first reads, running on a task of their own; aborted if
/// dropped (the report failed meanwhile), so no read outlives the report.
struct ReadAhead(JoinHandle<Result<MemberRead, ReportError>>);

impl ReadAhead {
    fn spawn(repo: &Repository, member: Member) -> Self {
        let repo = repo.clone();
        let read = async move {
            let aid = &member.account_id;
            let (buckets, (computers, next)) = tokio::try_join!(
                repo.list_buckets(aid),
                repo.list_computer_rows(aid, COMPUTERS_PER_QUERY, None)
            )?;
            Ok(MemberRead {
                member,
                buckets,
                computers,
                next,
            })
        };
        Self(tokio::spawn(read.in_current_span()))
    }
}

impl Future for ReadAhead {
    type Output = Result<MemberRead, ReportError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(read) => read,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(crate::Error::unexpected(e).into()),
        })
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One member's rows: its computers (the first page read ahead, any
/// further page read now), then its buckets.
async fn member_rows(
    repo: &Repository,
    read: MemberRead,
    sink: &mut Sink<'_, '_>,
) -> Result<u64, ReportError> {
    let MemberRead {
        member,
        buckets,
        mut computers,
        mut next,
    } = read;
    let aid = &member.account_id;
    let mut rows = 0;
    loop {
        for computer in &computers {
            sink.csv.computer_row(&member, computer)?;
            rows += 1;
            sink.cut_if_full().await?;
        }
        let Some(after) = next.take() else { break };
        (computers, next) = repo
            .list_computer_rows(aid, COMPUTERS_PER_QUERY, Some(&after))
            .await?;
    }
    for bucket in &buckets {
        sink.csv.bucket(&member, bucket)?;
        rows += 1;
        sink.cut_if_full().await?;
    }
    Ok(rows)
}

/// Where rows go: the part being filled, and the upload once a part has
/// filled (a report that never fills one is written by `PutObject`).
struct Sink<'a, 'n> {
    s3: &'a Client,
    bucket: &'a str,
    key: &'a str,
    part_size: usize,
    csv: RowWriter<Vec<u8>>,
    upload: Option<Upload>,
    on_started: Option<OnUploadStarted<'n>>,
}

impl<'a, 'n> Sink<'a, 'n> {
    fn new(s3: &'a Client, bucket: &'a str, key: &'a str, part_size: usize) -> Self {
        Self {
            s3,
            bucket,
            key,
            part_size,
            csv: RowWriter::new(Vec::with_capacity(part_size + SLACK)),
            upload: None,
            on_started: None,
        }
    }

    /// Uploads the part being filled if it is full, starting the upload
    /// with the first.
    async fn cut_if_full(&mut self) -> Result<(), ReportError> {
        if self.csv.get_ref().len() < self.part_size {
            return Ok(());
        }
        // Wait for the part in flight before taking a new buffer, so no
        // more than two parts' buffers are ever alive.
        if let Some(upload) = &mut self.upload {
            upload.settle().await?;
        }
        let fresh = RowWriter::new(Vec::with_capacity(self.part_size + SLACK));
        let part = std::mem::replace(&mut self.csv, fresh).into_inner()?;
        let upload = match &mut self.upload {
            Some(upload) => upload,
            None => {
                let upload = self.upload.insert(
                    Upload::create(self.s3, self.bucket, self.key, CONTENT_TYPE, self.part_size)
                        .await?,
                );
                if let Some(on_started) = self.on_started.take() {
                    on_started(upload.id().to_owned()).await?;
                }
                upload
            }
        };
        upload.send(part).await?;
        Ok(())
    }

    /// Writes what is left: the last part and the completion, or the whole
    /// report by `PutObject`. Returns its size and parts.
    async fn finish(&mut self) -> Result<(u64, u32), ReportError> {
        let last = std::mem::replace(&mut self.csv, RowWriter::new(Vec::new())).into_inner()?;
        match &mut self.upload {
            Some(upload) => {
                if !last.is_empty() {
                    upload.send(last).await?;
                }
                Ok(upload.complete().await?)
            }
            None => {
                let bytes = last.len() as u64;
                self.s3
                    .put_object()
                    .bucket(self.bucket)
                    .key(self.key)
                    .content_type(CONTENT_TYPE)
                    .body(ByteStream::from(last))
                    .send()
                    .await
                    .map_err(|e| ReportError::Put {
                        key: self.key.to_owned(),
                        source: Box::new(e),
                    })?;
                Ok((bytes, 1))
            }
        }
    }
}
