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
//! SDK. Both processes share the machine's cores, and the CPU time each
//! spent on the report is shown, so it is plain whether the client (the
//! SDK's parsing, the rows) or the emulator bounds it. Items are seeded by
//! the child itself, straight into the emulator's database (dynoxide's
//! `import_items`, a table without a stream), the same items a
//! `BatchWriteItem` would store, several times faster than over HTTP. A report, not an assertion:
//!
//!     cargo bench -p e2e --bench report
//!
//! (`BENCH_MEMBERS=500` for fewer members, `BENCH_COMPUTERS=20,1000` for
//! the computers per member of each data set, `BENCH_PART_MIB=16` for
//! another part size, `BENCH_PERF=/tmp/report.perf` to record the report
//! phase of both processes with `perf record`.)

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

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

/// Member `m`'s account in the data set of `computers` computers a member
/// (each data set its own accounts, so seeding one never adds computers to
/// another's).
fn account(m: usize, computers: usize) -> String {
    format!("member-{m:05}-of-{computers}")
}

fn member_json(m: usize, computers: usize) -> Value {
    json!({"accountId": account(m, computers), "email": format!("member{m}@initech.com"),
           "region": "us-west", "joinedAt": NOW,
           "managedAccessAccepted": true, "versionHistoryAccepted": false})
}

/// A computer as a check-in leaves it: realistic names, one in ten with
/// an alert.
fn computer_json(m: usize, computers: usize, c: usize) -> Value {
    let alerts = if c.is_multiple_of(10) {
        json!([{"kind": "backupOverdue", "since": NOW, "detail": "no backup for 3 days"}])
    } else {
        json!([])
    };
    json!({"id": format!("pc-{c:04}"), "accountId": account(m, computers),
           "name": format!("Member {m}'s MacBook Pro {c}"), "os": "macOS 15.1",
           "clientVersion": "9.1.0.812", "lastBackupAt": NOW,
           "selectedBytes": 123_456_789_012u64 + c as u64, "filesRemaining": c,
           "alertCount": alerts.as_array().map_or(0, Vec::len), "alerts": alerts,
           "firstSeenAt": NOW, "checkedInAt": NOW})
}

fn bucket_json(m: usize, computers: usize) -> Value {
    json!({"name": format!("bucket-{m:05}"), "accountId": account(m, computers),
           "storedBytes": 987_654_321u64, "fileCount": 1234, "createdAt": NOW})
}

/// A value in DynamoDB's JSON wire form (`{"S": ...}`), as a
/// `BatchWriteItem` carries it and as `serde_dynamo` maps JSON (strings to
/// `S`, numbers to `N`, arrays to `L`, objects to `M`): what the emulator's
/// own item type reads.
fn wire(value: Value) -> Value {
    match value {
        Value::String(s) => json!({ "S": s }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Null => json!({ "NULL": true }),
        Value::Array(l) => json!({ "L": l.into_iter().map(wire).collect::<Vec<_>>() }),
        Value::Object(m) => json!({ "M": attributes(m) }),
    }
}

/// An object's members as an item's attributes, in wire form.
fn attributes(object: serde_json::Map<String, Value>) -> Value {
    Value::Object(object.into_iter().map(|(k, v)| (k, wire(v))).collect())
}

/// An item in wire form: `value`'s members, its key and its entity type.
fn item(pk: String, sk: String, entity: &str, value: Value) -> Value {
    let Value::Object(mut object) = value else {
        panic!("an item is an object");
    };
    object.insert("PK".into(), pk.into());
    object.insert("SK".into(), sk.into());
    object.insert("entity".into(), entity.into());
    attributes(object)
}

/// One member's items (in wire form): membership, computers, bucket.
fn member_items(gid: &str, m: usize, computers: usize) -> Vec<Value> {
    let aid = account(m, computers);
    let mut items = Vec::with_capacity(computers + 2);
    items.push(item(
        format!("GROUP#{gid}"),
        format!("MEMBER#{aid}"),
        "Member",
        member_json(m, computers),
    ));
    for c in 0..computers {
        items.push(item(
            format!("ACCOUNT#{aid}"),
            format!("COMPUTER#pc-{c:04}"),
            "Computer",
            computer_json(m, computers, c),
        ));
    }
    items.push(item(
        format!("ACCOUNT#{aid}"),
        format!("BUCKET#bucket-{m:05}"),
        "Bucket",
        bucket_json(m, computers),
    ));
    items
}

/// Items per `import_items` call (one SQLite transaction each).
const SEED_CHUNK: usize = 2_000;

/// In the child: seeds a group, member by member, a chunk of items at a
/// time: each item's wire form read by `read` (into the emulator's own
/// item type) on another thread while `import` writes the previous chunk
/// (into its database), never the whole data set at once. Returns the
/// items written.
fn seed_here<T: Send + 'static>(
    read: impl Fn(Value) -> T + Send + 'static,
    mut import: impl FnMut(Vec<T>),
    gid: &str,
    members: usize,
    computers: usize,
) -> usize {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<T>>(2);
    let gid = gid.to_owned();
    let builder = std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(SEED_CHUNK + computers + 2);
        for m in 0..members {
            chunk.extend(member_items(&gid, m, computers).into_iter().map(&read));
            if chunk.len() >= SEED_CHUNK || m + 1 == members {
                let full =
                    std::mem::replace(&mut chunk, Vec::with_capacity(SEED_CHUNK + computers + 2));
                if tx.send(full).is_err() {
                    return;
                }
            }
        }
    });
    let mut written = 0;
    for chunk in rx {
        written += chunk.len();
        import(chunk);
    }
    builder.join().expect("the item builder");
    written
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
        let member: Member = serde_json::from_value(member_json(m, computers)).expect("member");
        // A page of the member's computers, as the report holds one.
        let page: Vec<Computer> = (0..computers)
            .map(|c| serde_json::from_value(computer_json(m, computers, c)).expect("computer"))
            .collect();
        let bucket: Bucket = serde_json::from_value(bucket_json(m, computers)).expect("bucket");
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

/// CPU seconds (user and system) a process has used so far, from
/// `/proc/<pid>/stat` (in clock ticks of 1/100 s, as on every Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command's name, which is in parentheses and
    // may hold spaces: state is field 3, utime 14 and stime 15.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// `perf record` of both processes while it lives, when `BENCH_PERF` names
/// its output file; stopped (as `perf` is, with SIGINT) when dropped.
struct Perf(Option<Child>);

impl Perf {
    fn start(server: &Server) -> Self {
        let Some(out) = std::env::var_os("BENCH_PERF") else {
            return Self(None);
        };
        let pids = format!("{},{}", std::process::id(), server.child.id());
        let perf = Command::new("perf")
            .args(["record", "-F", "499", "-g", "-p", &pids, "-o"])
            .arg(out)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| eprintln!("  perf not started: {e}"))
            .ok();
        // Let it attach before the work starts.
        std::thread::sleep(Duration::from_millis(500));
        Self(perf)
    }
}

impl Drop for Perf {
    fn drop(&mut self) {
        if let Some(mut perf) = self.0.take() {
            let _ = Command::new("kill")
                .args(["-INT", &perf.id().to_string()])
                .status();
            let _ = perf.wait();
        }
    }
}

async fn run(server: &mut Server, computers: usize) -> Vec<Phase> {
    let gid = GroupId::new();
    server.seed(&gid, computers);
    let period = ReportPeriod::parse("2026-11").expect("period");
    let (client_cpu, server_cpu) = (cpu_seconds(std::process::id()), server.cpu_seconds());
    let perf = Perf::start(server);
    let (repo, s3) = (&server.repo, &server.s3);
    let mut report = measure("report", async {
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
    drop(perf);
    report.note.push_str(&format!(
        "; CPU: client {:.1}s, stand-ins {:.1}s",
        cpu_seconds(std::process::id()) - client_cpu,
        server.cpu_seconds() - server_cpu
    ));
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
/// endpoints, then seeds a group for each `seed <gid> <members>
/// <computers>` line read (answering `seeded <items>`), until its standard
/// input closes.
async fn serve() {
    let names = Names {
        buckets: vec![REPORTS.into()],
        ..Names::default()
    };
    let standins = StandIns::start_without_stream(Storage::Memory, names)
        .await
        .expect("stand-ins");
    println!("{} {}", standins.dynamodb_endpoint, standins.s3_endpoint);
    let db = standins.database().clone();
    let table = standins.names.table.clone();
    tokio::task::spawn_blocking(move || {
        for line in std::io::stdin().lock().lines() {
            let line = line.expect("read stdin");
            let words: Vec<&str> = line.split_whitespace().collect();
            let [_seed, gid, members, computers] = words[..] else {
                panic!("not a command: {line:?}");
            };
            // The emulator's own item type (inferred: this crate does not
            // name the emulator), read from the wire form.
            let read = |item: Value| serde_json::from_value(item).expect("item");
            let import = |items| {
                db.import_items(&table, items, Default::default())
                    .expect("import");
            };
            let members = members.parse().expect("members");
            let computers = computers.parse().expect("computers");
            let items = seed_here(read, import, gid, members, computers);
            println!("seeded {items}");
            std::io::stdout().flush().expect("stdout");
        }
    })
    .await
    .expect("the seeder");
    drop(standins);
}

/// The stand-ins in a child process, and clients of them.
struct Server {
    child: Child,
    /// Commands; closing it stops the child.
    commands: Option<ChildStdin>,
    answers: BufReader<ChildStdout>,
    repo: Repository,
    s3: aws_sdk_s3::Client,
}

impl Server {
    /// Starts the stand-ins in a child process (this binary again).
    fn spawn() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .env(SERVE, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the stand-ins");
        let commands = child.stdin.take();
        let mut answers = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        answers.read_line(&mut line).expect("endpoints");
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
        Self {
            child,
            commands,
            answers,
            repo,
            s3,
        }
    }

    /// Seeds a group of [`members`] members with `computers` computers and
    /// one bucket each, and says how long it took.
    fn seed(&mut self, gid: &GroupId, computers: usize) {
        let started = Instant::now();
        let commands = self.commands.as_mut().expect("the child runs");
        writeln!(commands, "seed {gid} {} {computers}", members()).expect("command");
        commands.flush().expect("command");
        let mut line = String::new();
        self.answers.read_line(&mut line).expect("answer");
        let items = line.trim().strip_prefix("seeded ").expect("seeded");
        eprintln!(
            "  seeded {} members x {computers} computers ({items} items) in {:.1?}",
            members(),
            started.elapsed()
        );
    }

    /// CPU seconds the child has used so far.
    fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.child.id())
    }

    /// Stops the child (closing its input) and waits for it.
    fn stop(mut self) {
        drop(self.commands.take());
        self.child.wait().expect("the stand-ins stop");
    }
}

#[tokio::main]
async fn main() {
    if std::env::var_os(SERVE).is_some() {
        serve().await;
        return;
    }
    let mut server = Server::spawn();
    let mut table = Vec::new();
    for computers in computer_sets() {
        let set = format!("{} x {computers}", members());
        eprintln!("{set}:");
        let phases = run(&mut server, computers).await;
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
    server.stop();
}
