//! Users/Computers and dissolution at the product's scale: a group of 5,000
//! members with 20 computers each (100,000 computers) on the embedded
//! stack. Lists every computer through the API page by page, reporting
//! pages, DynamoDB calls and time per page; then dissolves the group,
//! reporting time and calls. A report, not an assertion:
//! `cargo bench -p e2e --bench users` (`BENCH_MEMBERS=500` for a quick run).
//! The emulator serialises requests, and its table here has no stream (its
//! stream bookkeeping costs every write time in proportion to all writes
//! before it); the numbers track our code path and its round trips, not
//! DynamoDB's.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use e2e::{TestApp, spawn_app_without_stream};
use serde_json::json;
use shared::jobs::{Budget, dissolve};
use shared::model::{GroupId, Region};

/// Members (the product's limit; `BENCH_MEMBERS` overrides it for a quick run).
fn members() -> usize {
    std::env::var("BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5_000)
}
const COMPUTERS_EACH: usize = 20;
const PAGE: usize = 500;

type Item = HashMap<String, AttributeValue>;

fn item(pk: String, sk: String, entity: &str, value: serde_json::Value) -> Item {
    let mut item: Item = serde_dynamo::to_item(value).expect("item");
    item.insert("PK".into(), AttributeValue::S(pk));
    item.insert("SK".into(), AttributeValue::S(sk));
    item.insert("entity".into(), AttributeValue::S(entity.into()));
    item
}

async fn write(app: &TestApp, items: Vec<Item>) {
    let started = Instant::now();
    for (n, chunk) in items.chunks(25).enumerate() {
        if n % 400 == 0 {
            eprintln!("  seeded {} items in {:.1?}", n * 25, started.elapsed());
        }
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
            let out = app
                .repo()
                .client()
                .batch_write_item()
                .request_items(app.repo().table(), requests)
                .send()
                .await
                .expect("seed");
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(app.repo().table()))
                .filter(|r| !r.is_empty());
        }
    }
}

/// The state 5,000 joins and 100,000 check-ins leave, written directly.
async fn seed(app: &TestApp, gid: &str) {
    let now = "2026-11-27T00:00:00Z";
    let mut items = Vec::with_capacity(members() * (COMPUTERS_EACH + 2));
    for m in 0..members() {
        let aid = format!("member-{m:05}");
        let email = format!("member{m}@initech.com");
        items.push(item(
            format!("GROUP#{gid}"),
            format!("MEMBER#{aid}"),
            "Member",
            json!({"accountId": aid, "email": email, "region": Region::UsWest, "joinedAt": now,
                   "managedAccessAccepted": false, "versionHistoryAccepted": false}),
        ));
        items.push(item(
            format!("ACCOUNT#{aid}"),
            "ACCOUNT".into(),
            "Account",
            json!({"id": aid, "email": email, "emailVerified": true, "createdAt": now, "groupId": gid,
                   "computerCount": COMPUTERS_EACH, "alertCount": 0, "storedBytes": 0}),
        ));
        for c in 0..COMPUTERS_EACH {
            items.push(item(
                format!("ACCOUNT#{aid}"),
                format!("COMPUTER#pc-{c:02}"),
                "Computer",
                json!({"id": format!("pc-{c:02}"), "accountId": aid, "name": "pc", "os": "macOS",
                       "clientVersion": "9.1", "lastBackupAt": now, "selectedBytes": 1_000_000_000u64,
                       "filesRemaining": 0, "alerts": [], "alertCount": 0,
                       "firstSeenAt": now, "checkedInAt": now}),
            ));
        }
    }
    write(app, items).await;
    app.repo()
        .client()
        .update_item()
        .table_name(app.repo().table())
        .key("PK", AttributeValue::S(format!("GROUP#{gid}")))
        .key("SK", AttributeValue::S("GROUP".into()))
        .update_expression("SET memberCount = :n")
        .expression_attribute_values(":n", AttributeValue::N(members().to_string()))
        .send()
        .await
        .expect("count");
    app.repo()
        .client()
        .put_item()
        .table_name(app.repo().table())
        .item("PK", AttributeValue::S(format!("GROUP#{gid}")))
        .item("SK", AttributeValue::S("STATS".into()))
        .item(
            "computers",
            AttributeValue::N((members() * COMPUTERS_EACH).to_string()),
        )
        .item("alerts", AttributeValue::N("0".into()))
        .item("storedBytes", AttributeValue::N("0".into()))
        .send()
        .await
        .expect("stats");
}

fn count(calls: Vec<String>) -> BTreeMap<String, usize> {
    let mut by = BTreeMap::new();
    for c in calls {
        *by.entry(c).or_default() += 1;
    }
    by
}

#[tokio::main]
async fn main() {
    let app = spawn_app_without_stream().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Bench", "products": ["computerBackup"], "managed": false}),
        )
        .await;
    let seeded = Instant::now();
    seed(&app, &gid).await;
    println!(
        "seeded {} members x {COMPUTERS_EACH} computers in {:.1?}",
        members(),
        seeded.elapsed()
    );

    let mut next: Option<String> = None;
    let mut pages: Vec<(Duration, usize)> = Vec::new();
    let mut rows = 0;
    let listing = Instant::now();
    app.requests.take();
    let mut calls = Vec::new();
    loop {
        let path = match &next {
            Some(t) => format!("/groups/{gid}/computers?limit={PAGE}&nextToken={t}"),
            None => format!("/groups/{gid}/computers?limit={PAGE}"),
        };
        let t = Instant::now();
        let page = app.get(&path, &alice).await;
        let took = t.elapsed();
        assert_eq!(page.status, 200, "{page:?}");
        let these = app.requests.take();
        pages.push((took, these.len()));
        calls.extend(these);
        rows += page.body["items"].as_array().map_or(0, Vec::len);
        match page.body["nextToken"].as_str() {
            Some(t) => next = Some(t.to_owned()),
            None => break,
        }
    }
    let mut times: Vec<Duration> = pages.iter().map(|p| p.0).collect();
    times.sort();
    println!(
        "list computers: {rows} rows in {} pages of {PAGE} in {:.1?}; per page p50={:.1?} max={:.1?}, DynamoDB calls per page {:.1} ({:?})",
        pages.len(),
        listing.elapsed(),
        times[times.len() / 2],
        times[times.len() - 1],
        calls.len() as f64 / pages.len() as f64,
        count(calls),
    );

    let preview = app
        .post(&format!("/groups/{gid}/dissolution"), &alice, json!({}))
        .await;
    let token = preview.body["confirmationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let confirmed = app
        .post(
            &format!("/groups/{gid}/dissolution/confirm"),
            &alice,
            json!({"confirmationToken": token}),
        )
        .await;
    assert_eq!(confirmed.status, 202, "{confirmed:?}");
    app.requests.take();
    let t = Instant::now();
    let group = GroupId::parse("g", &gid).expect("gid");
    let progress = dissolve::run(
        &app.deps,
        &group,
        Budget::for_time(Duration::from_secs(3600)),
    )
    .await
    .expect("dissolve");
    let took = t.elapsed();
    let calls = app.requests.take();
    println!(
        "dissolve {} members: {progress:?} in {took:.1?} ({:.2} ms a member), {} DynamoDB calls ({:?})",
        members(),
        took.as_secs_f64() * 1000.0 / members() as f64,
        calls.len(),
        count(calls),
    );
}
