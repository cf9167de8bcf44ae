//! Managed access end to end through the local gateway and the embedded S3:
//! a member's uploads (presigned PUT, confirmation, counters), browsing by
//! an admin, snapshots built into real zips and downloaded through expiring
//! URLs, USB orders, the one access rule over every new route, and the
//! audit log that records each action for the admins and the member.

use std::io::Read;

use e2e::{Reply, TestApp, spawn_app};
use serde_json::{Value, json};

/// alice's managed group with ana (who accepted managed access) and bob.
struct Setup {
    gid: String,
    alice: String,
    ana: String,
    ana_id: String,
    bob: String,
}

async fn managed_group(app: &TestApp) -> Setup {
    let (gid, alice) = app
        .group_with_members(
            true,
            &["ana@initech.com".to_owned(), "bob@initech.com".to_owned()],
        )
        .await;
    Setup {
        gid,
        alice,
        ana: app.token("ana@initech.com"),
        ana_id: local::auth::local_subject("ana@initech.com"),
        bob: app.token("bob@initech.com"),
    }
}

fn ok(reply: Reply, status: u16, what: &str) -> Value {
    assert_eq!(reply.status, status, "{what}: {reply:?}");
    reply.body
}

async fn bucket_with_files(app: &TestApp, token: &str, files: &[(&str, &[u8])]) {
    ok(
        app.post("/me/buckets", token, json!({"name": "ana-files"}))
            .await,
        201,
        "create bucket",
    );
    for (path, bytes) in files {
        ok(app.upload(token, "ana-files", path, bytes).await, 200, path);
    }
}

/// Bytes that differ from file to file (so a mix-up shows).
fn content(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_add((i % 251) as u8))
        .collect()
}

#[tokio::test]
async fn a_member_uploads_and_an_admin_browses_folders_with_every_look_logged() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    let report = content(1, 3000);
    let photo = content(2, 70_000);
    bucket_with_files(
        &app,
        &s.ana,
        &[
            ("docs/2026/report.pdf", &report),
            ("docs/notes.txt", b"hello"),
            ("photos/beach.jpg", &photo),
            ("top.txt", b""),
        ],
    )
    .await;

    // The counters follow the confirmed files.
    let buckets = ok(app.get("/me/buckets", &s.ana).await, 200, "my buckets");
    let total = (report.len() + 5 + photo.len()) as u64;
    assert_eq!(buckets["buckets"][0]["storedBytes"], total);
    assert_eq!(buckets["buckets"][0]["fileCount"], 4);
    let synopsis = ok(
        app.get(&format!("/groups/{}/synopsis", s.gid), &s.alice)
            .await,
        200,
        "synopsis",
    );
    assert_eq!(synopsis["storedBytes"], total);

    // The member lists her own folders.
    let top = ok(
        app.get("/me/buckets/ana-files/files", &s.ana).await,
        200,
        "my top folder",
    );
    assert_eq!(top["folders"], json!(["docs/", "photos/"]));
    assert_eq!(top["files"][0]["path"], "top.txt");

    // The admin browses hers, folder by folder, a page at a time.
    let members = format!("/groups/{}/members/{}", s.gid, s.ana_id);
    let listed = ok(
        app.get(&format!("{members}/buckets"), &s.alice).await,
        200,
        "member buckets",
    );
    assert_eq!(listed["buckets"][0]["name"], "ana-files");
    let docs = ok(
        app.get(
            &format!("{members}/buckets/ana-files/files?prefix=docs/&limit=1"),
            &s.alice,
        )
        .await,
        200,
        "docs, first page",
    );
    let next = docs["nextToken"].as_str().expect("a second page");
    let rest = ok(
        app.call(
            "GET",
            &format!("{members}/buckets/ana-files/files?prefix=docs/&nextToken={next}"),
            Some(&s.alice),
            None,
            &[("user-agent", "groups-admin-console/2.1")],
        )
        .await,
        200,
        "docs, second page",
    );
    let mut seen: Vec<Value> = Vec::new();
    for page in [&docs, &rest] {
        seen.extend(page["folders"].as_array().into_iter().flatten().cloned());
        seen.extend(
            page["files"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| json!([f["path"], f["size"]])),
        );
    }
    assert_eq!(seen, [json!("docs/2026/"), json!(["docs/notes.txt", 5])]);
    let forged = app
        .get(
            &format!("{members}/buckets/ana-files/files?prefix=photos/&nextToken={next}"),
            &s.alice,
        )
        .await;
    assert_eq!(
        forged.status, 400,
        "a token is good only for its folder: {forged:?}"
    );

    // Every look is in the audit log, for the admins and for the member.
    let log = ok(
        app.get(&format!("/groups/{}/audit", s.gid), &s.alice).await,
        200,
        "group audit",
    );
    let kinds: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        ["filesBrowsed", "filesBrowsed", "bucketsBrowsed"],
        "newest first"
    );
    let entry = &log["entries"][0];
    assert_eq!(entry["actorEmail"], "alice@initech.com");
    assert_eq!(entry["subject"], s.ana_id.as_str());
    assert_eq!(entry["sourceIp"], "127.0.0.1");
    assert_eq!(entry["userAgent"], "groups-admin-console/2.1");
    let mine = ok(app.get("/me/audit", &s.ana).await, 200, "my audit");
    assert_eq!(mine["entries"].as_array().map(Vec::len), Some(3));
    let bobs = ok(app.get("/me/audit", &s.bob).await, 200, "bob's audit");
    assert_eq!(bobs["entries"], json!([]), "nothing was done to bob");
    let paged = ok(app.get("/me/audit?limit=2", &s.ana).await, 200, "page");
    let token = paged["nextToken"].as_str().expect("more");
    let last = ok(
        app.get(&format!("/me/audit?limit=2&nextToken={token}"), &s.ana)
            .await,
        200,
        "last page",
    );
    assert_eq!(last["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        app.get(&format!("/groups/{}/audit", s.gid), &s.bob)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn uploads_refuse_bad_paths_missing_bytes_and_count_overwrites_and_deletes_once() {
    let app = spawn_app().await;
    let ana = app.token("ana@initech.com");
    ok(
        app.post("/me/buckets", &ana, json!({"name": "ana-files"}))
            .await,
        201,
        "bucket",
    );
    let long_name = "n".repeat(1000);
    for bad in [
        "",
        "../etc/passwd",
        "a/../b",
        "/abs",
        "a//b",
        long_name.as_str(),
        "tab\tname",
    ] {
        let refused = app
            .post(
                "/me/buckets/ana-files/uploads",
                &ana,
                json!({"path": bad, "size": 1}),
            )
            .await;
        assert_eq!(refused.status, 400, "{bad:?}: {refused:?}");
        assert_eq!(refused.body["errors"][0]["field"], "path");
    }
    let too_big = app
        .post(
            "/me/buckets/ana-files/uploads",
            &ana,
            json!({"path": "big.iso", "size": 6u64 * 1024 * 1024 * 1024}),
        )
        .await;
    assert_eq!(too_big.status, 400, "{too_big:?}");
    let no_bucket = app
        .post(
            "/me/buckets/nobody-here/uploads",
            &ana,
            json!({"path": "a", "size": 1}),
        )
        .await;
    assert_eq!(no_bucket.status, 404, "{no_bucket:?}");

    // Confirming before the bytes arrive counts nothing.
    let early = app
        .post(
            "/me/buckets/ana-files/uploads",
            &ana,
            json!({"path": "a.txt", "size": 3}),
        )
        .await;
    let id = early.body["uploadId"].as_str().expect("id").to_owned();
    let premature = app
        .post(
            &format!("/me/buckets/ana-files/uploads/{id}/complete"),
            &ana,
            json!({}),
        )
        .await;
    assert_eq!(premature.status, 409, "{premature:?}");
    assert_eq!(premature.body["type"], "/problems/upload-incomplete");
    // A body of another size than signed is refused by S3 itself.
    let mut unsigned_length = early.body["upload"].clone();
    if let Some(headers) = unsigned_length["headers"].as_object_mut() {
        headers.remove("content-length");
    }
    let wrong = app.put_presigned(&unsigned_length, b"four".to_vec()).await;
    assert!(
        !wrong.is_success(),
        "S3 took a body of another size: {wrong} {}",
        early.body["upload"]
    );
    assert_eq!(
        app.put_presigned(&early.body["upload"], b"abc".to_vec())
            .await
            .as_u16(),
        200
    );
    ok(
        app.post(
            &format!("/me/buckets/ana-files/uploads/{id}/complete"),
            &ana,
            json!({}),
        )
        .await,
        200,
        "confirmed",
    );
    let again = app
        .post(
            &format!("/me/buckets/ana-files/uploads/{id}/complete"),
            &ana,
            json!({}),
        )
        .await;
    assert_eq!(again.status, 404, "an upload is confirmed once: {again:?}");

    // Overwriting counts the difference; deleting subtracts.
    ok(
        app.upload(&ana, "ana-files", "a.txt", b"abcdefgh").await,
        200,
        "overwrite",
    );
    let bucket = ok(app.get("/me/buckets", &ana).await, 200, "buckets");
    assert_eq!(bucket["buckets"][0]["storedBytes"], 8);
    assert_eq!(bucket["buckets"][0]["fileCount"], 1);
    assert_eq!(
        app.delete("/me/buckets/ana-files/files?path=a.txt", &ana)
            .await
            .status,
        204
    );
    assert_eq!(
        app.delete("/me/buckets/ana-files/files?path=a.txt", &ana)
            .await
            .status,
        404
    );
    let bucket = ok(app.get("/me/buckets", &ana).await, 200, "buckets");
    assert_eq!(bucket["buckets"][0]["storedBytes"], 0);
    assert_eq!(bucket["buckets"][0]["fileCount"], 0);
    let listing = ok(
        app.get("/me/buckets/ana-files/files", &ana).await,
        200,
        "listing",
    );
    assert_eq!(listing["files"], json!([]), "the object left S3 too");
    assert_eq!(app.delete("/me/buckets/ana-files", &ana).await.status, 204);
}

#[tokio::test]
async fn a_snapshot_of_nested_folders_is_a_zip_of_the_same_bytes_downloadable_until_it_expires() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    let big = content(7, 6 * 1024 * 1024 + 123);
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("projects/alpha/plan.md", b"# Plan\n".to_vec()),
        ("projects/alpha/data/big.bin", big),
        ("projects/beta/ünïcode ファイル.txt", content(3, 10_000)),
        ("projects/empty.txt", Vec::new()),
        ("outside/skip.txt", b"not chosen".to_vec()),
        ("single.txt", b"one file".to_vec()),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (*p, b.as_slice())).collect();
    bucket_with_files(&app, &s.ana, &refs).await;
    let snapshots = format!("/groups/{}/members/{}/snapshots", s.gid, s.ana_id);

    let created = ok(
        app.post(
            &snapshots,
            &s.alice,
            json!({"bucket": "ana-files", "paths": ["projects/", "single.txt"]}),
        )
        .await,
        202,
        "snapshot asked",
    );
    assert_eq!(created["state"], "pending");
    assert!(
        created["name"]
            .as_str()
            .expect("name")
            .starts_with("ana-files ")
    );
    let sid = created["id"].as_str().expect("id").to_owned();
    let not_yet = app
        .post(&format!("{snapshots}/{sid}/download"), &s.alice, json!({}))
        .await;
    assert_eq!(not_yet.status, 409, "{not_yet:?}");
    assert_eq!(not_yet.body["type"], "/problems/snapshot-not-ready");

    app.run_jobs().await;
    let ready = ok(
        app.get(&format!("{snapshots}/{sid}"), &s.alice).await,
        200,
        "ready",
    );
    assert_eq!(ready["state"], "ready", "{ready}");
    assert_eq!(ready["fileCount"], 5);

    let link = ok(
        app.post(&format!("{snapshots}/{sid}/download"), &s.alice, json!({}))
            .await,
        200,
        "download link",
    );
    assert_eq!(link["method"], "GET");
    let zip_bytes = app
        .http
        .get(link["url"].as_str().expect("url"))
        .send()
        .await
        .expect("S3 answers")
        .bytes()
        .await
        .expect("zip body");
    assert_eq!(ready["sizeBytes"], zip_bytes.len() as u64);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).expect("a valid zip");
    let mut found: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).expect("entry");
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("entry bytes");
        found.push((entry.name().expect("a UTF-8 name").into_owned(), bytes));
    }
    found.sort();
    let mut expected: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(p, _)| !p.starts_with("outside/"))
        .map(|(p, b)| ((*p).to_owned(), b.clone()))
        .collect();
    expected.sort();
    assert_eq!(
        found
            .iter()
            .map(|(n, b)| (n.as_str(), b.len()))
            .collect::<Vec<_>>(),
        expected
            .iter()
            .map(|(n, b)| (n.as_str(), b.len()))
            .collect::<Vec<_>>()
    );
    assert!(found == expected, "the zip's bytes differ from the sources");

    // A link made two hours ago (with a 15-minute life) no longer works.
    app.clock.advance(time::Duration::hours(-2));
    let stale = ok(
        app.post(&format!("{snapshots}/{sid}/download"), &s.alice, json!({}))
            .await,
        200,
        "an old link",
    );
    app.clock.advance(time::Duration::hours(2));
    let expired = app
        .http
        .get(stale["url"].as_str().expect("url"))
        .send()
        .await
        .expect("S3 answers");
    assert_eq!(expired.status().as_u16(), 403, "an expired link is refused");

    // The member sees it; the log has the request and both downloads.
    let mine = ok(app.get("/me/snapshots", &s.ana).await, 200, "my snapshots");
    assert_eq!(mine["items"][0]["id"], sid.as_str());
    let log = ok(app.get("/me/audit", &s.ana).await, 200, "my audit");
    let kinds: Vec<&str> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"]["kind"].as_str())
        .collect();
    // Newest first: the link made "two hours ago" sorts last.
    assert_eq!(
        kinds,
        [
            "snapshotDownloaded",
            "snapshotRequested",
            "snapshotDownloaded"
        ]
    );
}

#[tokio::test]
async fn snapshots_refuse_bad_selections_and_fail_when_their_files_are_gone() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    bucket_with_files(&app, &s.ana, &[("a/one.txt", b"1"), ("b.txt", b"2")]).await;
    let snapshots = format!("/groups/{}/members/{}/snapshots", s.gid, s.ana_id);
    let long = "x".repeat(101);
    for (body, field) in [
        (json!({"bucket": "ana-files", "paths": []}), "paths"),
        (
            json!({"bucket": "ana-files", "paths": ["../b.txt"]}),
            "paths[0]",
        ),
        (json!({"bucket": "ana-files", "paths": ["/"]}), "paths[0]"),
        (
            json!({"bucket": "ana-files", "paths": ["b.txt"], "name": ""}),
            "name",
        ),
        (
            json!({"bucket": "ana-files", "paths": ["b.txt"], "name": long}),
            "name",
        ),
        (json!({"bucket": "x", "paths": ["b.txt"]}), "bucket"),
    ] {
        let refused = app.post(&snapshots, &s.alice, body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {refused:?}");
        assert_eq!(refused.body["errors"][0]["field"], field, "{body}");
    }
    let no_bucket = app
        .post(
            &snapshots,
            &s.alice,
            json!({"bucket": "not-hers", "paths": ["b.txt"]}),
        )
        .await;
    assert_eq!(no_bucket.status, 404, "{no_bucket:?}");

    // Chosen files deleted before the build: Failed, with the reason.
    let doomed = ok(
        app.post(
            &snapshots,
            &s.alice,
            json!({"bucket": "ana-files", "paths": ["a/"], "name": "Doomed"}),
        )
        .await,
        202,
        "snapshot",
    );
    assert_eq!(
        app.delete("/me/buckets/ana-files/files?path=a/one.txt", &s.ana)
            .await
            .status,
        204
    );
    app.run_jobs().await;
    let sid = doomed["id"].as_str().expect("id");
    let failed = ok(
        app.get(&format!("{snapshots}/{sid}"), &s.alice).await,
        200,
        "failed",
    );
    assert_eq!(failed["state"], "failed", "{failed}");
    assert!(
        failed["failure"].as_str().expect("why").contains("exist"),
        "{failed}"
    );
    let refused = app
        .post(&format!("{snapshots}/{sid}/download"), &s.alice, json!({}))
        .await;
    assert_eq!(refused.status, 409, "{refused:?}");
    let order = app
        .post(
            &format!("{snapshots}/{sid}/usb-orders"),
            &s.alice,
            usb_order(),
        )
        .await;
    assert_eq!(
        order.status, 409,
        "a failed snapshot is not shipped: {order:?}"
    );
}

/// The first run of exactly six digits in a message: its code.
fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text:?}"))
        .to_owned()
}

/// Ana's password in the local identity provider.
const PASSWORD: &str = "Correct-Horse-9";

fn usb_order() -> Value {
    json!({
        "address": {"recipient": "Alice Admin", "lines": ["1 Initech Way"], "city": "Austin",
                    "region": "TX", "postalCode": "78701", "country": "US"},
        "paymentReference": "pi_3Nabc"
    })
}

#[tokio::test]
async fn a_ready_snapshot_can_be_ordered_on_a_usb_drive_with_a_valid_address() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    bucket_with_files(&app, &s.ana, &[("b.txt", b"2")]).await;
    let snapshots = format!("/groups/{}/members/{}/snapshots", s.gid, s.ana_id);
    let snap = ok(
        app.post(
            &snapshots,
            &s.alice,
            json!({"bucket": "ana-files", "paths": ["b.txt"]}),
        )
        .await,
        202,
        "snapshot",
    );
    app.run_jobs().await;
    let sid = snap["id"].as_str().expect("id");
    let mut bad = usb_order();
    bad["address"]["country"] = json!("usa");
    bad["address"]["lines"] = json!([]);
    let refused = app
        .post(&format!("{snapshots}/{sid}/usb-orders"), &s.alice, bad)
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    let fields: Vec<&str> = refused.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["address.lines", "address.country"]);
    let order = ok(
        app.post(
            &format!("{snapshots}/{sid}/usb-orders"),
            &s.alice,
            usb_order(),
        )
        .await,
        201,
        "order",
    );
    assert_eq!(order["address"]["city"], "Austin");
    assert_eq!(order["snapshotId"], sid);
    let log = ok(
        app.get(&format!("/groups/{}/audit", s.gid), &s.alice).await,
        200,
        "audit",
    );
    assert_eq!(log["entries"][0]["action"]["kind"], "usbOrdered");
    assert_eq!(log["entries"][0]["action"]["orderId"], order["id"]);
}

/// A call of the matrix: method, path, body, and the admin's status.
type RouteCall = (&'static str, String, Option<Value>, u16);

/// Every managed-access route answers the same 404 to everyone but an admin
/// of the member's managed group: an outsider, the member, a fellow member,
/// an admin of another group, and an admin of an unmanaged group (over a
/// member of their own group) — and nothing is logged for them.
#[tokio::test]
async fn only_an_admin_of_the_members_managed_group_gets_past_the_one_access_rule() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    app.set_password("ana@initech.com", PASSWORD).await;
    bucket_with_files(&app, &s.ana, &[("b.txt", b"2")]).await;
    let snapshots = format!("/groups/{}/members/{}/snapshots", s.gid, s.ana_id);
    let ready = ok(
        app.post(
            &snapshots,
            &s.alice,
            json!({"bucket": "ana-files", "paths": ["b.txt"]}),
        )
        .await,
        202,
        "snapshot",
    );
    app.run_jobs().await;
    let sid = ready["id"].as_str().expect("id").to_owned();

    // carol administers another managed group; dave an unmanaged one with erin.
    let carol = app.token("carol@contoso.com");
    app.create_group(
        &carol,
        json!({"name": "Contoso", "products": ["b2"], "managed": true}),
    )
    .await;
    let dave = app.token("dave@globex.com");
    let unmanaged = app
        .create_group(
            &dave,
            json!({"name": "Globex", "products": ["b2"], "managed": false,
                   "joinPolicy": {"approval": "autoApproveAll"}}),
        )
        .await;
    let link = app
        .post(
            &format!("/groups/{unmanaged}/invite-link"),
            &dave,
            json!({}),
        )
        .await;
    let erin = app.token("erin@globex.com");
    ok(
        app.post(
            &format!(
                "/invitations/{}/join",
                link.body["token"].as_str().expect("token")
            ),
            &erin,
            json!({"region": "us-west"}),
        )
        .await,
        201,
        "erin joins",
    );
    ok(
        app.post("/me/buckets", &erin, json!({"name": "erin-files"}))
            .await,
        201,
        "erin's bucket",
    );
    let erin_id = local::auth::local_subject("erin@globex.com");
    let outsider = app.token("zed@example.org");

    let routes =
        |gid: &str, aid: &str, bucket: &str| -> Vec<(&'static str, String, Option<Value>, u16)> {
            let m = format!("/groups/{gid}/members/{aid}");
            vec![
                ("GET", format!("{m}/buckets"), None, 200),
                ("GET", format!("{m}/buckets/{bucket}/files"), None, 200),
                (
                    "POST",
                    format!("{m}/snapshots"),
                    Some(json!({"bucket": bucket, "paths": ["b.txt"]})),
                    202,
                ),
                ("GET", format!("{m}/snapshots"), None, 200),
                ("GET", format!("{m}/snapshots/{sid}"), None, 200),
                (
                    "POST",
                    format!("{m}/snapshots/{sid}/download"),
                    Some(json!({})),
                    200,
                ),
                (
                    "POST",
                    format!("{m}/snapshots/{sid}/usb-orders"),
                    Some(usb_order()),
                    201,
                ),
            ]
        };
    let before = ok(
        app.get(&format!("/groups/{}/audit", s.gid), &s.alice).await,
        200,
        "log",
    );
    let callers: Vec<(&str, &str, Vec<RouteCall>)> = vec![
        (
            "an outsider",
            &outsider,
            routes(&s.gid, &s.ana_id, "ana-files"),
        ),
        ("the member", &s.ana, routes(&s.gid, &s.ana_id, "ana-files")),
        (
            "a fellow member",
            &s.bob,
            routes(&s.gid, &s.ana_id, "ana-files"),
        ),
        (
            "an admin of another group",
            &carol,
            routes(&s.gid, &s.ana_id, "ana-files"),
        ),
        (
            "an admin of an unmanaged group",
            &dave,
            routes(&unmanaged, &erin_id, "erin-files"),
        ),
    ];
    for (who, token, calls) in &callers {
        for (method, path, body, _) in calls {
            let reply = app
                .call(method, path, Some(token), body.as_ref(), &[])
                .await;
            assert_eq!(reply.status, 404, "{who}: {method} {path}: {reply:?}");
            assert_eq!(
                reply.body["detail"], "group not found",
                "{who}: the same 404"
            );
        }
    }
    let after = ok(
        app.get(&format!("/groups/{}/audit", s.gid), &s.alice).await,
        200,
        "log",
    );
    assert_eq!(
        before["entries"], after["entries"],
        "refused callers leave no entry"
    );
    for (method, path, body, status) in routes(&s.gid, &s.ana_id, "ana-files") {
        let reply = app
            .call(method, &path, Some(&s.alice), body.as_ref(), &[])
            .await;
        assert_eq!(
            reply.status, status,
            "the admin: {method} {path}: {reply:?}"
        );
    }
}

#[tokio::test]
async fn admin_and_settings_changes_are_logged_and_every_admin_is_told() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    let _ = app.sign_in("ben@initech.com").await;
    let added = app
        .post(
            &format!("/groups/{}/admins", s.gid),
            &s.alice,
            json!({"email": "ben@initech.com"}),
        )
        .await;
    assert_eq!(added.status, 201, "{added:?}");
    let ben_id = local::auth::local_subject("ben@initech.com");
    ok(
        app.patch(
            &format!("/groups/{}", s.gid),
            &s.alice,
            json!({"joinPolicy": {"approval": "restricted"}, "sso": []}),
        )
        .await,
        200,
        "settings",
    );
    assert_eq!(
        app.delete(&format!("/groups/{}/admins/{ben_id}", s.gid), &s.alice)
            .await
            .status,
        204
    );
    let log = ok(
        app.get(&format!("/groups/{}/audit", s.gid), &s.alice).await,
        200,
        "log",
    );
    let actions: Vec<Value> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].clone())
        .collect();
    assert_eq!(
        actions,
        [
            json!({"kind": "adminRemoved", "accountId": ben_id}),
            json!({"kind": "settingsChanged", "fields": ["approval", "sso"]}),
            json!({"kind": "adminAdded", "accountId": ben_id}),
        ]
    );
    for admin in ["alice@initech.com", "ben@initech.com"] {
        let subjects: Vec<String> = app
            .inbox(admin)
            .await
            .iter()
            .map(|m| m.subject.clone())
            .filter(|s| s.contains("administrator"))
            .collect();
        assert_eq!(
            subjects,
            [
                "ben@initech.com is now an administrator of Initech",
                "ben@initech.com is no longer an administrator of Initech"
            ],
            "{admin}"
        );
    }
}

#[tokio::test]
async fn contact_changes_need_the_members_current_password_and_a_phone_waits_for_its_code() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    app.set_password("ana@initech.com", PASSWORD).await;
    let m = format!("/groups/{}/members/{}", s.gid, s.ana_id);
    let change = |body: Value| {
        let app = &app;
        let m = &m;
        let alice = &s.alice;
        async move { app.post(&format!("{m}/account-changes"), alice, body).await }
    };

    // Bad input: one change at a time, nothing else (no removal, no deletion).
    for (body, field) in [
        (json!({"currentPassword": PASSWORD}), "change"),
        (
            json!({"currentPassword": PASSWORD, "email": "a@b.co", "phone": "+14155550123"}),
            "change",
        ),
        (
            json!({"currentPassword": PASSWORD, "phone": "0415 555"}),
            "phone",
        ),
        (
            json!({"currentPassword": PASSWORD, "newPassword": "short"}),
            "newPassword",
        ),
        (
            json!({"currentPassword": "", "email": "ana@new.example"}),
            "currentPassword",
        ),
    ] {
        let refused = change(body.clone()).await;
        assert_eq!(refused.status, 400, "{body}: {refused:?}");
        assert_eq!(refused.body["errors"][0]["field"], field, "{body}");
    }
    let delete = change(json!({"currentPassword": PASSWORD, "deleteAccount": true})).await;
    assert_eq!(
        delete.status, 400,
        "no way to delete the account here: {delete:?}"
    );

    // A wrong password changes nothing.
    let wrong =
        change(json!({"currentPassword": "Not-The-Password-1", "email": "ana@new.example"})).await;
    assert_eq!(wrong.status, 403, "{wrong:?}");
    assert_eq!(wrong.body["type"], "/problems/wrong-password");

    // The right one: the password changes, and the old one stops working.
    let done = ok(
        change(json!({"currentPassword": PASSWORD, "newPassword": "Battery-Staple-42"})).await,
        200,
        "new password",
    );
    assert_eq!(done, json!({"change": "password", "status": "done"}));
    let old = change(json!({"currentPassword": PASSWORD, "signIn": {"sms": false}})).await;
    assert_eq!(old.status, 403, "the old password no longer works: {old:?}");
    let verify = |code: String| {
        let app = &app;
        let m = &m;
        let alice = &s.alice;
        async move {
            app.post(
                &format!("{m}/contact-verification"),
                alice,
                json!({"code": code}),
            )
            .await
        }
    };

    // A new email waits for the code sent to it: an address is never made
    // the member's without proof.
    let email = ok(
        change(json!({"currentPassword": "Battery-Staple-42", "email": "ana@initech-new.com"}))
            .await,
        202,
        "new email",
    );
    assert_eq!(email["change"], "email");
    let mails = app.inbox("ana@initech-new.com").await;
    assert_eq!(mails.len(), 1, "one code mailed to the new address");
    let code = six_digits(&mails[0].text);
    ok(verify(code).await, 200, "the emailed code");

    // A phone waits for the code texted to it.
    let pending = ok(
        change(json!({"currentPassword": "Battery-Staple-42", "phone": "+14155550123"})).await,
        202,
        "new phone",
    );
    assert_eq!(pending["status"], "pending");
    let texts = app.texts_to("+14155550123");
    assert_eq!(texts.len(), 1, "one code texted to the new number");
    let code = six_digits(&texts[0]);
    let sms_on =
        change(json!({"currentPassword": "Battery-Staple-42", "signIn": {"sms": true}})).await;
    assert_eq!(
        sms_on.status, 400,
        "SMS codes need the phone verified first: {sms_on:?}"
    );
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    let bad = verify(wrong_code.to_owned()).await;
    assert_eq!(bad.status, 403, "{bad:?}");
    assert_eq!(bad.body["type"], "/problems/code-invalid");
    ok(verify(code.clone()).await, 200, "the right code");
    let spent = verify(code).await;
    assert_eq!(spent.status, 410, "a code works once: {spent:?}");
    ok(
        change(json!({"currentPassword": "Battery-Staple-42", "signIn": {"sms": true}})).await,
        200,
        "SMS codes on, now that the phone is verified",
    );

    // An expired code.
    ok(
        change(json!({"currentPassword": "Battery-Staple-42", "phone": "+14155550199"})).await,
        202,
        "another phone",
    );
    let later = six_digits(&app.texts_to("+14155550199")[0]);
    app.clock.advance(time::Duration::minutes(11));
    let expired = verify(later).await;
    assert_eq!(expired.status, 410, "{expired:?}");

    // Every change is logged for the admins and the member.
    let mine = ok(app.get("/me/audit", &s.ana).await, 200, "ana's audit");
    let kinds: Vec<&str> = mine["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "phoneChangeRequested",
            "signInChanged",
            "phoneChanged",
            "phoneChangeRequested",
            "emailChanged",
            "emailChangeRequested",
            "passwordChanged"
        ]
    );
}

#[tokio::test]
async fn repeated_wrong_passwords_are_limited_even_for_the_right_one() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    app.set_password("ana@initech.com", PASSWORD).await;
    let path = format!("/groups/{}/members/{}/account-changes", s.gid, s.ana_id);
    let guesses = (0..7).map(|i| {
        let body =
            json!({"currentPassword": format!("Guess-Number-{i}"), "signIn": {"sms": false}});
        let app = &app;
        let path = &path;
        let alice = &s.alice;
        async move { app.post(path, alice, body).await.status }
    });
    let mut statuses = futures::future::join_all(guesses).await;
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [403, 403, 403, 403, 403, 429, 429],
        "5 checks an hour, even at once"
    );
    let right = app
        .post(
            &path,
            &s.alice,
            json!({"currentPassword": PASSWORD, "signIn": {"sms": false}}),
        )
        .await;
    assert_eq!(
        right.status, 429,
        "not checked until the hour passes: {right:?}"
    );
    assert!(right.retry_after.is_some(), "says when: {right:?}");
    app.clock.advance(time::Duration::hours(1));
    let later = app
        .post(
            &path,
            &s.alice,
            json!({"currentPassword": PASSWORD, "signIn": {"sms": false}}),
        )
        .await;
    assert_eq!(later.status, 200, "{later:?}");
}

#[tokio::test]
async fn a_member_is_texted_at_most_three_codes_an_hour() {
    let app = spawn_app().await;
    let s = managed_group(&app).await;
    app.set_password("ana@initech.com", PASSWORD).await;
    let path = format!("/groups/{}/members/{}/account-changes", s.gid, s.ana_id);
    for n in 0..3 {
        let phone = format!("+1415555010{n}");
        let asked = app
            .post(
                &path,
                &s.alice,
                json!({"currentPassword": PASSWORD, "phone": phone}),
            )
            .await;
        assert_eq!(asked.status, 202, "code {n}: {asked:?}");
    }
    let fourth = app
        .post(
            &path,
            &s.alice,
            json!({"currentPassword": PASSWORD, "phone": "+14155550109"}),
        )
        .await;
    assert_eq!(fourth.status, 429, "{fourth:?}");
    assert!(fourth.retry_after.is_some(), "{fourth:?}");
    assert!(app.texts_to("+14155550109").is_empty(), "no fourth text");
}
