//! Membership benchmark: join and create-group latency through the local
//! gateway on the embedded DynamoDB, sequential and concurrent, with the
//! DynamoDB requests each operation made. A report, not an assertion:
//! `cargo bench -p e2e --bench membership` (numbers reflect the emulator,
//! which serialises requests; they track regressions in our code path).

use std::time::{Duration, Instant};

use e2e::spawn_app_with;
use serde_json::json;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>, total: Duration, requests: usize) {
    samples.sort();
    let n = samples.len();
    println!(
        "{name:<28} n={n:<5} p50={:>8.2?} p95={:>8.2?} max={:>8.2?} throughput={:>7.1}/s dynamodb_requests_per_op={:.2}",
        percentile(&samples, 0.50),
        percentile(&samples, 0.95),
        samples[n - 1],
        n as f64 / total.as_secs_f64(),
        requests as f64 / n as f64,
    );
}

#[tokio::main]
async fn main() {
    const JOINS: usize = 300;
    let app = spawn_app_with(shared::deps::Settings {
        max_members: 5_000,
        ..Default::default()
    })
    .await;
    let alice = app.token("alice@initech.com");

    let started = Instant::now();
    let mut samples = Vec::new();
    app.requests.take();
    for i in 0..50 {
        let t = Instant::now();
        let reply = app
            .post(
                "/groups",
                &app.token(&format!("owner{i}@initech.com")),
                json!({"name": "Bench", "products": ["b2"], "managed": false}),
            )
            .await;
        assert_eq!(reply.status, 201);
        samples.push(t.elapsed());
    }
    report(
        "create group (sequential)",
        samples,
        started.elapsed(),
        app.requests.take().len(),
    );

    let gid = app.create_group(&alice, json!({"name": "Open", "products": ["b2"], "managed": false, "joinPolicy": {"approval": "autoApproveAll"}})).await;
    let link = app
        .post(&format!("/groups/{gid}/invite-link"), &alice, json!({}))
        .await;
    let path = format!(
        "/invitations/{}/join",
        link.body["token"].as_str().expect("token")
    );
    let tokens: Vec<String> = (0..2 * JOINS)
        .map(|i| app.token(&format!("member{i}@contoso.com")))
        .collect();

    app.requests.take();
    let started = Instant::now();
    let mut samples = Vec::new();
    for token in &tokens[..JOINS] {
        let t = Instant::now();
        assert_eq!(
            app.post(&path, token, json!({"region": "us-west"}))
                .await
                .status,
            201
        );
        samples.push(t.elapsed());
    }
    report(
        "join (sequential)",
        samples,
        started.elapsed(),
        app.requests.take().len(),
    );

    let started = Instant::now();
    let timed = tokens[JOINS..].iter().map(|token| {
        let (app, path) = (&app, &path);
        async move {
            let t = Instant::now();
            assert_eq!(
                app.post(path, token, json!({"region": "us-west"}))
                    .await
                    .status,
                201
            );
            t.elapsed()
        }
    });
    let samples = futures::future::join_all(timed).await;
    report(
        "join (300 concurrent)",
        samples,
        started.elapsed(),
        app.requests.take().len(),
    );
}
