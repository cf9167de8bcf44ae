//! The User Stats report and the scheduled emails, end to end through the
//! local gateway, the outbox sender and the job workers' code: a report
//! asked for, built, listed and downloaded (its CSV parsed back, hostile
//! and non-ASCII cells included); the weekly schedule delivered twice and
//! late; the report emailed with the CSV attached or linked; one failing
//! group among several; members' summaries on, off and opted out.

use aws_lambda_events::event::sqs::SqsEvent;
use e2e::{TestApp, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use shared::jobs::Job;
use shared::mail::ParsedEml;
use standins::calls::as_function;

/// The fixture's weekly run: Monday 30 November 2026, ISO week 49.
const WEEK: &str = "2026-W49";

fn check_in(name: &str, alerts: &[&str], files_remaining: u64) -> Value {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|kind| json!({"kind": kind, "since": "2026-11-01T00:00:00Z", "detail": "seen"}))
        .collect();
    json!({
        "name": name,
        "os": "macOS 15.1",
        "clientVersion": "9.1.0.812",
        "lastBackupAt": "2026-11-20T08:00:00Z",
        "selectedBytes": 512_000_000_000u64,
        "filesRemaining": files_remaining,
        "alerts": alerts,
    })
}

async fn computer(app: &TestApp, token: &str, id: &str, body: Value) {
    let reply = app
        .call(
            "PUT",
            &format!("/me/computers/{id}"),
            Some(token),
            Some(&body),
            &[],
        )
        .await;
    assert_eq!(reply.status, 201, "check in {id}: {reply:?}");
}

async fn bucket(app: &TestApp, token: &str, name: &str) {
    let reply = app.post("/me/buckets", token, json!({"name": name})).await;
    assert_eq!(reply.status, 201, "bucket {name}: {reply:?}");
}

/// Runs a schedule's payload through `weekly-report`, as EventBridge
/// Scheduler would invoke it; returns (reports, summaries) jobs written.
async fn fire(app: &TestApp, payload: Value) -> (u64, u64) {
    let run: weekly_report::ScheduledRun =
        serde_json::from_value(payload).expect("a schedule payload");
    let ran = as_function("weekly-report", weekly_report::handler(&app.deps, run))
        .await
        .expect("the schedule ran");
    let ran = serde_json::to_value(&ran).expect("json");
    (
        ran["reports"].as_u64().expect("reports"),
        ran["summaries"].as_u64().expect("summaries"),
    )
}

/// The payload of `events/scheduler/<name>.json`.
fn scheduler_event(name: &str) -> Value {
    let path = format!(
        "{}/../events/scheduler/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

/// The emails `email` got whose subject contains `about`.
async fn mail(app: &TestApp, email: &str, about: &str) -> Vec<ParsedEml> {
    app.inbox(email)
        .await
        .into_iter()
        .filter(|m| m.subject.contains(about))
        .collect()
}

/// The CSV's rows below its header (which must be the documented columns).
fn rows(csv: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv);
    let header: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, shared::report::COLUMNS, "the documented columns");
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.expect("a row").iter().map(String::from).collect())
        .collect();
    rows.sort();
    rows
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// A group of alice's with ana (two computers, one with a name a
/// spreadsheet would run, one non-ASCII) and bob (one computer, a bucket);
/// returns the group, alice's token and the rows its report must hold.
async fn known_group(app: &TestApp) -> (String, String, Vec<Vec<String>>) {
    let members = ["ana@initech.com".to_owned(), "bob@initech.com".to_owned()];
    let (gid, alice) = app.group_with_members(false, &members).await;
    let ana = app.token("ana@initech.com");
    let bob = app.token("bob@initech.com");
    computer(
        app,
        &ana,
        "ana-1",
        check_in(
            "=HYPERLINK(\"http://evil.example\",\"open\")",
            &["lowDiskSpace", "backupOverdue"],
            42,
        ),
    )
    .await;
    computer(
        app,
        &ana,
        "ana-2",
        check_in("Zoë's Mac, «Ünïcode» 📸", &[], 0),
    )
    .await;
    computer(app, &bob, "bob-1", check_in("-rm -rf; @SUM(A1)", &[], 7)).await;
    bucket(app, &bob, "bob-data").await;
    let mut expected = vec![
        row(&[
            "computer",
            "ana@initech.com",
            "us-west",
            "'=HYPERLINK(\"http://evil.example\",\"open\")",
            "macOS 15.1",
            "9.1.0.812",
            "2026-11-20T08:00:00Z",
            "512000000000",
            "42",
            "2",
            "backupOverdue;lowDiskSpace",
            "",
            "",
        ]),
        row(&[
            "computer",
            "ana@initech.com",
            "us-west",
            "Zoë's Mac, «Ünïcode» 📸",
            "macOS 15.1",
            "9.1.0.812",
            "2026-11-20T08:00:00Z",
            "512000000000",
            "0",
            "0",
            "",
            "",
            "",
        ]),
        row(&[
            "computer",
            "bob@initech.com",
            "us-west",
            "'-rm -rf; @SUM(A1)",
            "macOS 15.1",
            "9.1.0.812",
            "2026-11-20T08:00:00Z",
            "512000000000",
            "7",
            "0",
            "",
            "",
            "",
        ]),
        row(&[
            "bucket",
            "bob@initech.com",
            "us-west",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "bob-data",
            "0",
        ]),
    ];
    expected.sort();
    (gid, alice, expected)
}

/// A group `admin` creates with `settings` (Computer Backup, anyone with
/// the link joins) and `member` joins in `region`; returns the group and
/// the member's token.
async fn group_of(
    app: &TestApp,
    admin: &str,
    settings: Value,
    member: &str,
    region: &str,
) -> (String, String) {
    let token = app.token(admin);
    let mut body = json!({"name": "Other", "products": ["computerBackup"], "managed": false,
                          "joinPolicy": {"approval": "autoApproveAll"}});
    if let (Some(body), Some(settings)) = (body.as_object_mut(), settings.as_object()) {
        body.extend(settings.clone());
    }
    let gid = app.create_group(&token, body).await;
    let link = app
        .post(&format!("/groups/{gid}/invite-link"), &token, json!({}))
        .await;
    let invite = link.body["token"].as_str().expect("token");
    let member_token = app.token(member);
    let joined = app
        .post(
            &format!("/invitations/{invite}/join"),
            &member_token,
            json!({"region": region}),
        )
        .await;
    assert_eq!(joined.status, 201, "{member} joins: {joined:?}");
    (gid, member_token)
}

/// Downloads a report through the API and S3.
async fn download(app: &TestApp, gid: &str, period: &str, token: &str) -> Vec<u8> {
    let signed = app
        .post(
            &format!("/groups/{gid}/reports/{period}/download"),
            token,
            json!({}),
        )
        .await;
    assert_eq!(signed.status, 200, "download URL: {signed:?}");
    get_csv(signed.body["url"].as_str().expect("url")).await
}

async fn get_csv(url: &str) -> Vec<u8> {
    let response = reqwest::get(url).await.expect("GET the report");
    assert_eq!(response.status(), 200, "the presigned URL works");
    response.bytes().await.expect("body").to_vec()
}

#[tokio::test]
async fn an_admin_asks_for_the_report_then_lists_and_downloads_it() {
    let app = spawn_app().await;
    let (gid, alice, expected) = known_group(&app).await;
    let reports = format!("/groups/{gid}/reports");

    let asked = app.post(&reports, &alice, json!({})).await;
    assert_eq!(asked.status, 202, "{asked:?}");
    assert_eq!(asked.body["state"], "pending");
    let period = asked.body["period"].as_str().expect("period").to_owned();
    assert_eq!(period.len(), 10, "today's report: {period}");

    // Asked again while it is being built: the same report, no second build.
    let again = app.post(&reports, &alice, json!({})).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["requestedAt"], asked.body["requestedAt"]);
    let early = app
        .post(&format!("{reports}/{period}/download"), &alice, json!({}))
        .await;
    assert_eq!(early.status, 409, "{early:?}");
    assert_eq!(early.body["type"], "/problems/report-not-ready");

    // Nobody but the group's admins sees, asks for or downloads reports.
    for who in ["ana@initech.com", "mallory@evil.example"] {
        let token = app.token(who);
        assert_eq!(app.get(&reports, &token).await.status, 404, "{who} lists");
        assert_eq!(
            app.post(&reports, &token, json!({})).await.status,
            404,
            "{who} asks"
        );
        let download = app
            .post(&format!("{reports}/{period}/download"), &token, json!({}))
            .await;
        assert_eq!(download.status, 404, "{who} downloads");
    }
    let bad = app
        .post(&format!("{reports}/2026-13/download"), &alice, json!({}))
        .await;
    assert_eq!(bad.status, 400, "{bad:?}");
    assert_eq!(bad.body["errors"][0]["field"], "reportId");

    let ran = app.run_jobs().await;
    let builds = ran
        .iter()
        .filter(|j| matches!(j, Job::BuildReport { .. }))
        .count();
    assert_eq!(builds, 1, "one build for two asks: {ran:?}");

    let listed = app.get(&reports, &alice).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    let report = &listed.body["items"][0];
    assert_eq!(report["state"], "ready");
    assert_eq!(report["rows"], 4);
    let csv = download(&app, &gid, &period, &alice).await;
    assert_eq!(report["sizeBytes"], csv.len());
    assert_eq!(rows(&csv), expected, "the CSV parsed back");

    // Asked again once Ready: built anew, replacing it (still one report).
    let anew = app.post(&reports, &alice, json!({})).await;
    assert_eq!(anew.status, 202);
    assert_eq!(anew.body["state"], "pending");
    app.run_jobs().await;
    let listed = app.get(&reports, &alice).await;
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed.body["items"][0]["state"], "ready");
    assert_eq!(rows(&download(&app, &gid, &period, &alice).await), expected);
}

#[tokio::test]
async fn the_weekly_schedule_delivered_twice_and_late_yields_one_report_and_one_email() {
    let app = spawn_app().await;
    let (gid, alice, expected) = known_group(&app).await;
    let attach = app
        .patch(
            &format!("/groups/{gid}"),
            &alice,
            json!({"adminReportEmails": {"cadence": "weekly", "attachCsv": true}}),
        )
        .await;
    assert_eq!(attach.status, 200, "{attach:?}");

    let due = scheduler_event("weekly-report");
    assert_eq!(fire(&app, due.clone()).await, (1, 1));
    // The scheduler's retry delivers it again, and a late delivery hours
    // later names the same week.
    assert_eq!(fire(&app, due).await, (1, 1));
    let late = json!({"schedule": "weekly", "scheduledTime": "2026-11-30T11:47:03Z"});
    assert_eq!(fire(&app, late).await, (1, 1));
    app.run_jobs().await;

    let emails = mail(&app, "alice@initech.com", WEEK).await;
    assert_eq!(emails.len(), 1, "one email for the week: {emails:?}");
    let email = &emails[0];
    assert!(email.subject.contains("weekly backup report"), "{email:?}");
    assert_eq!(email.attachments.len(), 1);
    let attachment = &email.attachments[0];
    assert_eq!(attachment.filename, format!("user-stats-{WEEK}.csv"));
    assert_eq!(
        rows(&attachment.bytes),
        expected,
        "the attached CSV parsed back"
    );
    assert!(!email.text.contains("PLACEHOLDER"), "{}", email.text);

    let listed = app.get(&format!("/groups/{gid}/reports"), &alice).await;
    let items = listed.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "one report for the week: {items:?}");
    assert_eq!(items[0]["period"], WEEK);
    assert!(items[0].get("requestedBy").is_none(), "a scheduled report");

    // The monthly schedule finds nobody: this group's emails are weekly.
    assert_eq!(fire(&app, scheduler_event("monthly-report")).await, (0, 0));
}

#[tokio::test]
async fn a_report_not_attached_or_too_large_to_attach_is_linked() {
    let settings = shared::deps::Settings {
        report_attachment_max_bytes: 200,
        ..Default::default()
    };
    let app = spawn_app_with(settings).await;
    // Alice's group keeps the default (weekly, not attached); dan's asks
    // for the CSV attached, but it is larger than 200 bytes.
    let (_, _, expected) = known_group(&app).await;
    let (_, eve) = group_of(
        &app,
        "dan@contoso.com",
        json!({"name": "Contoso",
               "adminReportEmails": {"cadence": "weekly", "attachCsv": true}}),
        "eve@contoso.com",
        "eu-central",
    )
    .await;
    computer(&app, &eve, "eve-1", check_in("Eve's laptop", &[], 3)).await;
    computer(&app, &eve, "eve-2", check_in("Eve's desktop", &[], 5)).await;

    assert_eq!(fire(&app, scheduler_event("weekly-report")).await.0, 2);
    app.run_jobs().await;

    for (admin, rows_expected) in [
        ("alice@initech.com", Some(expected)),
        ("dan@contoso.com", None),
    ] {
        let emails = mail(&app, admin, WEEK).await;
        assert_eq!(emails.len(), 1, "{admin}: {emails:?}");
        let email = &emails[0];
        assert!(
            email.attachments.is_empty(),
            "{admin}: linked, not attached"
        );
        assert!(!email.text.contains("PLACEHOLDER") && !email.html.contains("PLACEHOLDER"));
        let url = email
            .text
            .lines()
            .skip_while(|l| !l.starts_with("Download the report"))
            .nth(1)
            .expect("the link after its label");
        assert!(
            email.html.contains(&url.replace('&', "&amp;")),
            "the HTML links it too"
        );
        let csv = get_csv(url).await;
        match rows_expected {
            Some(expected) => assert_eq!(rows(&csv), expected),
            None => assert_eq!(rows(&csv).len(), 2, "eve's two computers"),
        }
    }
}

/// The job messages an SQS batch would carry.
fn batch(jobs: &[Job]) -> SqsEvent {
    let records: Vec<Value> = jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            json!({"messageId": format!("m{i}"), "eventSource": "aws:sqs",
                   "body": serde_json::to_string(job).expect("job")})
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).expect("an SQS event")
}

async fn run_batch(app: &TestApp, jobs: &[Job]) -> Vec<String> {
    let mut context = lambda_runtime::Context::default();
    // Lambda's deadline (epoch milliseconds): ten minutes from now.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    context.deadline =
        u64::try_from((now + std::time::Duration::from_secs(600)).as_millis()).expect("a deadline");
    let response = as_function(
        "build-report",
        build_report::handler(
            &app.deps,
            lambda_runtime::LambdaEvent::new(batch(jobs), context),
        ),
    )
    .await;
    let mut failed: Vec<String> = response
        .batch_item_failures
        .into_iter()
        .map(|f| f.item_identifier)
        .collect();
    failed.sort();
    failed
}

#[tokio::test]
async fn one_failing_group_never_stops_the_others() {
    let app = spawn_app().await;
    let mut groups = Vec::new();
    for (n, member) in ["ana@one.example", "bob@two.example", "cy@three.example"]
        .iter()
        .enumerate()
    {
        let admin = format!("admin{n}@initech.com");
        let (gid, member_token) = group_of(
            &app,
            &admin,
            json!({"name": format!("Group {n}")}),
            member,
            "us-west",
        )
        .await;
        computer(&app, &member_token, "pc", check_in("Workstation", &[], 1)).await;
        groups.push((gid, admin, member_token));
    }
    // Group 1's member has a computer item no code could have written: its
    // report and its summaries fail, and only theirs.
    let broken = app.get("/me", &groups[1].2).await.body["id"]
        .as_str()
        .expect("account id")
        .to_owned();
    app.repo()
        .client()
        .put_item()
        .table_name(app.repo().table())
        .item(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("ACCOUNT#{broken}")),
        )
        .item(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("COMPUTER#zz-corrupt".into()),
        )
        .item(
            "name",
            aws_sdk_dynamodb::types::AttributeValue::N("7".into()),
        )
        .send()
        .await
        .expect("corrupt item");

    assert_eq!(fire(&app, scheduler_event("weekly-report")).await, (3, 3));
    let jobs = app.queued_jobs().await;
    assert_eq!(jobs.len(), 6, "{jobs:?}");
    let failed = run_batch(&app, &jobs).await;
    let failed_jobs: Vec<&Job> = failed
        .iter()
        .map(|id| &jobs[id[1..].parse::<usize>().expect("index")])
        .collect();
    assert_eq!(
        failed_jobs.len(),
        2,
        "only group 1's jobs fail: {failed_jobs:?}"
    );
    assert!(
        failed_jobs
            .iter()
            .all(|j| j.group_id().to_string() == groups[1].0)
    );
    for (n, (_, admin, _)) in groups.iter().enumerate() {
        let got = mail(&app, admin, WEEK).await.len();
        assert_eq!(got, usize::from(n != 1), "{admin}");
    }

    // Repaired, the queue's retry (and a redelivery of every message)
    // completes group 1 and sends nothing twice.
    app.repo()
        .client()
        .delete_item()
        .table_name(app.repo().table())
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("ACCOUNT#{broken}")),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("COMPUTER#zz-corrupt".into()),
        )
        .send()
        .await
        .expect("repair");
    assert!(run_batch(&app, &jobs).await.is_empty());
    for (_, admin, member) in &groups {
        assert_eq!(mail(&app, admin, WEEK).await.len(), 1, "{admin}");
        let me = app.get("/me", member).await.body["email"]
            .as_str()
            .expect("email")
            .to_owned();
        assert_eq!(mail(&app, &me, "backup summary").await.len(), 1, "{me}");
    }
}

#[tokio::test]
async fn members_get_summaries_unless_their_group_turned_them_off_or_they_opted_out() {
    let app = spawn_app().await;
    // Alice's group: weekly summaries (the default). Ana has two computers,
    // bob opts out, cy has nothing to summarise.
    let members = [
        "ana@initech.com".to_owned(),
        "bob@initech.com".to_owned(),
        "cy@initech.com".to_owned(),
    ];
    let (gid, alice) = app.group_with_members(false, &members).await;
    let ana = app.token("ana@initech.com");
    let bob = app.token("bob@initech.com");
    computer(
        &app,
        &ana,
        "ana-1",
        check_in("Ana's <b>MacBook</b>", &["driveDisconnected"], 12),
    )
    .await;
    computer(&app, &ana, "ana-2", check_in("Ana's iMac", &[], 0)).await;
    bucket(&app, &ana, "ana-photos").await;
    computer(&app, &bob, "bob-1", check_in("Bob's PC", &[], 0)).await;
    let opted = app
        .patch("/me", &bob, json!({"backupSummaryEmails": false}))
        .await;
    assert_eq!(opted.status, 200, "{opted:?}");
    assert_eq!(opted.body["backupSummaryEmails"], false);

    // Dan's group turned summaries off; fay's group has them monthly.
    let mut others = Vec::new();
    for (admin, member, cadence) in [
        ("dan@contoso.com", "eve@contoso.com", "off"),
        ("gus@fabrikam.example", "fay@fabrikam.example", "monthly"),
    ] {
        let (_, member_token) = group_of(
            &app,
            admin,
            json!({"memberSummaryEmails": cadence, "adminReportEmails": {"cadence": "off"}}),
            member,
            "eu-central",
        )
        .await;
        computer(&app, &member_token, "pc", check_in("Laptop", &[], 0)).await;
        others.push(member);
    }

    let due = scheduler_event("weekly-report");
    assert_eq!(fire(&app, due.clone()).await, (1, 1), "alice's group only");
    assert_eq!(fire(&app, due).await, (1, 1));
    app.run_jobs().await;

    let summaries = mail(&app, "ana@initech.com", "backup summary").await;
    assert_eq!(summaries.len(), 1, "once, though the schedule fired twice");
    let summary = &summaries[0];
    assert!(
        summary
            .subject
            .contains(&format!("weekly backup summary ({WEEK})"))
    );
    for fact in [
        "Ana's <b>MacBook</b>",
        "12 files remaining",
        "alerts: driveDisconnected",
        "Ana's iMac",
        "ana-photos",
        "Initech",
    ] {
        assert!(summary.text.contains(fact), "{fact:?} in {}", summary.text);
    }
    assert!(
        summary.html.contains("&lt;b&gt;MacBook&lt;/b&gt;") && !summary.html.contains("<b>MacBook"),
        "a computer's name is text in the HTML, never markup"
    );
    for nobody in ["bob@initech.com", "cy@initech.com", others[0], others[1]] {
        assert!(
            mail(&app, nobody, "backup summary").await.is_empty(),
            "{nobody} gets no summary"
        );
    }

    // The monthly schedule: fay's group only.
    assert_eq!(fire(&app, scheduler_event("monthly-report")).await, (0, 1));
    app.run_jobs().await;
    let monthly = mail(&app, others[1], "monthly backup summary (2026-12)").await;
    assert_eq!(monthly.len(), 1);
    assert_eq!(
        mail(&app, "ana@initech.com", "backup summary").await.len(),
        1
    );

    // Alice turns her group's summaries off: next week's run skips it.
    let off = app
        .patch(
            &format!("/groups/{gid}"),
            &alice,
            json!({"memberSummaryEmails": "off"}),
        )
        .await;
    assert_eq!(off.status, 200, "{off:?}");
    let next_week = json!({"schedule": "weekly", "scheduledTime": "2026-12-07T06:00:00Z"});
    assert_eq!(fire(&app, next_week).await, (1, 0));
    app.run_jobs().await;
    assert_eq!(
        mail(&app, "ana@initech.com", "backup summary").await.len(),
        1
    );
}
