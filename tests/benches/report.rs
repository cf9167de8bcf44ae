//! The group report at the product's scale on the embedded stack: 5,000
//! members with 20 computers each (100,000 rows) and with 1,000 each (5
//! million rows, an account's limit), each member with one bucket. For
//! each data set, in the same run:
//!
//! * `report`: `shared::report::write_group_report` from the table to S3
//!   (8 MiB parts, one in flight while the next fills);
//! * `csv floor`: the same rows written by the same `RowWriter` from
//!   structs already in memory into a buffer cut at the same part size and
//!   dropped: no DynamoDB, no S3, what formatting alone costs.
//!
//! Reports time, rows a second, the peak of live heap above the phase's
//! start (a counting global allocator), parts uploaded and the ratio of
//! the report's time to the floor's. The stand-ins (dynoxide, s3s-fs) run
//! in a child process (this binary again, with `REPORT_BENCH_SERVE` set),
//! so the heap counted is the report's alone: its pages, its parts and the
//! SDK. Both processes share the machine's cores. Items are seeded straight
//! into the table with `BatchWriteItem` (a table without a stream). A
//! report, not an assertion:
//!
//!     cargo bench -p e2e --bench report
//!
//! (`BENCH_MEMBERS=500` for fewer members, `BENCH_COMPUTERS=20,1000` for
//! the computers per member of each data set, `BENCH_PART_MIB=16` for
//! another part size.)

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use peak_alloc::PeakAlloc;
use serde_json::{Value, json};
use shared::model::{Bucket, Computer, GroupId, Member};
use shared::repo::Repository;
use shared::report::{DEFAULT_PART_SIZE, ReportPeriod, RowWriter, write_group_report};
use standins::{ACCESS_KEY, Names, REGION, SECRET_KEY, StandIns, Storage};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const REPORTS: &str = "groups-reports";
const MIB: usize = 1024 * 1024;
const NOW: &str = "2026-11-27T00:00:00Z";
/// Set in the child process that serves the stand-ins.
const SERVE: &str = "REPORT_BENCH_SERVE";
/// `BatchWriteItem` calls in flight while seeding.
const SEEDERS: usize = 4;

/// Members per group (`BENCH_MEMBERS` overrides 5,000).
fn members() -> usize {
    std::env::var("BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}

/// Computers per member of each data set (`BENCH_COMPUTERS`, a comma list,
/// overrides 20,1000).
fn computer_sets() -> Vec<usize> {
    std::env::var("BENCH_COMPUTERS")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![20, 1_000])
}

/// The report's part size (`BENCH_PART_MIB` overrides 8 MiB).
fn part_size() -> usize {
    std::env::var("BENCH_PART_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(DEFAULT_PART_SIZE, |m| m * MIB)
}

fn member_json(m: usize) -> Value {
    json!({"accountId": format!("member-{m:05}"), "email": format!("member{m}@initech.com"),
           "region": "us-west", "joinedAt": NOW,
           "managedAccessAccepted": true, "versionHistoryAccepted": false})
}

/// A computer as a check-in leaves it: realistic names, one in ten with
/// an alert.
fn computer_json(m: usize, c: usize) -> Value {
    let alerts = if c.is_multiple_of(10) {
        json!([{"kind": "backupOverdue", "since": NOW, "detail": "no backup for 3 days"}])
    } else {
        json!([])
    };
    json!({"id": format!("pc-{c:04}"), "accountId": format!("member-{m:05}"),
           "name": format!("Member {m}'s MacBook Pro {c}"), "os": "macOS 15.1",
           "clientVersion": "9.1.0.812", "lastBackupAt": NOW,
           "selectedBytes": 123_456_789_012u64 + c as u64, "filesRemaining": c,
           "alertCount": alerts.as_array().map_or(0, Vec::len), "alerts": alerts,
           "firstSeenAt": NOW, "checkedInAt": NOW})
}

fn bucket_json(m: usize) -> Value {
    json!({"name": format!("bucket-{m:05}"), "accountId": format!("member-{m:05}"),
           "storedBytes": 987_654_321u64, "fileCount": 1234, "createdAt": NOW})
}

type Item = HashMap<String, AttributeValue>;

fn item(pk: String, sk: String, entity: &str, value: Value) -> Item {
    let mut item: Item = serde_dynamo::to_item(value).expect("item");
    item.insert("PK".into(), AttributeValue::S(pk));
    item.insert("SK".into(), AttributeValue::S(sk));
    item.insert("entity".into(), AttributeValue::S(entity.into()));
    item
}

/// One member's items: membership, computers, bucket.
fn member_items(gid: &GroupId, m: usize, computers: usize) -> Vec<Item> {
    let aid = format!("member-{m:05}");
    let mut items = Vec::with_capacity(computers + 2);
    items.push(item(
        format!("GROUP#{gid}"),
        format!("MEMBER#{aid}"),
        "Member",
        member_json(m),
    ));
    for c in 0..computers {
        items.push(item(
            format!("ACCOUNT#{aid}"),
            format!("COMPUTER#pc-{c:04}"),
            "Computer",
            computer_json(m, c),
        ));
    }
    items.push(item(
        format!("ACCOUNT#{aid}"),
        format!("BUCKET#bucket-{m:05}"),
        "Bucket",
        bucket_json(m),
    ));
    items
}

async fn batch(repo: &Repository, chunk: Vec<Item>) {
    let requests: Vec<WriteRequest> = chunk
        .into_iter()
        .map(|i| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(i))
                        .build()
                        .expect("put"),
                )
                .build()
        })
        .collect();
    let mut pending = Some(requests);
    while let Some(requests) = pending.take() {
        let out = repo
            .client()
            .batch_write_item()
            .request_items(repo.table(), requests)
            .send()
            .await
            .expect("seed");
        pending = out
            .unprocessed_items
            .and_then(|mut u| u.remove(repo.table()))
            .filter(|r| !r.is_empty());
    }
}

/// Seeds a group, member by member (items are built as they are written,
/// so the seeding never holds the whole data set).
async fn seed(repo: &Repository, gid: &GroupId, computers: usize) {
    use futures::StreamExt;
    let started = Instant::now();
    let total = members();
    let chunks = futures::stream::iter(0..total).flat_map(|m| {
        let items = member_items(gid, m, computers);
        let chunks: Vec<Vec<Item>> = items.chunks(25).map(<[Item]>::to_vec).collect();
        futures::stream::iter(chunks)
    });
    let mut done = 0usize;
    let mut writes = chunks.map(|c| batch(repo, c)).buffer_unordered(SEEDERS);
    while writes.next().await.is_some() {
        done += 1;
        if done.is_multiple_of(20_000) {
            eprintln!("  seeded {} items in {:.1?}", done * 25, started.elapsed());
        }
    }
    eprintln!(
        "  seeded {total} members x {computers} computers in {:.1?}",
        started.elapsed()
    );
}

/// One phase's figures.
struct Phase {
    name: &'static str,
    took: Duration,
    peak: usize,
    rows: u64,
    note: String,
}

/// The floor: the same rows from structs in memory, through the same
/// writer, into a buffer cut at the part size and dropped. Only the
/// writing is timed: each member's structs are built (parsed from the same
/// JSON the table holds) outside the clock.
fn floor(computers: usize) -> (u64, u64, u32, Duration) {
    let part_size = part_size();
    let new_writer = || RowWriter::new(Vec::with_capacity(part_size + 64 * 1024));
    let mut writer = new_writer();
    writer.header().expect("header");
    let (mut rows, mut bytes, mut parts) = (0u64, 0u64, 0u32);
    let mut writing = Duration::ZERO;
    let mut cut = |writer: &mut RowWriter<Vec<u8>>, force: bool| {
        if force || writer.get_ref().len() >= part_size {
            let part = std::mem::replace(writer, new_writer())
                .into_inner()
                .expect("flush");
            bytes += part.len() as u64;
            parts += 1;
            drop(part);
        }
    };
    for m in 0..members() {
        let member: Member = serde_json::from_value(member_json(m)).expect("member");
        // A page of the member's computers, as the report holds one.
        let page: Vec<Computer> = (0..computers)
            .map(|c| serde_json::from_value(computer_json(m, c)).expect("computer"))
            .collect();
        let bucket: Bucket = serde_json::from_value(bucket_json(m)).expect("bucket");
        let started = Instant::now();
        for computer in &page {
            writer.computer(&member, computer).expect("row");
            rows += 1;
            cut(&mut writer, false);
        }
        writer.bucket(&member, &bucket).expect("row");
        rows += 1;
        cut(&mut writer, false);
        writing += started.elapsed();
    }
    let started = Instant::now();
    cut(&mut writer, true);
    writing += started.elapsed();
    (rows, bytes, parts, writing)
}

/// Runs `work`, timing it and recording the heap's peak above its start.
async fn measure<F: Future<Output = (u64, String)>>(name: &'static str, work: F) -> Phase {
    HEAP.reset_peak_usage();
    let base = HEAP.current_usage();
    let started = Instant::now();
    let (rows, note) = work.await;
    let took = started.elapsed();
    Phase {
        name,
        took,
        peak: HEAP.peak_usage().saturating_sub(base),
        rows,
        note,
    }
}

async fn run(repo: &Repository, s3: &aws_sdk_s3::Client, computers: usize) -> Vec<Phase> {
    let gid = GroupId::new();
    seed(repo, &gid, computers).await;
    let period = ReportPeriod::parse("2026-11").expect("period");
    let report = measure("report", async {
        let written = write_group_report(repo, s3, REPORTS, &gid, &period, part_size())
            .await
            .expect("report");
        (
            written.rows,
            format!(
                "{:.1} MiB, {} parts",
                written.bytes as f64 / MIB as f64,
                written.parts
            ),
        )
    })
    .await;
    let mut writing = Duration::ZERO;
    let mut floor = measure("csv floor", async {
        let (rows, bytes, parts, took) = floor(computers);
        writing = took;
        (
            rows,
            format!(
                "{:.1} MiB, {parts} parts; writing alone timed",
                bytes as f64 / MIB as f64
            ),
        )
    })
    .await;
    floor.took = writing;
    vec![report, floor]
}

/// The child process: starts the stand-ins, prints the DynamoDB and S3
/// endpoints, and serves until its standard input closes.
async fn serve() {
    let names = Names {
        buckets: vec![REPORTS.into()],
        ..Names::default()
    };
    let standins = StandIns::start_without_stream(Storage::Memory, names)
        .await
        .expect("stand-ins");
    println!("{} {}", standins.dynamodb_endpoint, standins.s3_endpoint);
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
        .await
        .expect("stdin")
        .expect("read stdin");
    drop(standins);
}

/// Starts the stand-ins in a child process; returns it, the pipe whose
/// closing stops it, and clients of it.
fn spawn_server() -> (Child, ChildStdin, Repository, aws_sdk_s3::Client) {
    let mut child = Command::new(std::env::current_exe().expect("this binary"))
        .env(SERVE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the stand-ins");
    let stdin = child.stdin.take().expect("stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("endpoints");
    let mut endpoints = line.split_whitespace();
    let dynamodb = endpoints.next().expect("dynamodb endpoint");
    let s3 = endpoints.next().expect("s3 endpoint");
    let credentials =
        || aws_sdk_s3::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "bench");
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(REGION))
            .credentials_provider(credentials())
            .endpoint_url(s3)
            .force_path_style(true)
            .build(),
    );
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .region(aws_sdk_dynamodb::config::Region::new(REGION))
            .credentials_provider(credentials())
            .endpoint_url(dynamodb)
            .build(),
    );
    let repo = Repository::new(dynamo, Names::default().table);
    (child, stdin, repo, s3)
}

#[tokio::main]
async fn main() {
    if std::env::var_os(SERVE).is_some() {
        serve().await;
        return;
    }
    let (mut server, stop, repo, s3) = spawn_server();
    let mut table = Vec::new();
    for computers in computer_sets() {
        let set = format!("{} x {computers}", members());
        eprintln!("{set}:");
        let phases = run(&repo, &s3, computers).await;
        table.push((set, phases));
    }

    println!(
        "\nparts of {} MiB\n{:<14} {:<10} {:>10} {:>9} {:>11} {:>12}  note",
        part_size() / MIB,
        "members x pcs",
        "phase",
        "rows",
        "time",
        "rows/s",
        "peak heap"
    );
    for (set, phases) in &table {
        for p in phases {
            println!(
                "{:<14} {:<10} {:>10} {:>8.2}s {:>11.0} {:>8.1} MiB  {}",
                set,
                p.name,
                p.rows,
                p.took.as_secs_f64(),
                p.rows as f64 / p.took.as_secs_f64(),
                p.peak as f64 / MIB as f64,
                p.note
            );
        }
        println!(
            "{:<14} report/floor time ratio {:.1}",
            set,
            phases[0].took.as_secs_f64() / phases[1].took.as_secs_f64()
        );
    }
    drop(stop);
    server.wait().expect("the stand-ins stop");
}
