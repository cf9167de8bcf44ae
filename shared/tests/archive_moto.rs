//! The snapshot builder against moto's S3, a second opinion on what s3s-fs
//! cannot say (DESIGN §8): moto lists multipart uploads, answers
//! `NoSuchUpload` as S3 does, and completes uploads whose parts carry the
//! SDK's default checksums. Every test uses its own buckets, so tests share
//! one moto and run in parallel.
//!
//! Needs `MOTO_ENDPOINT` (`./scripts/moto start` prints it; `scripts/test`
//! sets it). Without it these tests fail: they are never skipped.

use std::io::{Cursor, Read};

use aws_config::BehaviorVersion;
use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use shared::archive::{ArchiveError, MIN_PART_SIZE, abort_upload, expand, write_zip};

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    }
}

/// An S3 client on moto (path-style: moto is at 127.0.0.1), with a source
/// and a destination bucket of its own.
async fn s3_with_buckets() -> (Client, String, String) {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(moto_endpoint())
        .region("us-east-1")
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let s3 = Client::from_conf(
        aws_sdk_s3::config::Builder::from(&config)
            .force_path_style(true)
            .build(),
    );
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (source, dest) = (format!("data-{id}"), format!("snapshots-{id}"));
    for bucket in [&source, &dest] {
        s3.create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create bucket");
    }
    (s3, source, dest)
}

async fn put(s3: &Client, bucket: &str, key: &str, bytes: Vec<u8>) {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .unwrap_or_else(|e| panic!("put {key}: {e}"));
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn no_record(_: String) -> std::future::Ready<Result<(), std::io::Error>> {
    std::future::ready(Ok(()))
}

async fn uploads_in_progress(s3: &Client, bucket: &str) -> usize {
    s3.list_multipart_uploads()
        .bucket(bucket)
        .send()
        .await
        .expect("list uploads")
        .uploads()
        .len()
}

#[tokio::test]
async fn on_moto_a_multipart_archive_completes_and_reads_back() {
    let (s3, source, dest) = s3_with_buckets().await;
    let big = pattern(11 * 1024 * 1024);
    put(&s3, &source, "m/a/big.bin", big.clone()).await;
    put(&s3, &source, "m/a/ü.txt", b"hi".to_vec()).await;
    let entries = expand(&s3, &source, "m/", &["m/a/".to_owned()])
        .await
        .expect("expand");

    let written = write_zip(
        &s3,
        &source,
        &entries,
        &dest,
        "s.zip",
        MIN_PART_SIZE,
        no_record,
    )
    .await
    .expect("write");

    assert_eq!((written.files, written.parts), (2, 3));
    assert_eq!(uploads_in_progress(&s3, &dest).await, 0);
    let archive = s3
        .get_object()
        .bucket(&dest)
        .key("s.zip")
        .send()
        .await
        .expect("get")
        .body
        .collect()
        .await
        .expect("body")
        .to_vec();
    assert_eq!(archive.len() as u64, written.bytes);
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).expect("a valid zip");
    let mut read = Vec::new();
    zip.by_name("a/big.bin")
        .expect("big")
        .read_to_end(&mut read)
        .expect("read");
    assert!(read == big, "bytes differ");
}

#[tokio::test]
async fn on_moto_a_vanished_object_leaves_no_multipart_upload_and_a_second_abort_is_fine() {
    let (s3, source, dest) = s3_with_buckets().await;
    put(&s3, &source, "m/big.bin", pattern(6 * 1024 * 1024)).await;
    put(&s3, &source, "m/gone.txt", b"soon deleted".to_vec()).await;
    let entries = expand(&s3, &source, "m/", &["m/".to_owned()])
        .await
        .expect("expand");
    s3.delete_object()
        .bucket(&source)
        .key("m/gone.txt")
        .send()
        .await
        .expect("delete");
    let upload_id = std::sync::Arc::new(std::sync::Mutex::new(None));
    let keep = upload_id.clone();

    let result = write_zip(
        &s3,
        &source,
        &entries,
        &dest,
        "s.zip",
        MIN_PART_SIZE,
        move |id| {
            *keep.lock().expect("lock") = Some(id);
            std::future::ready(Ok::<(), std::io::Error>(()))
        },
    )
    .await;

    assert!(
        matches!(&result, Err(ArchiveError::Vanished { key }) if key == "m/gone.txt"),
        "{result:?}"
    );
    assert_eq!(
        uploads_in_progress(&s3, &dest).await,
        0,
        "the upload was aborted"
    );
    let upload_id = upload_id.lock().expect("lock").clone().expect("started");
    abort_upload(&s3, &dest, "s.zip", &upload_id)
        .await
        .expect("aborting again is fine (NoSuchUpload)");
}
