//! Snapshot zip engine on the embedded S3 (s3s-fs on a temp folder): about
//! 1 GiB as many small files (16,384 x 64 KiB) and as a few large ones
//! (4 x 256 MiB). For each, in the same run and on the same objects:
//!
//! * `zip`: `shared::archive::write_zip` (8 MiB parts, one in flight);
//! * `copy`: the same bytes moved without the zip: each object's body
//!   streamed from `GetObject` and written back, by `PutObject` when it fits
//!   one part, else by a multipart upload in parts of the same size, one at
//!   a time;
//! * `read`: every body streamed from `GetObject` and dropped: the floor
//!   under both, what reading alone costs;
//! * `CopyObject`: S3's server-side copy, for scale: no byte passes through
//!   the client, so it is not what a zip could ever match.
//!
//! Reports time, throughput (source bytes, MB = 10^6 bytes) and the peak of
//! live heap above the phase's start, counted by a global allocator. The
//! S3 stand-in runs in a child process (this binary again, with
//! `SNAPSHOT_BENCH_SERVE` set), so the heap counted is the client's alone:
//! the zip builder, the SDK and this bench. Both processes share the
//! machine's cores. A report, not an assertion:
//!
//!     cargo bench -p e2e --bench snapshot
//!
//! (`BENCH_SNAPSHOT_MIB=128` for a quick run, `BENCH_SNAPSHOT_SETS=large`
//! for one data set, `BENCH_PART_MIB=16` for another part size; the temp
//! folder needs about three times the data set's size free.)

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use peak_alloc::PeakAlloc;
use shared::archive::{DEFAULT_PART_SIZE, Entry, expand, write_zip};
use standins::{ACCESS_KEY, Names, REGION, SECRET_KEY, StandIns, Storage};

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const DATA: &str = "member-data";
const OUT: &str = "groups-snapshots";
const MIB: usize = 1024 * 1024;
/// Set in the child process that serves S3.
const SERVE: &str = "SNAPSHOT_BENCH_SERVE";

/// Size of each data set in MiB (`BENCH_SNAPSHOT_MIB` overrides 1,024).
fn total_mib() -> usize {
    std::env::var("BENCH_SNAPSHOT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024)
}

/// The zip's part size (`BENCH_PART_MIB` overrides 8 MiB).
fn part_size() -> usize {
    std::env::var("BENCH_PART_MIB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(DEFAULT_PART_SIZE, |m| m * MIB)
}

/// Whether to run data set `label` (`BENCH_SNAPSHOT_SETS`: a comma list).
fn wanted(label: &str) -> bool {
    std::env::var("BENCH_SNAPSHOT_SETS").map_or(true, |v| v.split(',').any(|s| s == label))
}

/// Bytes that do not repeat within an object (stored entries do not care,
/// but a lucky filesystem or allocator might).
fn pseudo_random(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

async fn seed(s3: &Client, root: &str, count: usize, size: usize) {
    let started = Instant::now();
    let template = pseudo_random(size, 7);
    for i in 0..count {
        let mut body = template.clone();
        body[..8].copy_from_slice(&(i as u64).to_le_bytes());
        s3.put_object()
            .bucket(DATA)
            .key(format!("{root}d{:02}/f{i:05}.bin", i % 64))
            .body(ByteStream::from(body))
            .send()
            .await
            .expect("seed");
    }
    eprintln!(
        "  seeded {count} x {} KiB in {:.1?}",
        size / 1024,
        started.elapsed()
    );
}

/// One phase's figures.
struct Phase {
    name: &'static str,
    took: Duration,
    peak: usize,
    note: String,
}

/// Runs `work`, timing it and recording the heap's peak above its start.
async fn measure<F: Future<Output = String>>(name: &'static str, work: F) -> Phase {
    HEAP.reset_peak_usage();
    let base = HEAP.current_usage();
    let started = Instant::now();
    let note = work.await;
    let took = started.elapsed();
    Phase {
        name,
        took,
        peak: HEAP.peak_usage().saturating_sub(base),
        note,
    }
}

/// The plain copy: each body streamed from `GetObject` and written back.
async fn copy(s3: &Client, entries: &[Entry]) -> String {
    let part_size = part_size();
    let mut requests = 0;
    for entry in entries {
        let object = s3
            .get_object()
            .bucket(DATA)
            .key(&entry.key)
            .send()
            .await
            .expect("get");
        requests += 1;
        let dest = format!("copy/{}", entry.path);
        let size = object
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        let mut body = object.body;
        if size <= part_size {
            let mut bytes = Vec::with_capacity(size);
            while let Some(chunk) = body.try_next().await.expect("read") {
                bytes.extend_from_slice(&chunk);
            }
            s3.put_object()
                .bucket(OUT)
                .key(&dest)
                .body(ByteStream::from(bytes))
                .send()
                .await
                .expect("put");
            requests += 1;
            continue;
        }
        let upload = s3
            .create_multipart_upload()
            .bucket(OUT)
            .key(&dest)
            .send()
            .await
            .expect("create");
        let id = upload.upload_id().expect("upload id").to_owned();
        let mut parts = Vec::new();
        let mut buffer = Vec::with_capacity(part_size + 64 * 1024);
        let mut more = true;
        while more {
            let chunk = body.try_next().await.expect("read");
            more = chunk.is_some();
            if let Some(chunk) = chunk {
                buffer.extend_from_slice(&chunk);
            }
            if buffer.len() >= part_size || (!more && !buffer.is_empty()) {
                let number = parts.len() as i32 + 1;
                // A fresh buffer of a part's size (and a chunk's room), as
                // the zip's: never grown by doubling.
                let cut = buffer.len().min(part_size);
                let mut rest = Vec::with_capacity(part_size + 64 * 1024);
                rest.extend_from_slice(&buffer[cut..]);
                buffer.truncate(cut);
                let part = std::mem::replace(&mut buffer, rest);
                let sent = s3
                    .upload_part()
                    .bucket(OUT)
                    .key(&dest)
                    .upload_id(&id)
                    .part_number(number)
                    .body(ByteStream::from(part))
                    .send()
                    .await
                    .expect("part");
                parts.push(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(sent.e_tag)
                        .build(),
                );
            }
        }
        requests += parts.len() + 2;
        s3.complete_multipart_upload()
            .bucket(OUT)
            .key(&dest)
            .upload_id(&id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .expect("complete");
    }
    format!("{requests} requests")
}

/// Reading alone: every body streamed and dropped.
async fn read(s3: &Client, entries: &[Entry]) -> String {
    let mut bytes = 0;
    for entry in entries {
        let mut body = s3
            .get_object()
            .bucket(DATA)
            .key(&entry.key)
            .send()
            .await
            .expect("get")
            .body;
        while let Some(chunk) = body.try_next().await.expect("read") {
            bytes += chunk.len();
        }
    }
    format!("{} MiB read", bytes / MIB)
}

/// S3's own copy of each object.
async fn copy_object(s3: &Client, entries: &[Entry]) -> String {
    for entry in entries {
        s3.copy_object()
            .bucket(OUT)
            .key(format!("copied/{}", entry.path))
            .copy_source(format!("{DATA}/{}", entry.key))
            .send()
            .await
            .expect("copy object");
    }
    format!("{} requests", entries.len())
}

/// Deletes every object under `prefix` (keeps the temp folder small).
async fn clear(s3: &Client, bucket: &str, prefix: &str) {
    let mut pages = s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.expect("list");
        keys.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(str::to_owned)),
        );
    }
    for key in keys {
        s3.delete_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .expect("delete");
    }
}

async fn run(s3: &Client, label: &str, count: usize, size: usize) -> Vec<Phase> {
    let root = format!("members/{label}/");
    seed(s3, &root, count, size).await;
    let listed = Instant::now();
    let entries = expand(s3, DATA, &root, std::slice::from_ref(&root))
        .await
        .expect("expand");
    eprintln!(
        "  listed {} objects in {:.1?}",
        entries.len(),
        listed.elapsed()
    );
    let mut phases = Vec::new();
    phases.push(
        measure("zip", async {
            let written = write_zip(s3, DATA, &entries, OUT, "snapshot.zip", part_size(), |_| {
                std::future::ready(Ok::<(), std::io::Error>(()))
            })
            .await
            .expect("zip");
            format!(
                "{} files, {:.1} MiB archive, {} parts",
                written.files,
                written.bytes as f64 / MIB as f64,
                written.parts
            )
        })
        .await,
    );
    clear(s3, OUT, "snapshot.zip").await;
    phases.push(measure("copy", copy(s3, &entries)).await);
    clear(s3, OUT, "copy/").await;
    phases.push(measure("read", read(s3, &entries)).await);
    phases.push(measure("CopyObject", copy_object(s3, &entries)).await);
    clear(s3, OUT, "copied/").await;
    clear(s3, DATA, &root).await;
    phases
}

/// The child process: starts the stand-ins, prints the S3 endpoint, and
/// serves until its standard input closes (the parent is done or gone).
async fn serve() {
    let names = Names {
        buckets: vec![DATA.into(), OUT.into()],
        ..Names::default()
    };
    let standins = StandIns::start(Storage::Memory, names)
        .await
        .expect("stand-ins");
    println!("{}", standins.s3_endpoint);
    tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new()))
        .await
        .expect("stdin")
        .expect("read stdin");
    drop(standins);
}

/// Starts the S3 stand-in in a child process; returns it, the pipe whose
/// closing stops it, and a client of it.
fn spawn_server() -> (Child, ChildStdin, Client) {
    let mut child = Command::new(std::env::current_exe().expect("this binary"))
        .env(SERVE, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn the S3 stand-in");
    let stdin = child.stdin.take().expect("stdin");
    let mut endpoint = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut endpoint)
        .expect("endpoint");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new(REGION))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            ACCESS_KEY, SECRET_KEY, None, None, "bench",
        ))
        .endpoint_url(endpoint.trim())
        .force_path_style(true)
        .build();
    (child, stdin, Client::from_conf(config))
}

#[tokio::main]
async fn main() {
    if std::env::var_os(SERVE).is_some() {
        serve().await;
        return;
    }
    let (mut server, stop, s3) = spawn_server();
    let total = total_mib() * MIB;
    let sets = [
        ("small", total / (64 * 1024), 64 * 1024),
        ("large", 4, total / 4),
    ];
    let mut table = Vec::new();
    for (label, count, size) in sets.into_iter().filter(|s| wanted(s.0)) {
        let set = format!("{count} x {} KiB", size / 1024);
        eprintln!("{set}:");
        let phases = run(&s3, label, count, size).await;
        table.push((set, (count * size) as f64, phases));
    }

    println!(
        "\n{:<18} {:<11} {:>9} {:>9} {:>12}  note",
        "data set", "phase", "time", "MB/s", "peak heap"
    );
    for (set, bytes, phases) in &table {
        for p in phases {
            println!(
                "{:<18} {:<11} {:>8.2}s {:>9.1} {:>8.1} MiB  {}",
                set,
                p.name,
                p.took.as_secs_f64(),
                bytes / 1e6 / p.took.as_secs_f64(),
                p.peak as f64 / MIB as f64,
                p.note
            );
        }
        let zip = phases[0].took.as_secs_f64();
        let copy = phases[1].took.as_secs_f64();
        println!(
            "{:<18} zip/copy time ratio {:.2} (zip throughput {:.0}% of the copy's)",
            set,
            zip / copy,
            100.0 * copy / zip
        );
    }
    drop(stop);
    server.wait().expect("the S3 stand-in stops");
}
