//! Handlers fed the real API Gateway events in `events/`, as Lambda would.

use e2e::spawn_app;
use lambda_http::{Body, Response};
use serde::Deserialize;
use serde_json::Value;

fn event(name: &str) -> lambda_http::Request {
    let path = format!("{}/../events/http/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    lambda_http::request::from_str(&text)
        .unwrap_or_else(|e| panic!("{path} is not an API Gateway event: {e}"))
}

fn json(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(t) => serde_json::from_str(t).expect("json body"),
        Body::Empty => Value::Null,
        other => panic!("unexpected body {other:?}"),
    }
}

#[tokio::test]
async fn create_group_event_creates_the_group_for_the_token_subject() {
    let app = spawn_app().await;
    let response = create_group::handler(&app.deps, event("create-group.json")).await;
    assert_eq!(response.status(), 201, "{:?}", json(&response));
    let body = json(&response);
    assert_eq!(
        body["admins"][0]["accountId"],
        "0b6e2f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    );
    assert_eq!(body["joinPolicy"]["autoAcceptDomains"][0], "initech.com");

    let replay = create_group::handler(&app.deps, event("create-group.json")).await;
    assert_eq!(json(&replay), body, "same Idempotency-Key, same response");

    let listed = list_groups::handler(&app.deps, event("list-groups.json")).await;
    assert_eq!(json(&listed)["groups"].as_array().map(Vec::len), Some(1));
    let me = get_me::handler(&app.deps, event("get-me.json")).await;
    assert_eq!(json(&me)["email"], "alice@initech.com");
}

#[tokio::test]
async fn an_event_without_authorizer_claims_is_401() {
    let app = spawn_app().await;
    let response = create_group::handler(&app.deps, event("create-group-no-authorizer.json")).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn group_events_for_a_missing_group_are_404_problems() {
    let app = spawn_app().await;
    for (name, response) in [
        (
            "get-group",
            get_group::handler(&app.deps, event("get-group.json")).await,
        ),
        (
            "update-group",
            update_group::handler(&app.deps, event("update-group.json")).await,
        ),
        (
            "remove-admin",
            remove_admin::handler(&app.deps, event("remove-admin.json")).await,
        ),
    ] {
        assert_eq!(response.status(), 404, "{name}: {:?}", json(&response));
        assert_eq!(json(&response)["type"], "/problems/not-found", "{name}");
    }
    // Who has an account is checked only for the group's admins: on a
    // missing group, the same 404 as every other event.
    let add = add_admin::handler(&app.deps, event("add-admin.json")).await;
    assert_eq!(add.status(), 404, "no group: {:?}", json(&add));
    assert_eq!(json(&add)["type"], "/problems/not-found");
}

#[tokio::test]
async fn the_outbox_sender_delivers_a_stream_batch_and_reports_no_failures() {
    use std::sync::Arc;

    let app = spawn_app().await;
    let path = format!(
        "{}/../events/stream/outbox-insert.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("fixture");
    let event: aws_lambda_events::event::dynamodb::Event =
        serde_json::from_str(&text).expect("a DynamoDB stream event");
    // The stream says the item was written; make it so in this table.
    let item: shared::outbox::OutboxItem =
        serde_dynamo::from_item(event.records[0].change.new_image.clone()).expect("an outbox item");
    app.repo()
        .put_outbox_item(&item)
        .await
        .expect("write the item");

    let dir = tempfile::tempdir().expect("dir");
    let from =
        shared::model::EmailAddress::parse("from", "no-reply@groups.example.com").expect("address");
    let outbox = shared::mail::FolderOutbox::new(dir.path().join("outbox"), from.clone());
    let sender = shared::delivery::OutboxSender::new(
        app.repo().clone(),
        Arc::new(outbox),
        Arc::new(shared::events::FolderEvents::new(dir.path().join("events"))),
        Arc::new(shared::jobs::queue::FolderJobs::new(
            dir.path().join("jobs"),
        )),
        app.deps.clock.clone(),
    )
    .with_invite_secret(app.invite_secret());
    let context = lambda_runtime::Context::default();
    let response = outbox_sender::handler(
        &sender,
        lambda_runtime::LambdaEvent::new(event.clone(), context.clone()),
    )
    .await;
    assert!(response.batch_item_failures.is_empty());
    let sent = shared::mail::FolderOutbox::new(dir.path().join("outbox"), from.clone())
        .messages()
        .expect("read");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].email.subject, "Welcome to Initech Staff");
    assert_eq!(sent[0].email.to, ["bob@contoso.com"]);

    // Streams deliver at least once: the same batch again sends nothing.
    let again =
        outbox_sender::handler(&sender, lambda_runtime::LambdaEvent::new(event, context)).await;
    assert!(again.batch_item_failures.is_empty());
    assert_eq!(
        shared::mail::FolderOutbox::new(dir.path().join("outbox"), from)
            .messages()
            .expect("read")
            .len(),
        1
    );
}

#[tokio::test]
async fn membership_events_with_unknown_tokens_or_groups_are_404_problems() {
    let app = spawn_app().await;
    for (name, response) in [
        (
            "preview-invitation",
            preview_invitation::handler(&app.deps, event("preview-invitation.json")).await,
        ),
        (
            "join-group",
            join_group::handler(&app.deps, event("join-group.json")).await,
        ),
        (
            "create-invitations",
            create_invitations::handler(&app.deps, event("create-invitations.json")).await,
        ),
    ] {
        assert_eq!(response.status(), 404, "{name}: {:?}", json(&response));
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
    }
}

/// Log lines captured from a JSON subscriber, as CloudWatch would keep them.
#[derive(Clone, Default)]
struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    fn lines(&self) -> Vec<Value> {
        let bytes = self.0.lock().expect("logs").clone();
        String::from_utf8(bytes)
            .expect("utf-8 logs")
            .lines()
            .map(|l| serde_json::from_str(l).expect("each log line is JSON"))
            .collect()
    }
}

#[tokio::test]
async fn a_refused_request_is_logged_with_its_group_account_status_and_problem() {
    let app = spawn_app().await;
    let alice = fixtures_caller();
    let gid = fixtures_group(&app).await;
    app.mark_dissolved(&gid.to_string()).await;

    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let response = {
        let _default = tracing::subscriber::set_default(subscriber);
        update_group::handler(&app.deps, event("update-group.json")).await
    };

    assert_eq!(response.status(), 409, "{:?}", json(&response));
    let lines = logs.lines();
    let handled = lines
        .iter()
        .find(|l| l["fields"]["message"] == "request handled")
        .unwrap_or_else(|| panic!("no outcome line in {lines:#?}"));
    assert_eq!(handled["fields"]["status"], 409);
    assert_eq!(handled["fields"]["problem"], "group-dissolved");
    let span = &handled["span"];
    assert_eq!(span["name"], "request");
    assert_eq!(span["operation"], "update-group");
    assert_eq!(span["group_id"], gid.to_string());
    assert_eq!(span["account_id"], alice.account_id.to_string());
    assert_eq!(span["problem"], "group-dissolved");
    let text = serde_json::to_string(&lines).expect("json");
    assert!(
        !text.contains("alice@initech.com"),
        "no email address is logged"
    );
}

fn fixture<T: serde::de::DeserializeOwned>(path: &str) -> T {
    let path = format!("{}/../events/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Alice, the caller the API Gateway fixtures carry.
fn fixtures_caller() -> shared::identity::Caller {
    shared::identity::Caller {
        account_id: shared::model::AccountId::parse("sub", "0b6e2f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b")
            .expect("id"),
        email: shared::model::EmailAddress::parse("email", "alice@initech.com").expect("email"),
        email_verified: true,
        sign_in: shared::identity::SignIn::Password,
    }
}

/// The group the fixtures name, created for alice.
async fn fixtures_group(app: &e2e::TestApp) -> shared::model::GroupId {
    let alice = fixtures_caller();
    let gid = shared::model::GroupId::parse("g", "0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f")
        .expect("the fixtures' group");
    let now = time::OffsetDateTime::now_utc();
    let new: shared::model::NewGroup = shared::api::CreateGroupRequest::deserialize(
        serde_json::json!({"name": "Initech", "products": ["computerBackup"], "managed": false}),
    )
    .expect("request")
    .try_into()
    .expect("valid");
    let group = new.into_group(gid, alice.account_id.clone(), alice.email.clone(), now);
    app.repo()
        .create_group(
            &group,
            &group
                .join_policy
                .auto_accept_domains
                .iter()
                .map(|d| shared::model::DomainProof::new(group.id, d.clone(), now))
                .collect::<Vec<_>>(),
            &alice,
            &shared::model::Billing::new(now, Default::default()),
            1,
            None,
            now,
        )
        .await
        .expect("group");
    gid
}

#[tokio::test]
async fn a_check_in_event_stores_the_computer_and_the_synopsis_counts_it() {
    let app = spawn_app().await;
    let gid = fixtures_group(&app).await;
    // Alice, the fixtures' caller, is a member too ("Add Myself").
    let alice = fixtures_caller();
    let now = time::OffsetDateTime::now_utc();
    let membership = shared::repo::NewMembership {
        group_id: gid,
        member: shared::model::Member {
            account_id: alice.account_id.clone(),
            email: alice.email.clone(),
            region: shared::model::Region::UsWest,
            joined_at: now,
            managed_access_accepted: false,
            version_history_accepted: false,
        },
        account: shared::repo::AccountRef::Caller(&alice),
        joining: None,
        spend: None,
        admin: Some(&alice.account_id),
        approves_request: false,
        proven_domain: None,
        outbox: vec![],
    };
    app.repo()
        .create_membership(&membership, 5_000, None, now)
        .await
        .expect("member");
    let checked_in = check_in_computer::handler(&app.deps, event("check-in-computer.json")).await;
    assert!(
        [200, 201].contains(&checked_in.status().as_u16()),
        "{:?}",
        json(&checked_in)
    );
    let synopsis = get_synopsis::handler(&app.deps, event("get-synopsis.json")).await;
    assert_eq!(synopsis.status(), 200, "{:?}", json(&synopsis));
    assert_eq!(json(&synopsis)["computers"], 1);
}

#[tokio::test]
async fn the_schedule_and_job_events_record_usage_and_dissolve_a_group() {
    use aws_lambda_events::event::sqs::SqsEvent;
    let app = spawn_app().await;
    let gid = fixtures_group(&app).await;

    let run: schedule_usage::ScheduledRun = fixture("scheduler/usage.json");
    let scheduled = schedule_usage::handler(&app.deps, run)
        .await
        .expect("scheduled");
    assert_eq!(scheduled.jobs, 1);

    let context = lambda_runtime::Context::default();
    let usage: SqsEvent = fixture("sqs/record-usage.json");
    let response = record_usage::handler(
        &app.deps,
        lambda_runtime::LambdaEvent::new(usage, context.clone()),
    )
    .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let day = time::macros::date!(2026 - 11 - 27);
    let recorded = app
        .repo()
        .group_usage_between(&gid, day, day)
        .await
        .expect("usage");
    assert_eq!(recorded.len(), 1, "the fixture's day is recorded");

    // Not confirmed: the dissolution job has nothing to do, and says so by
    // succeeding (a late or stray message must not loop).
    let dissolve: SqsEvent = fixture("sqs/dissolve-group.json");
    let response = dissolve_group::handler(
        &app.deps,
        lambda_runtime::LambdaEvent::new(dissolve.clone(), context.clone()),
    )
    .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");
    let group = app
        .repo()
        .get_group(&gid)
        .await
        .expect("read")
        .expect("group");
    assert_eq!(group.status, shared::model::GroupStatus::Active);

    // A snapshot job for a snapshot that is gone (expired, say) succeeds
    // without doing anything; the same message with an S3 outage would fail.
    let snapshot: SqsEvent = fixture("sqs/build-snapshot.json");
    let response = build_snapshot::handler(
        &app.deps,
        lambda_runtime::LambdaEvent::new(snapshot, context.clone()),
    )
    .await;
    assert!(response.batch_item_failures.is_empty(), "{response:?}");

    // A message that is not a job is reported failed, to end in the DLQ.
    let mut junk = dissolve;
    junk.records[0].body = Some("{\"job\":\"mystery\"}".into());
    let response =
        dissolve_group::handler(&app.deps, lambda_runtime::LambdaEvent::new(junk, context)).await;
    assert_eq!(response.batch_item_failures.len(), 1);
}
