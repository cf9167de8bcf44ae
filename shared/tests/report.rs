//! The group report on the embedded stand-ins (dynoxide and s3s-fs):
//! items seeded straight into the table (so names no check-in would accept,
//! such as a tab or a carriage return at the start, can be tried), the CSV
//! read back from S3 and parsed with the `csv` crate's reader.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_s3::Client;
use serde_json::{Value, json};
use shared::model::{EmailAddress, GroupId};
use shared::multipart::MIN_PART_SIZE;
use shared::repo::Repository;
use shared::report::{
    COLUMNS, DEFAULT_PART_SIZE, ReportError, ReportPeriod, report_key, write_group_report,
};
use standins::{Names, StandIns, Storage};

const REPORTS: &str = "groups-reports";
const NOW: &str = "2026-11-27T00:00:00Z";

async fn start() -> (StandIns, Repository, Client) {
    let standins = StandIns::start(Storage::Memory, Names::default())
        .await
        .expect("stand-ins");
    let repo = Repository::new(standins.dynamodb(), standins.names.table.clone());
    let s3 = standins.s3();
    (standins, repo, s3)
}

type Item = HashMap<String, AttributeValue>;

fn item(pk: String, sk: String, entity: &str, value: Value) -> Item {
    let mut item: Item = serde_dynamo::to_item(value).expect("item");
    item.insert("PK".into(), AttributeValue::S(pk));
    item.insert("SK".into(), AttributeValue::S(sk));
    item.insert("entity".into(), AttributeValue::S(entity.into()));
    item
}

fn member(gid: &GroupId, aid: &str, email: &str, region: &str) -> Item {
    item(
        format!("GROUP#{gid}"),
        format!("MEMBER#{aid}"),
        "Member",
        json!({"accountId": aid, "email": email, "region": region, "joinedAt": NOW,
               "managedAccessAccepted": true, "versionHistoryAccepted": false}),
    )
}

fn computer(aid: &str, cid: &str, fields: Value) -> Item {
    let mut value = json!({"id": cid, "accountId": aid, "name": "pc", "os": "macOS 15",
        "clientVersion": "9.1.0", "lastBackupAt": NOW, "selectedBytes": 1_000_000u64,
        "filesRemaining": 0, "alerts": [], "alertCount": 0,
        "firstSeenAt": NOW, "checkedInAt": NOW});
    if let (Some(base), Value::Object(extra)) = (value.as_object_mut(), fields) {
        base.extend(extra);
    }
    item(
        format!("ACCOUNT#{aid}"),
        format!("COMPUTER#{cid}"),
        "Computer",
        value,
    )
}

fn bucket(aid: &str, name: &str, stored: u64) -> Item {
    item(
        format!("ACCOUNT#{aid}"),
        format!("BUCKET#{name}"),
        "Bucket",
        json!({"name": name, "accountId": aid, "storedBytes": stored, "fileCount": 3,
               "createdAt": NOW}),
    )
}

async fn write(repo: &Repository, items: Vec<Item>) {
    for chunk in items.chunks(25) {
        let requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|i| {
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(i.clone()))
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
}

async fn read_object(s3: &Client, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(REPORTS)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e}"))
        .body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

/// The object parsed as RFC 4180 CSV: the header, then every row.
fn parse(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn row(cells: &[&str]) -> Vec<String> {
    assert_eq!(cells.len(), COLUMNS.len());
    cells.iter().map(|c| (*c).to_owned()).collect()
}

fn email(raw: &str) -> String {
    EmailAddress::parse("email", raw)
        .expect("email")
        .as_str()
        .to_owned()
}

fn period(raw: &str) -> ReportPeriod {
    ReportPeriod::parse(raw).expect("period")
}

/// The hostile names, each with its computer id; a check-in would refuse
/// the tab and carriage-return ones, the table does not.
const HOSTILE: [(&str, &str); 9] = [
    ("c1", "=HYPERLINK(\"http://x\",\"y\")"),
    ("c2", "+cmd|' /C calc'!A0"),
    ("c3", "-2+3"),
    ("c4", "@SUM(1)"),
    ("c5", "\tTabbed"),
    ("c6", "\rReturn"),
    ("c7", "Zoë's \"work\", laptop"),
    ("c8", "two\nlines"),
    ("c9", "a=1+2"),
];

#[tokio::test]
async fn report_reads_back_cell_by_cell_with_formulas_neutralised() {
    let (_standins, repo, s3) = start().await;
    let gid = GroupId::new();
    let other = GroupId::new();
    let mut items = vec![
        member(&gid, "A1", "zoë@initech.com", "eu-central"),
        member(&gid, "A2", "+sales@initech.com", "us-west"),
        member(&gid, "A3", "=x@initech.com", "us-east"),
        member(&other, "B1", "someone@contoso.com", "us-west"),
        computer("B1", "c1", json!({"name": "not in this group"})),
        bucket("A1", "zoe-photos", 123_456_789),
        bucket("A1", "-dash-bucket", 0),
        computer(
            "A2",
            "pc",
            json!({"name": "Ünïcödé 電脳", "os": "@os", "clientVersion": "-1",
                   "lastBackupAt": null, "selectedBytes": 10_000_000_000_000_000u64,
                   "filesRemaining": 42, "alertCount": 3, "alerts": [
                       {"kind": "lowDiskSpace", "since": NOW, "detail": "=1"},
                       {"kind": "backupOverdue", "since": NOW},
                       {"kind": "lowDiskSpace", "since": NOW}]}),
        ),
    ];
    for (cid, name) in HOSTILE {
        items.push(computer(
            "A1",
            cid,
            json!({"name": name, "lastBackupAt": "2026-11-26T23:30:00.250-01:00"}),
        ));
    }
    write(&repo, items).await;

    let written = write_group_report(
        &repo,
        &s3,
        REPORTS,
        &gid,
        &period("2026-W48"),
        DEFAULT_PART_SIZE,
    )
    .await
    .expect("report");
    let key = format!("reports/{gid}/2026-W48.csv");
    assert_eq!(report_key(&gid, &period("2026-W48")), key);
    let bytes = read_object(&s3, &key).await;
    assert_eq!(written.rows, 12);
    assert_eq!(written.bytes, bytes.len() as u64);
    assert_eq!(written.parts, 1);

    let (header, rows) = parse(&bytes);
    assert_eq!(header, COLUMNS);
    let zoe = email("zoë@initech.com");
    let mut expected: Vec<Vec<String>> = HOSTILE
        .iter()
        .map(|(_, name)| {
            let shown = match name.chars().next() {
                Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{name}"),
                _ => (*name).to_owned(),
            };
            row(&[
                "computer",
                &zoe,
                "eu-central",
                &shown,
                "macOS 15",
                "9.1.0",
                "2026-11-27T00:30:00Z",
                "1000000",
                "0",
                "0",
                "",
                "",
                "",
            ])
        })
        .collect();
    expected.extend([
        // Buckets in name order: '-' sorts before 'z'.
        row(&[
            "bucket",
            &zoe,
            "eu-central",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "'-dash-bucket",
            "0",
        ]),
        row(&[
            "bucket",
            &zoe,
            "eu-central",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "zoe-photos",
            "123456789",
        ]),
        row(&[
            "computer",
            "'+sales@initech.com",
            "us-west",
            "Ünïcödé 電脳",
            "'@os",
            "'-1",
            "",
            "10000000000000000",
            "42",
            "3",
            "backupOverdue;lowDiskSpace",
            "",
            "",
        ]),
    ]);
    assert_eq!(rows.len(), expected.len());
    for (i, (got, want)) in rows.iter().zip(&expected).enumerate() {
        assert_eq!(got, want, "row {i}");
    }
    // The raw bytes quote what needs it and nothing else.
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","));
    assert!(text.contains(",\"two\nlines\","));
    assert!(text.contains(",'@SUM(1),"));
    assert!(!text.contains("not in this group"));
    // A member with no computer and no bucket has no row.
    assert!(!text.contains("x@initech.com"));
}

#[tokio::test]
async fn a_rerun_of_the_period_replaces_the_report() {
    let (_standins, repo, s3) = start().await;
    let gid = GroupId::new();
    write(
        &repo,
        vec![
            member(&gid, "A1", "ana@initech.com", "us-west"),
            computer("A1", "pc", json!({"name": "before"})),
        ],
    )
    .await;
    let november = period("2026-11");
    write_group_report(&repo, &s3, REPORTS, &gid, &november, DEFAULT_PART_SIZE)
        .await
        .expect("first run");
    write(&repo, vec![computer("A1", "pc", json!({"name": "after"}))]).await;
    let again = write_group_report(&repo, &s3, REPORTS, &gid, &november, DEFAULT_PART_SIZE)
        .await
        .expect("second run");
    assert_eq!(again.rows, 1);

    let listed = s3
        .list_objects_v2()
        .bucket(REPORTS)
        .prefix(format!("reports/{gid}/"))
        .send()
        .await
        .expect("list");
    let keys: Vec<&str> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, [format!("reports/{gid}/2026-11.csv")]);
    let (_, rows) = parse(&read_object(&s3, &report_key(&gid, &november)).await);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][3], "after");
}

#[tokio::test]
async fn a_report_larger_than_a_part_is_multipart_and_parses() {
    let (_standins, repo, s3) = start().await;
    let gid = GroupId::new();
    // 10 members x 1,000 computers (an account's limit, one page each)
    // with long names (the table does not check them): about 7 MB of rows,
    // so two parts of 5 MiB.
    let members = 10;
    let computers = 1_000;
    let long_name = "n".repeat(500);
    let long_os = "o".repeat(100);
    let mut items = Vec::new();
    for m in 0..members {
        let aid = format!("M{m:03}");
        items.push(member(&gid, &aid, &format!("m{m}@initech.com"), "us-east"));
        for c in 0..computers {
            items.push(computer(
                &aid,
                &format!("pc{c:04}"),
                json!({"name": format!("{long_name}{c}"), "os": long_os,
                       "clientVersion": "v".repeat(40)}),
            ));
        }
        items.push(bucket(&aid, &format!("bucket-{m:03}"), m as u64));
    }
    write(&repo, items).await;

    // The caller is told the upload's id once, when it starts (the build
    // job notes it on the report, so a retry can abort a crashed build's).
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = told.clone();
    let on_started: shared::report::OnUploadStarted<'_> = Box::new(move |id| {
        Box::pin(async move {
            sink.lock().expect("lock").push(id);
            Ok(())
        })
    });
    let written = shared::report::write_group_report_noting(
        &repo,
        &s3,
        REPORTS,
        &gid,
        &period("2026-12"),
        MIN_PART_SIZE,
        Some(on_started),
    )
    .await
    .expect("report");
    assert_eq!(written.rows, (members * (computers + 1)) as u64);
    assert!(written.parts >= 2, "{written:?}");
    let told = told.lock().expect("lock").clone();
    assert_eq!(told.len(), 1, "told once: {told:?}");
    assert!(!told[0].is_empty());
    assert!(written.bytes > MIN_PART_SIZE as u64, "{written:?}");

    let bytes = read_object(&s3, &report_key(&gid, &period("2026-12"))).await;
    assert_eq!(bytes.len() as u64, written.bytes);
    let (header, rows) = parse(&bytes);
    assert_eq!(header, COLUMNS);
    assert_eq!(rows.len(), members * (computers + 1));
    // In order, none lost or repeated at the parts' seams.
    for m in 0..members {
        let base = m * (computers + 1);
        for c in 0..computers {
            let r = &rows[base + c];
            assert_eq!(r[0], "computer");
            assert_eq!(r[1], format!("m{m}@initech.com"));
            assert_eq!(r[3], format!("{long_name}{c}"));
        }
        let b = &rows[base + computers];
        assert_eq!(
            (b[0].as_str(), b[11].as_str()),
            ("bucket", &*format!("bucket-{m:03}"))
        );
    }
}

#[tokio::test]
async fn an_empty_group_yields_the_header_alone() {
    let (_standins, repo, s3) = start().await;
    let gid = GroupId::new();
    let written = write_group_report(
        &repo,
        &s3,
        REPORTS,
        &gid,
        &period("2026-W01"),
        DEFAULT_PART_SIZE,
    )
    .await
    .expect("report");
    assert_eq!(written.rows, 0);
    assert_eq!(written.parts, 1);
    let bytes = read_object(&s3, &report_key(&gid, &period("2026-W01"))).await;
    assert_eq!(bytes, format!("{}\r\n", COLUMNS.join(",")).into_bytes());
}

#[tokio::test]
async fn a_part_size_outside_s3s_limits_is_refused_before_anything() {
    let (_standins, repo, s3) = start().await;
    let gid = GroupId::new();
    let refused = write_group_report(
        &repo,
        &s3,
        REPORTS,
        &gid,
        &period("2026-11"),
        MIN_PART_SIZE - 1,
    )
    .await;
    assert!(
        matches!(refused, Err(ReportError::PartSize { .. })),
        "{refused:?}"
    );
    let listed = s3
        .list_objects_v2()
        .bucket(REPORTS)
        .send()
        .await
        .expect("list");
    assert!(listed.contents().is_empty());
}

/// One member whose 1,000 computers' rows (6 KB names) fill more than a
/// part of 5 MiB.
async fn seed_big_member(repo: &Repository, gid: &GroupId) {
    let mut items = vec![member(gid, "A1", "ana@initech.com", "us-west")];
    for c in 0..1_000 {
        items.push(computer(
            "A1",
            &format!("pc{c:04}"),
            json!({"name": "n".repeat(6_000)}),
        ));
    }
    write(repo, items).await;
}

#[tokio::test]
async fn a_failed_part_aborts_the_upload() {
    use aws_sdk_s3::operation::abort_multipart_upload::AbortMultipartUploadOutput;
    use aws_sdk_s3::operation::create_multipart_upload::CreateMultipartUploadOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    let (_standins, repo, _) = start().await;
    let gid = GroupId::new();
    seed_big_member(&repo, &gid).await;
    let create = mock!(Client::create_multipart_upload).then_output(|| {
        CreateMultipartUploadOutput::builder()
            .upload_id("upload-1")
            .build()
    });
    let part = mock!(Client::upload_part)
        .sequence()
        .http_status(403, None)
        .repeatedly()
        .build();
    let abort = mock!(Client::abort_multipart_upload)
        .match_requests(|r| r.upload_id() == Some("upload-1"))
        .then_output(|| AbortMultipartUploadOutput::builder().build());
    let complete = mock!(Client::complete_multipart_upload).then_http_response(|| {
        panic!("a failed upload must not complete");
    });
    let s3 = mock_client!(
        aws_sdk_s3,
        RuleMode::MatchAny,
        [&create, &part, &abort, &complete]
    );

    let failed =
        write_group_report(&repo, &s3, REPORTS, &gid, &period("2026-11"), MIN_PART_SIZE).await;
    assert!(matches!(failed, Err(ReportError::Upload(_))), "{failed:?}");
    assert_eq!(create.num_calls(), 1);
    assert_eq!(part.num_calls(), 1);
    assert_eq!(abort.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_put_is_an_error() {
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    let (_standins, repo, _) = start().await;
    let gid = GroupId::new();
    write(
        &repo,
        vec![
            member(&gid, "A1", "ana@initech.com", "us-west"),
            computer("A1", "pc", json!({})),
        ],
    )
    .await;
    let put = mock!(Client::put_object)
        .sequence()
        .http_status(403, None)
        .repeatedly()
        .build();
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&put]);
    let failed = write_group_report(
        &repo,
        &s3,
        REPORTS,
        &gid,
        &period("2026-11"),
        DEFAULT_PART_SIZE,
    )
    .await;
    assert!(matches!(failed, Err(ReportError::Put { .. })), "{failed:?}");
    assert_eq!(put.num_calls(), 1);
}

#[test]
fn the_report_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .build();
    let s3 = Client::from_conf(config);
    let dynamo = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
            .build(),
    );
    let repo = Repository::new(dynamo, "groups");
    let gid = GroupId::new();
    let period = period("2026-11");
    let future = write_group_report(&repo, &s3, REPORTS, &gid, &period, DEFAULT_PART_SIZE);
    assert_send(&future);
}
