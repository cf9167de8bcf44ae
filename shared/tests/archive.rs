//! The snapshot builder on the embedded S3 (s3s-fs): selections expanded
//! from listings, archives read back with a zip reader, failures that leave
//! no upload behind.

use std::future::Ready;
use std::io::{Cursor, Read};
use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use shared::archive::{
    ArchiveError, Entry, MIN_PART_SIZE, Written, abort_upload, expand, write_zip,
};
use standins::{Names, StandIns, Storage};

const DATA: &str = "member-data";
const SNAPSHOTS: &str = "groups-snapshots";
const ROOT: &str = "members/A1/files/";

async fn start() -> (StandIns, Client) {
    let names = Names {
        buckets: vec![DATA.into(), SNAPSHOTS.into()],
        ..Names::default()
    };
    let standins = StandIns::start(Storage::Memory, names)
        .await
        .expect("stand-ins");
    let s3 = standins.s3();
    (standins, s3)
}

async fn put(s3: &Client, key: &str, bytes: Vec<u8>) {
    s3.put_object()
        .bucket(DATA)
        .key(key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e}"));
}

/// Bytes that differ from part to part, so a misplaced part shows.
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn selection(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Where a [`recorder`] keeps the upload id it was given.
type Seen = Arc<Mutex<Option<String>>>;

/// An `on_started` that keeps the upload id it is given.
fn recorder() -> (
    Seen,
    impl FnOnce(String) -> Ready<Result<(), std::io::Error>>,
) {
    let seen = Seen::default();
    let keep = seen.clone();
    (seen, move |id| {
        *keep.lock().expect("lock") = Some(id);
        std::future::ready(Ok(()))
    })
}

async fn read_object(s3: &Client, bucket: &str, key: &str) -> Vec<u8> {
    s3.get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get")
        .body
        .collect()
        .await
        .expect("body")
        .to_vec()
}

#[tokio::test]
async fn a_nested_selection_becomes_a_zip_whose_entries_match_the_sources() {
    let (_standins, s3) = start().await;
    let sources = [
        ("a/b/c.txt", b"the quick brown fox\n".to_vec()),
        ("a/d.bin", pseudo_random(12 * 1024 * 1024 + 333)),
        ("a/empty", Vec::new()),
        ("a/résumé – 履歴書.txt", "non-ASCII ✓".as_bytes().to_vec()),
    ];
    for (path, bytes) in &sources {
        put(&s3, &format!("{ROOT}{path}"), bytes.clone()).await;
    }
    put(&s3, "members/A2/files/a/secret.txt", b"not yours".to_vec()).await;
    let (upload_id, on_started) = recorder();

    let entries = expand(&s3, DATA, ROOT, &selection(&[&format!("{ROOT}a/")]))
        .await
        .expect("expand");
    let written = write_zip(
        &s3,
        DATA,
        &entries,
        SNAPSHOTS,
        "snapshots/s1.zip",
        MIN_PART_SIZE,
        on_started,
    )
    .await
    .expect("write");

    let archive = read_object(&s3, SNAPSHOTS, "snapshots/s1.zip").await;
    assert_eq!(
        written,
        Written {
            bytes: archive.len() as u64,
            files: 4,
            parts: 3,
        },
        "12 MiB in parts of 5 MiB"
    );
    assert!(upload_id.lock().expect("lock").is_some(), "on_started ran");
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).expect("a valid zip");
    let mut names: Vec<String> = zip
        .file_names()
        .map(|n| n.expect("a UTF-8 name").into_owned())
        .collect();
    names.sort_unstable();
    let mut expected: Vec<&str> = sources.iter().map(|(p, _)| *p).collect();
    expected.sort_unstable();
    assert_eq!(names, expected);
    let this_year = time::OffsetDateTime::now_utc().year();
    for (path, bytes) in &sources {
        let mut file = zip.by_name(path).expect(path);
        assert_eq!(file.compression(), zip::CompressionMethod::Stored, "{path}");
        assert_eq!(
            file.last_modified().map(|t| i32::from(t.year())),
            Some(this_year),
            "{path} is dated by LastModified"
        );
        let mut read = Vec::new();
        file.read_to_end(&mut read).expect("read, CRC checked");
        assert!(read == *bytes, "{path}: bytes differ");
    }
}

#[tokio::test]
async fn an_object_that_vanished_fails_the_snapshot_and_leaves_no_upload() {
    let (_standins, s3) = start().await;
    put(
        &s3,
        &format!("{ROOT}big.bin"),
        pseudo_random(6 * 1024 * 1024),
    )
    .await;
    put(&s3, &format!("{ROOT}gone.txt"), b"soon deleted".to_vec()).await;
    let entries = expand(&s3, DATA, ROOT, &selection(&[ROOT]))
        .await
        .expect("expand");
    s3.delete_object()
        .bucket(DATA)
        .key(format!("{ROOT}gone.txt"))
        .send()
        .await
        .expect("delete");
    let (upload_id, on_started) = recorder();

    let result = write_zip(
        &s3,
        DATA,
        &entries,
        SNAPSHOTS,
        "snapshots/s2.zip",
        MIN_PART_SIZE,
        on_started,
    )
    .await;

    match result {
        Err(ArchiveError::Vanished { key }) => assert_eq!(key, format!("{ROOT}gone.txt")),
        other => panic!("expected Vanished, got {other:?}"),
    }
    let upload_id = upload_id
        .lock()
        .expect("lock")
        .clone()
        .expect("upload started");
    // s3s-fs has no ListMultipartUploads; an aborted upload is one that
    // takes no more parts and has none listed.
    let late_part = s3
        .upload_part()
        .bucket(SNAPSHOTS)
        .key("snapshots/s2.zip")
        .upload_id(&upload_id)
        .part_number(2)
        .body(ByteStream::from(b"late".to_vec()))
        .send()
        .await;
    assert!(late_part.is_err(), "the upload was aborted");
    let parts = s3
        .list_parts()
        .bucket(SNAPSHOTS)
        .key("snapshots/s2.zip")
        .upload_id(&upload_id)
        .send()
        .await;
    assert!(
        parts.map_or(true, |p| p.parts().is_empty()),
        "no part is kept"
    );
    let head = s3
        .head_object()
        .bucket(SNAPSHOTS)
        .key("snapshots/s2.zip")
        .send()
        .await;
    assert!(head.is_err(), "no archive was written");
}

#[tokio::test]
async fn an_empty_selection_is_refused_before_any_upload_starts() {
    let (_standins, s3) = start().await;
    let (upload_id, on_started) = recorder();

    let result = write_zip(
        &s3,
        DATA,
        &[],
        SNAPSHOTS,
        "snapshots/s3.zip",
        MIN_PART_SIZE,
        on_started,
    )
    .await;

    assert!(matches!(result, Err(ArchiveError::Empty)), "{result:?}");
    assert!(
        upload_id.lock().expect("lock").is_none(),
        "no upload started"
    );
}

#[tokio::test]
async fn a_part_size_s3_would_refuse_is_refused_before_any_upload_starts() {
    let (_standins, s3) = start().await;
    let entries = [Entry {
        key: format!("{ROOT}x"),
        path: "x".into(),
    }];
    let (upload_id, on_started) = recorder();

    let result = write_zip(
        &s3,
        DATA,
        &entries,
        SNAPSHOTS,
        "snapshots/s4.zip",
        MIN_PART_SIZE - 1,
        on_started,
    )
    .await;

    assert!(
        matches!(result, Err(ArchiveError::PartSize { .. })),
        "{result:?}"
    );
    assert!(
        upload_id.lock().expect("lock").is_none(),
        "no upload started"
    );
}

#[tokio::test]
async fn an_upload_the_caller_cannot_record_is_aborted() {
    let (_standins, s3) = start().await;
    put(&s3, &format!("{ROOT}x.txt"), b"x".to_vec()).await;
    let entries = expand(&s3, DATA, ROOT, &selection(&[ROOT]))
        .await
        .expect("expand");
    let seen = Seen::default();
    let keep = seen.clone();

    let result = write_zip(
        &s3,
        DATA,
        &entries,
        SNAPSHOTS,
        "snapshots/s5.zip",
        MIN_PART_SIZE,
        move |id| {
            *keep.lock().expect("lock") = Some(id);
            std::future::ready(Err(std::io::Error::other("table unavailable")))
        },
    )
    .await;

    assert!(matches!(result, Err(ArchiveError::Record(_))), "{result:?}");
    let upload_id = seen.lock().expect("lock").clone().expect("upload started");
    let late_part = s3
        .upload_part()
        .bucket(SNAPSHOTS)
        .key("snapshots/s5.zip")
        .upload_id(&upload_id)
        .part_number(1)
        .body(ByteStream::from(b"late".to_vec()))
        .send()
        .await;
    assert!(late_part.is_err(), "the upload was aborted");
}

#[tokio::test]
async fn expand_takes_folders_recursively_and_single_files_and_nothing_outside_the_root() {
    let (_standins, s3) = start().await;
    for key in [
        "members/A1/files/a/b/c.txt",
        "members/A1/files/a/d.bin",
        "members/A1/files/ab.txt",
        "members/A1/files/x.txt",
        "members/A1/files/y.txt",
        "members/A2/files/a/c.txt",
        "members/A1/filesx/z.txt",
    ] {
        put(&s3, key, key.as_bytes().to_vec()).await;
    }

    let entries = expand(
        &s3,
        DATA,
        "members/A1/files",
        &selection(&[
            "members/A1/files/x.txt",
            "members/A1/files/a",
            "members/A1/files/a/d.bin",
            "members/A2/files/a/",
            "members/A1/filesx/z.txt",
            "members/A1/files/missing.txt",
        ]),
    )
    .await
    .expect("expand");

    let found: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.key.as_str(), e.path.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            ("members/A1/files/a/b/c.txt", "a/b/c.txt"),
            ("members/A1/files/a/d.bin", "a/d.bin"),
            ("members/A1/files/x.txt", "x.txt"),
        ],
        "`a` is the folder, not `ab.txt`; overlaps count once; other roots are ignored"
    );
}

#[tokio::test]
async fn expand_reads_every_page_of_a_large_folder() {
    let (_standins, s3) = start().await;
    for i in 0..1_050 {
        put(&s3, &format!("{ROOT}many/{i:04}.txt"), Vec::new()).await;
    }

    let entries = expand(&s3, DATA, ROOT, &selection(&[ROOT]))
        .await
        .expect("expand");

    assert_eq!(entries.len(), 1_050, "more than one page of 1,000");
    assert_eq!(entries[1_049].path, "many/1049.txt");
}

#[tokio::test]
async fn expand_refuses_a_key_that_would_climb_out_of_the_unzipped_folder() {
    let (_standins, s3) = start().await;
    put(&s3, &format!("{ROOT}a/..\\..\\evil.txt"), b"x".to_vec()).await;

    let result = expand(&s3, DATA, ROOT, &selection(&[ROOT])).await;

    assert!(
        matches!(&result, Err(ArchiveError::UnsafePath { key }) if key.ends_with("evil.txt")),
        "{result:?}"
    );
}

#[tokio::test]
async fn aborting_an_upload_s3_no_longer_has_succeeds() {
    use aws_sdk_s3::operation::abort_multipart_upload::AbortMultipartUploadError;
    use aws_sdk_s3::types::error::NoSuchUpload;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    let gone = mock!(Client::abort_multipart_upload)
        .then_error(|| AbortMultipartUploadError::NoSuchUpload(NoSuchUpload::builder().build()));
    let s3 = mock_client!(aws_sdk_s3, RuleMode::MatchAny, [&gone]);

    abort_upload(&s3, SNAPSHOTS, "snapshots/s6.zip", "upload-1")
        .await
        .expect("an upload already gone is aborted");
    assert_eq!(gone.num_calls(), 1);
}

#[test]
fn the_write_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .build();
    let s3 = Client::from_conf(config);
    let (_, on_started) = recorder();
    let future = write_zip(&s3, DATA, &[], SNAPSHOTS, "k", MIN_PART_SIZE, on_started);
    assert_send(&future);
}
