//! Each function's IAM policy in `infra/template.yaml` is exactly what its
//! code is seen to call (tests/src/iam.rs), both ways: nothing called that
//! is not granted (AccessDenied in AWS, which no stand-in checks), nothing
//! granted that is never called.
//!
//! One scenario runs every function of the template and records the AWS
//! requests each sends: every HTTP route through the local gateway, on its
//! success, replay and refusal paths (an idempotent retry, a refused retry
//! that replays, a link or an invitation spent: each sends other requests);
//! the outbox sender with its real SES v2, EventBridge and SQS adapters on
//! moto; the usage schedule; and the job workers on the messages the sender
//! queued, as their SQS event source would hand them over (a dissolution
//! first out of time, so it leaves a continuation job).
//!
//! Needs `MOTO_ENDPOINT` (`scripts/test` sets it); without it the test fails.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use e2e::iam::{Finding, Resource, Statement, template};
use e2e::{Reply, TestApp};
use serde_json::{Value, json};
use shared::delivery::{Backoff, OutboxSender};
use shared::jobs::JobKind;
use standins::calls::{Access, as_function};

fn moto_endpoint() -> String {
    match std::env::var("MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
        _ => panic!("MOTO_ENDPOINT is not set: run ./scripts/moto start (scripts/test does this)"),
    }
}

/// The outbox sender as deployed (SES v2, EventBridge, one SQS queue per
/// kind of job), on moto, its clients recorded like the table's; and a
/// client for the job queues that plays the workers' event source.
struct Delivery {
    sender: OutboxSender,
    sqs: aws_sdk_sqs::Client,
    queues: HashMap<JobKind, String>,
}

impl Delivery {
    async fn on_moto(app: &TestApp) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(moto_endpoint())
            .region("us-east-1")
            .credentials_provider(aws_sdk_sqs::config::Credentials::new(
                "test", "test", None, None, "static",
            ))
            .load()
            .await;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let sender_address = format!("groups-{suffix}@example.com");
        let ses = aws_sdk_sesv2::Client::new(&config);
        ses.create_email_identity()
            .email_identity(&sender_address)
            .send()
            .await
            .expect("moto: CreateEmailIdentity");
        let events = aws_sdk_eventbridge::Client::new(&config);
        let bus = format!("groups-{suffix}");
        events
            .create_event_bus()
            .name(&bus)
            .send()
            .await
            .expect("moto: CreateEventBus");
        let sqs = aws_sdk_sqs::Client::new(&config);
        let mut queues = HashMap::new();
        for kind in JobKind::ALL {
            let url = sqs
                .create_queue()
                .queue_name(format!("{}-{suffix}", kind.name()))
                .send()
                .await
                .expect("moto: CreateQueue")
                .queue_url
                .expect("queue url");
            queues.insert(kind, url);
        }
        let recorded_ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&config)
                .interceptor(app.calls.clone())
                .build(),
        );
        let recorded_events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&config)
                .interceptor(app.calls.clone())
                .build(),
        );
        let recorded_sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&config)
                .interceptor(app.calls.clone())
                .build(),
        );
        let from = shared::model::EmailAddress::parse("from", &sender_address).expect("address");
        let sender = OutboxSender::new(
            app.deps.repo.clone(),
            Arc::new(shared::mail::SesMailer::new(recorded_ses, from, None)),
            Arc::new(shared::events::EventBridgePublisher::new(
                recorded_events,
                bus,
            )),
            Arc::new(shared::jobs::queue::SqsJobs::new(
                recorded_sqs,
                queues.clone(),
            )),
            app.deps.clock.clone(),
        )
        .with_backoff(Backoff::immediate(2))
        .with_invite_secret(app.invite_secret())
        .with_reports(app.report_files());
        Self {
            sender,
            sqs,
            queues,
        }
    }

    /// Delivers the outbox, then hands each queue's messages to its worker
    /// as one SQS batch, whose invocation ends `seconds_left` from now;
    /// until no job is waiting, or after `most` batches. Returns the
    /// batches run.
    async fn deliver_and_work(&self, app: &TestApp, seconds_left: u64, most: usize) -> usize {
        let mut batches = 0;
        loop {
            if batches >= most {
                return batches;
            }
            app.deliver_outbox_with(&self.sender).await;
            let mut ran = false;
            for kind in JobKind::ALL {
                let url = &self.queues[&kind];
                let received = self
                    .sqs
                    .receive_message()
                    .queue_url(url)
                    .max_number_of_messages(10)
                    .send()
                    .await
                    .expect("moto: ReceiveMessage");
                let messages = received.messages.unwrap_or_default();
                if messages.is_empty() {
                    continue;
                }
                let records: Vec<Value> = messages
                    .iter()
                    .map(|m| json!({"messageId": m.message_id, "body": m.body, "eventSource": "aws:sqs"}))
                    .collect();
                let event: aws_lambda_events::event::sqs::SqsEvent =
                    serde_json::from_value(json!({ "Records": records })).expect("an SQS event");
                let mut context = lambda_runtime::Context::default();
                context.deadline = deadline_in(seconds_left);
                let invocation = lambda_runtime::LambdaEvent::new(event, context);
                let worker = template().job_worker(kind);
                let response = match kind {
                    JobKind::RecordUsage => {
                        as_function(worker, record_usage::handler(&app.deps, invocation)).await
                    }
                    JobKind::DissolveGroup => {
                        as_function(worker, dissolve_group::handler(&app.deps, invocation)).await
                    }
                    JobKind::BuildSnapshot => {
                        as_function(worker, build_snapshot::handler(&app.deps, invocation)).await
                    }
                    JobKind::Reports => {
                        as_function(worker, build_report::handler(&app.deps, invocation)).await
                    }
                };
                assert!(
                    response.batch_item_failures.is_empty(),
                    "{worker}: {response:?}"
                );
                for m in &messages {
                    self.sqs
                        .delete_message()
                        .queue_url(url)
                        .set_receipt_handle(m.receipt_handle.clone())
                        .send()
                        .await
                        .expect("moto: DeleteMessage");
                }
                ran = true;
                batches += 1;
            }
            if !ran {
                return batches;
            }
        }
    }
}

/// Lambda's deadline (epoch milliseconds) `seconds` from now.
fn deadline_in(seconds: u64) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    u64::try_from((now + std::time::Duration::from_secs(seconds)).as_millis()).unwrap_or(u64::MAX)
}

fn expect(reply: Reply, status: u16, what: &str) -> Reply {
    assert_eq!(reply.status, status, "{what}: {reply:?}");
    reply
}

/// Signing in (`GET /me`, or `PATCH /me` with `patch`) after an email
/// change: the old address released, the new one taken from a holder the
/// identity provider no longer knows (moto's pool has no such user), then
/// from a holder whose stored address moved on.
async fn signing_in_moves_the_email(app: &TestApp, patch: bool) {
    let who = if patch { "ivy" } else { "hal" };
    let sign_in = |token: String| async move {
        if patch {
            app.patch("/me", &token, json!({"backupSummaryEmails": true}))
                .await
        } else {
            app.get("/me", &token).await
        }
    };
    let old = format!("{who}@initech.com");
    let new = format!("{who}.new@initech.com");
    let first = local::auth::local_subject(&old);
    expect(sign_in(app.token(&old)).await, 200, "sign in");
    expect(
        sign_in(app.token_as(&first, &new)).await,
        200,
        "sign in after an email change",
    );
    let second = format!("{who}-2");
    expect(
        sign_in(app.token_as(&second, &new)).await,
        200,
        "sign in with an address its holder no longer signs in with",
    );
    app.set_attributes(
        &format!("ACCOUNT#{second}"),
        "ACCOUNT",
        &[(
            "email",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{who}@elsewhere.example")),
        )],
    )
    .await;
    expect(
        sign_in(app.token_as(&format!("{who}-3"), &new)).await,
        200,
        "sign in with an address whose holder moved on",
    );
}

/// The token of the (not yet delivered) invitation email to `email`.
async fn invitation_token(app: &TestApp, email: &str) -> String {
    let items = app.items().await;
    let outbox_email = items
        .iter()
        .map(|item| format!("{item:?}"))
        .filter(|text| text.contains("Outbox") && text.contains(email))
        .find_map(|text| {
            let start = text.find("/invitations/")? + "/invitations/".len();
            Some(
                text[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect::<String>(),
            )
        });
    let seal =
        outbox_email.unwrap_or_else(|| panic!("no invitation email to {email} in the outbox"));
    // The outbox holds the token's seal; the sender's secret opens it.
    let seal: shared::model::TokenSeal = serde_json::from_value(json!(seal)).expect("a seal");
    shared::model::InviteToken::unseal(&seal, &app.invite_secret())
        .expect("the seal opens with the app's secret")
        .reveal()
        .to_owned()
}

/// Runs every function of the template, and returns what each called.
async fn every_function_runs(app: &TestApp, cognito: &e2e::CognitoOnMoto) -> BTreeSet<Access> {
    let delivery = Delivery::on_moto(app).await;
    let alice = app.token("alice@initech.com");
    let with_key = |key: &'static str| [("idempotency-key", key)];

    // Groups and admins.
    let new_group = json!({"name": "Initech", "products": ["computerBackup", "b2"], "managed": true,
                           "joinPolicy": {"approval": "autoApproveAll"}});
    let created = expect(
        app.call(
            "POST",
            "/groups",
            Some(&alice),
            Some(&new_group),
            &with_key("g"),
        )
        .await,
        201,
        "create group",
    );
    expect(
        app.call(
            "POST",
            "/groups",
            Some(&alice),
            Some(&new_group),
            &with_key("g"),
        )
        .await,
        201,
        "create group, replayed",
    );
    let other = json!({"name": "Other", "products": ["b2"], "managed": false});
    expect(
        app.call(
            "POST",
            "/groups",
            Some(&alice),
            Some(&other),
            &with_key("g"),
        )
        .await,
        422,
        "create group, key reused",
    );
    let gid = created.body["id"].as_str().expect("id").to_owned();
    let g = format!("/groups/{gid}");
    expect(app.get(&g, &alice).await, 200, "get group");
    expect(
        app.get(&format!("/groups/{}", uuid::Uuid::now_v7()), &alice)
            .await,
        404,
        "get a missing group",
    );
    expect(app.get("/groups", &alice).await, 200, "list groups");
    expect(
        app.patch(&g, &alice, json!({"name": "Initech Staff"}))
            .await,
        200,
        "edit group",
    );
    app.sign_in("bob@initech.com").await;
    expect(
        app.get("/me", &app.unverified_token("zed@initech.com"))
            .await,
        200,
        "me, unverified",
    );
    expect(
        app.patch("/me", &alice, json!({"backupSummaryEmails": false}))
            .await,
        200,
        "opt out of summary emails",
    );
    expect(
        app.patch("/me", &app.token("yan@initech.com"), json!({}))
            .await,
        400,
        "change nothing of my account",
    );
    expect(
        app.patch(
            "/me",
            &app.token("yan@initech.com"),
            json!({"backupSummaryEmails": true}),
        )
        .await,
        200,
        "opt back in, on first use",
    );
    for patch in [false, true] {
        signing_in_moves_the_email(app, patch).await;
    }
    let admins = format!("{g}/admins");
    let add_bob = json!({"email": "bob@initech.com"});
    expect(
        app.call(
            "POST",
            &admins,
            Some(&alice),
            Some(&add_bob),
            &with_key("admin"),
        )
        .await,
        201,
        "add admin",
    );
    expect(
        app.call(
            "POST",
            &admins,
            Some(&alice),
            Some(&add_bob),
            &with_key("admin"),
        )
        .await,
        201,
        "add admin, replayed",
    );
    expect(
        app.post(&admins, &alice, json!({"email": "nobody@initech.com"}))
            .await,
        400,
        "add an admin without an account",
    );
    let bob_id = local::auth::local_subject("bob@initech.com");
    let alice_id = local::auth::local_subject("alice@initech.com");
    expect(
        app.delete(&format!("{admins}/{bob_id}"), &alice).await,
        204,
        "remove admin",
    );
    expect(
        app.delete(&format!("{admins}/{alice_id}"), &alice).await,
        409,
        "remove the last admin",
    );

    // The invite link and email invitations.
    let link = format!("{g}/invite-link");
    expect(app.post(&link, &alice, json!({})).await, 201, "create link");
    let rotated = expect(app.post(&link, &alice, json!({})).await, 201, "rotate link");
    let link_token = rotated.body["token"].as_str().expect("token").to_owned();
    expect(app.get(&link, &alice).await, 200, "link state");
    let invitations = format!("{g}/invitations");
    let invite = json!({"emails": ["sam@contoso.com", "tom@contoso.com"]});
    expect(
        app.call(
            "POST",
            &invitations,
            Some(&alice),
            Some(&invite),
            &with_key("invite"),
        )
        .await,
        200,
        "invite",
    );
    expect(
        app.call(
            "POST",
            &invitations,
            Some(&alice),
            Some(&invite),
            &with_key("invite"),
        )
        .await,
        200,
        "invite, replayed",
    );
    let again = expect(
        app.post(&invitations, &alice, invite.clone()).await,
        200,
        "invite the invited again",
    );
    assert_eq!(again.body["rejected"].as_array().map(Vec::len), Some(2));
    expect(app.get(&invitations, &alice).await, 200, "list invitations");
    let resend = format!("{invitations}/tom@contoso.com/resend");
    app.clock.advance(time::Duration::hours(1)); // resends: at most hourly
    expect(
        app.call(
            "POST",
            &resend,
            Some(&alice),
            Some(&json!({})),
            &with_key("resend"),
        )
        .await,
        200,
        "resend",
    );
    expect(
        app.call(
            "POST",
            &resend,
            Some(&alice),
            Some(&json!({})),
            &with_key("resend"),
        )
        .await,
        200,
        "resend, replayed",
    );
    expect(
        app.delete(&format!("{invitations}/tom@contoso.com"), &alice)
            .await,
        204,
        "revoke",
    );
    expect(
        app.delete(&format!("{invitations}/tom@contoso.com"), &alice)
            .await,
        404,
        "revoke again",
    );
    let sam_token = invitation_token(app, "sam@contoso.com").await;
    for token in [&link_token, &sam_token] {
        expect(
            app.call("GET", &format!("/invitations/{token}"), None, None, &[])
                .await,
            200,
            "preview",
        );
    }

    // A link disabled (and once more: nothing to disable), then a new one.
    expect(app.delete(&link, &alice).await, 204, "disable link");
    expect(app.delete(&link, &alice).await, 404, "disable it again");
    let rotated = expect(app.post(&link, &alice, json!({})).await, 201, "new link");
    let link_token = rotated.body["token"].as_str().expect("token").to_owned();

    // Joining: by link (a link is checked), by invitation (spent), retried.
    let accept = json!({"acceptManagedAccess": true, "region": "eu-central"});
    let carol = app.token("carol@contoso.com");
    let join_link = format!("/invitations/{link_token}/join");
    expect(
        app.call(
            "POST",
            &join_link,
            Some(&carol),
            Some(&accept),
            &with_key("join"),
        )
        .await,
        201,
        "join by link",
    );
    expect(
        app.call(
            "POST",
            &join_link,
            Some(&carol),
            Some(&accept),
            &with_key("join"),
        )
        .await,
        201,
        "join by link, replayed",
    );
    let sam = app.token("sam@contoso.com");
    let join_invitation = format!("/invitations/{sam_token}/join");
    expect(
        app.call(
            "POST",
            &join_invitation,
            Some(&sam),
            Some(&accept),
            &with_key("join"),
        )
        .await,
        201,
        "join by invitation",
    );
    expect(
        app.call(
            "POST",
            &join_invitation,
            Some(&sam),
            Some(&accept),
            &with_key("join"),
        )
        .await,
        201,
        "join by a spent invitation, retried: replayed",
    );
    expect(
        app.call(
            "POST",
            &join_invitation,
            Some(&carol),
            Some(&accept),
            &with_key("other"),
        )
        .await,
        409,
        "join by a spent invitation",
    );

    // Requests: the group now asks; one approved, one denied, each retried.
    expect(
        app.patch(
            &g,
            &alice,
            json!({"joinPolicy": {"approval": "restricted"}}),
        )
        .await,
        200,
        "restrict joining",
    );
    for who in ["dave@contoso.com", "erin@contoso.com"] {
        expect(
            app.post(&join_link, &app.token(who), accept.clone()).await,
            202,
            "request to join",
        );
    }
    expect(
        app.get(&format!("{g}/requests"), &alice).await,
        200,
        "list requests",
    );
    for (who, decision, status) in [
        ("dave@contoso.com", "approve", 200),
        ("erin@contoso.com", "deny", 204),
    ] {
        let path = format!(
            "{g}/requests/{}/{decision}",
            local::auth::local_subject(who)
        );
        let key = [("idempotency-key", path.as_str())];
        for attempt in ["first", "replayed after the request is gone"] {
            expect(
                app.call("POST", &path, Some(&alice), Some(&json!({})), &key)
                    .await,
                status,
                &format!("{decision} {attempt}"),
            );
        }
    }
    expect(
        app.get(&format!("{g}/members"), &alice).await,
        200,
        "list members",
    );
    let members = format!("{g}/members");
    let myself = json!({"region": "us-west"});
    expect(
        app.call(
            "POST",
            &members,
            Some(&alice),
            Some(&myself),
            &with_key("myself"),
        )
        .await,
        201,
        "add myself",
    );
    expect(
        app.call(
            "POST",
            &members,
            Some(&alice),
            Some(&myself),
            &with_key("myself"),
        )
        .await,
        201,
        "add myself, replayed",
    );
    let carol_id = local::auth::local_subject("carol@contoso.com");
    expect(
        app.delete(&format!("{members}/{carol_id}"), &alice).await,
        204,
        "remove member",
    );
    expect(
        app.delete(&format!("{members}/{carol_id}"), &alice).await,
        404,
        "remove a member again",
    );
    let dave = app.token("dave@contoso.com");
    expect(app.delete("/me/group", &dave).await, 204, "leave the group");
    expect(app.delete("/me/group", &dave).await, 404, "leave again");

    // Computers and buckets (alice is a member now).
    let computer = |alerts: usize| {
        let alerts: Vec<Value> = (0..alerts)
            .map(|i| json!({"kind": "backupOverdue", "since": "2026-11-01T00:00:00Z", "detail": format!("alert {i}")}))
            .collect();
        json!({"name": "pc", "os": "macOS", "clientVersion": "9", "selectedBytes": 1,
               "filesRemaining": 0, "alerts": alerts})
    };
    let pc = "/me/computers/pc-1";
    expect(
        app.call("PUT", pc, Some(&alice), Some(&computer(0)), &[])
            .await,
        201,
        "check in a new computer",
    );
    expect(
        app.call("PUT", pc, Some(&alice), Some(&computer(0)), &[])
            .await,
        200,
        "routine check-in",
    );
    expect(
        app.call("PUT", pc, Some(&alice), Some(&computer(2)), &[])
            .await,
        200,
        "check-in raising alerts",
    );
    expect(app.get("/me/computers", &alice).await, 200, "my computers");
    expect(
        app.get(&format!("{g}/synopsis"), &alice).await,
        200,
        "synopsis",
    );
    expect(
        app.get(&format!("{g}/computers"), &alice).await,
        200,
        "group computers",
    );
    expect(
        app.get(&format!("{members}/{alice_id}/computers/pc-1"), &alice)
            .await,
        200,
        "computer details",
    );
    expect(app.delete(pc, &alice).await, 204, "retire computer");
    expect(app.delete(pc, &alice).await, 404, "retire it again");
    let bucket = json!({"name": "alice-photos"});
    expect(
        app.call(
            "POST",
            "/me/buckets",
            Some(&alice),
            Some(&bucket),
            &with_key("bucket"),
        )
        .await,
        201,
        "create bucket",
    );
    expect(
        app.call(
            "POST",
            "/me/buckets",
            Some(&alice),
            Some(&bucket),
            &with_key("bucket"),
        )
        .await,
        201,
        "create bucket, replayed",
    );
    expect(app.get("/me/buckets", &alice).await, 200, "my buckets");
    expect(
        app.delete("/me/buckets/alice-photos", &alice).await,
        204,
        "delete bucket",
    );

    // Managed access: frank's files in alice's second (managed) group. The
    // presigned URLs are signed at the app's clock and S3 checks them at the
    // real one: bring the clock (moved on by the steps above) back.
    app.clock
        .advance(time::OffsetDateTime::now_utc() - shared::clock::Clock::now(&app.clock));
    let (mg, _) = app
        .group_with_members(true, &["frank@initech.com".to_owned()])
        .await;
    let frank = app.token("frank@initech.com");
    let frank_id = local::auth::local_subject("frank@initech.com");
    expect(
        app.post("/me/buckets", &frank, json!({"name": "frank-files"}))
            .await,
        201,
        "frank's bucket",
    );
    for path in ["docs/a.txt", "docs/b.txt"] {
        expect(
            app.upload(&frank, "frank-files", path, b"bytes").await,
            200,
            "upload and confirm",
        );
    }
    let uploads = "/me/buckets/frank-files/uploads";
    let early = json!({"path": "docs/c.txt", "size": 3});
    let handed = expect(
        app.call("POST", uploads, Some(&frank), Some(&early), &with_key("up"))
            .await,
        201,
        "upload URL",
    );
    expect(
        app.call("POST", uploads, Some(&frank), Some(&early), &with_key("up"))
            .await,
        201,
        "upload URL, replayed",
    );
    let early_id = handed.body["uploadId"].as_str().expect("id");
    expect(
        app.call(
            "POST",
            &format!("{uploads}/{early_id}/complete"),
            Some(&frank),
            Some(&json!({})),
            &with_key("complete"),
        )
        .await,
        409,
        "confirm before the bytes (a refusal with a key looks for a first reply)",
    );
    expect(
        app.get("/me/buckets/frank-files/files?prefix=docs/", &frank)
            .await,
        200,
        "my files",
    );
    let doc = "/me/buckets/frank-files/files?path=docs/b.txt";
    expect(app.delete(doc, &frank).await, 204, "delete my file");
    expect(app.delete(doc, &frank).await, 404, "delete it again");
    let acting = format!("/groups/{mg}/members/{frank_id}");
    expect(
        app.get(&format!("{acting}/buckets"), &alice).await,
        200,
        "member buckets",
    );
    expect(
        app.get(&format!("{acting}/buckets/frank-files/files"), &alice)
            .await,
        200,
        "member files",
    );
    expect(
        app.get(&format!("{acting}/buckets"), &frank).await,
        404,
        "member buckets, as the member",
    );
    let snapshot = json!({"bucket": "frank-files", "paths": ["docs/"]});
    let asked = expect(
        app.call(
            "POST",
            &format!("{acting}/snapshots"),
            Some(&alice),
            Some(&snapshot),
            &with_key("snap"),
        )
        .await,
        202,
        "ask for a snapshot",
    );
    expect(
        app.call(
            "POST",
            &format!("{acting}/snapshots"),
            Some(&alice),
            Some(&snapshot),
            &with_key("snap"),
        )
        .await,
        202,
        "ask for a snapshot, replayed",
    );
    let sid = asked.body["id"].as_str().expect("id").to_owned();
    // A build that crashed midway left its multipart upload: the job aborts it.
    let account = shared::model::AccountId::parse("aid", &frank_id).expect("id");
    let snapshot_id: uuid::Uuid = sid.parse().expect("uuid");
    let stranded = app
        .standins
        .s3()
        .create_multipart_upload()
        .bucket(standins::SNAPSHOTS_BUCKET)
        .key(format!("{frank_id}/{sid}.zip"))
        .send()
        .await
        .expect("a stranded upload");
    app.repo()
        .set_snapshot_upload(&account, &snapshot_id, stranded.upload_id())
        .await
        .expect("noted");
    delivery.deliver_and_work(app, 600, usize::MAX).await;
    let snapshots = format!("{acting}/snapshots");
    expect(app.get(&snapshots, &alice).await, 200, "member snapshots");
    let built = expect(
        app.get(&format!("{snapshots}/{sid}"), &alice).await,
        200,
        "one snapshot",
    );
    assert_eq!(built.body["state"], "ready", "{built:?}");
    expect(
        app.post(&format!("{snapshots}/{sid}/download"), &alice, json!({}))
            .await,
        200,
        "download a snapshot",
    );
    let order = json!({"address": {"recipient": "Alice", "lines": ["1 Initech Way"], "city": "Austin",
                                   "postalCode": "78701", "country": "US"},
                       "paymentReference": "pi_1"});
    for what in ["order a USB drive", "order a USB drive, replayed"] {
        expect(
            app.call(
                "POST",
                &format!("{snapshots}/{sid}/usb-orders"),
                Some(&alice),
                Some(&order),
                &with_key("usb"),
            )
            .await,
            201,
            what,
        );
    }
    expect(app.get("/me/snapshots", &frank).await, 200, "my snapshots");

    // Changes on frank's behalf, checked by Cognito (on moto), codes by SNS.
    cognito.user("frank@initech.com", "Frank-Password-1").await;
    let changes = format!("{acting}/account-changes");
    expect(
        app.post(
            &changes,
            &alice,
            json!({"currentPassword": "Wrong-Password-1", "signIn": {"sms": false}}),
        )
        .await,
        403,
        "a wrong current password",
    );
    expect(
        app.post(
            &changes,
            &alice,
            json!({"currentPassword": "Frank-Password-1", "email": "frank@initech-new.com"}),
        )
        .await,
        202,
        "a new email (a code mailed to it)",
    );
    for body in [
        json!({"currentPassword": "Frank-Password-1", "newPassword": "Frank-Password-2"}),
        json!({"currentPassword": "Frank-Password-2", "signIn": {"sms": false}}),
    ] {
        expect(app.post(&changes, &alice, body).await, 200, "a change");
    }
    let phone = format!("+1415555{:04}", uuid::Uuid::new_v4().as_u128() % 10_000);
    expect(
        app.post(
            &changes,
            &alice,
            json!({"currentPassword": "Frank-Password-2", "phone": phone}),
        )
        .await,
        202,
        "a new phone",
    );
    let texts = cognito.texts_to(&phone).await;
    let code: String = texts
        .last()
        .expect("a code texted")
        .chars()
        .filter(char::is_ascii_digit)
        .take(6)
        .collect();
    let verification = format!("{acting}/contact-verification");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    expect(
        app.post(&verification, &alice, json!({"code": wrong}))
            .await,
        403,
        "a wrong code",
    );
    expect(
        app.post(&verification, &alice, json!({"code": code})).await,
        200,
        "the right code",
    );
    expect(app.get("/me/audit", &frank).await, 200, "my audit");
    expect(
        app.get(&format!("/groups/{mg}/audit"), &alice).await,
        200,
        "group audit",
    );

    // Billing, the usage schedule and its jobs.
    expect(
        app.get(&format!("{g}/billing"), &alice).await,
        200,
        "billing",
    );
    expect(
        app.call(
            "PUT",
            &format!("{g}/billing/payment-method"),
            Some(&alice),
            Some(&json!({"reference": "pm_123", "last4": "4242"})),
            &[],
        )
        .await,
        200,
        "set payment method",
    );
    delivery.deliver_and_work(app, 600, usize::MAX).await;
    let run: schedule_usage::ScheduledRun = serde_json::from_value(json!({
        "schedule": "usage",
        "scheduledTime": "2026-11-27T00:10:00Z",
    }))
    .expect("a scheduled run");
    as_function("schedule-usage", schedule_usage::handler(&app.deps, run))
        .await
        .expect("schedule");
    assert_eq!(
        delivery.deliver_and_work(app, 600, usize::MAX).await,
        1,
        "one usage batch"
    );

    // Reports: asked for (again while it is built: the pending one is read
    // back), refused before it is built, built by build-report, listed and
    // downloaded; then the weekly schedule with the CSV attached (raw MIME,
    // the CSV read from the reports bucket) and the members' summaries.
    let reports = format!("{g}/reports");
    let asked = expect(
        app.post(&reports, &alice, json!({})).await,
        202,
        "ask for a report",
    );
    expect(
        app.post(&reports, &alice, json!({})).await,
        202,
        "ask again while it is built",
    );
    let day = asked.body["period"].as_str().expect("period").to_owned();
    let download = format!("{reports}/{day}/download");
    expect(
        app.post(&download, &alice, json!({})).await,
        409,
        "download before it is built",
    );
    delivery.deliver_and_work(app, 600, usize::MAX).await;
    expect(app.get(&reports, &alice).await, 200, "list reports");
    expect(
        app.post(&download, &alice, json!({})).await,
        200,
        "download a report",
    );
    // Asked for again once built: a build that crashed midway left its
    // multipart upload, which the rebuild aborts first.
    expect(
        app.post(&reports, &alice, json!({})).await,
        202,
        "ask for the report again",
    );
    let period = shared::model::ReportPeriod::parse(&day).expect("period");
    let report_group = shared::model::GroupId::parse("gid", &gid).expect("group id");
    let stranded = app
        .standins
        .s3()
        .create_multipart_upload()
        .bucket(standins::REPORTS_BUCKET)
        .key(shared::model::report_object_key(&report_group, &period))
        .send()
        .await
        .expect("a stranded upload");
    app.repo()
        .set_report_upload(&report_group, &period, stranded.upload_id())
        .await
        .expect("noted");
    delivery.deliver_and_work(app, 600, usize::MAX).await;
    expect(
        app.patch(
            &g,
            &alice,
            json!({"adminReportEmails": {"cadence": "weekly", "attachCsv": true}}),
        )
        .await,
        200,
        "attach the CSV to report emails",
    );
    let weekly: weekly_report::ScheduledRun = serde_json::from_value(json!({
        "schedule": "weekly",
        "scheduledTime": "2026-11-30T06:00:00Z",
    }))
    .expect("a scheduled run");
    as_function("weekly-report", weekly_report::handler(&app.deps, weekly))
        .await
        .expect("the weekly schedule");
    delivery.deliver_and_work(app, 600, usize::MAX).await;
    expect(
        app.patch(&g, &alice, json!({"memberSummaryEmails": "off"}))
            .await,
        200,
        "members' summaries off (off the schedule)",
    );

    // Domains: listed (their proofs made in the edit's write), one as
    // before proofs existed (its proof made by its first verification),
    // proven, then re-checked while served and once one is gone (suspended,
    // its admins emailed in the same write).
    expect(
        app.patch(
            &g,
            &alice,
            json!({"joinPolicy": {"autoAcceptDomains": ["initech.com", "initrode.com"]}}),
        )
        .await,
        200,
        "list two domains",
    );
    expect(
        app.get(&format!("{g}/domains"), &alice).await,
        200,
        "the domains and their records",
    );
    app.standins
        .dynamodb()
        .delete_item()
        .table_name(app.repo().table())
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("GROUP#{gid}")),
        )
        .key(
            "SK",
            aws_sdk_dynamodb::types::AttributeValue::S("DOMAIN#initrode.com".into()),
        )
        .send()
        .await
        .expect("the shape of a domain listed before proofs");
    expect(
        app.post(
            &format!("{g}/domains/initrode.com/verify"),
            &alice,
            json!({}),
        )
        .await,
        409,
        "a domain listed before proofs gets its record",
    );
    app.prove_domain(&gid, &alice, "initech.com").await;
    app.prove_domain(&gid, &alice, "initrode.com").await;
    let served = app.recheck_domains().await;
    assert_eq!(served.proven, 2, "{served:?}");
    let (gone, _) = app.domain_record(&gid, &alice, "initrode.com").await;
    app.dns.records.remove(&gone);
    let suspended = app.recheck_domains().await;
    assert_eq!(suspended.suspended, 1, "{suspended:?}");
    delivery.deliver_and_work(app, 600, usize::MAX).await;

    // The sweep: an email, an event and a job the stream "missed" (written
    // straight to the table, half an hour ago), delivered on schedule; and
    // a report email with its CSV attached.
    let long_ago = shared::clock::Clock::now(&app.clock) - time::Duration::minutes(30);
    let group_id = shared::model::GroupId::parse("gid", &gid).expect("group id");
    let stranded = [
        shared::outbox::OutboxItem::email(
            shared::outbox::OutboxEmail {
                to: vec![
                    shared::model::EmailAddress::parse("to", "alice@initech.com").expect("address"),
                ],
                subject: "A stranded notice".into(),
                text: "Delivered by the sweep.".into(),
                html: "<p>Delivered by the sweep.</p>".into(),
                seal: None,
                report: None,
            },
            long_ago,
        ),
        shared::outbox::OutboxItem::event(shared::outbox::MembershipEvent {
            change: shared::outbox::MembershipChange::Joined,
            group_id,
            account_id: None,
            email: None,
            actor: None,
            at: long_ago,
        }),
        shared::outbox::OutboxItem::job(
            shared::jobs::Job::RecordUsage {
                group_id,
                day: long_ago.date(),
            },
            long_ago,
        ),
        shared::outbox::OutboxItem::email(
            shared::outbox::OutboxEmail {
                to: vec![
                    shared::model::EmailAddress::parse("to", "alice@initech.com").expect("address"),
                ],
                subject: "A stranded report".into(),
                text: "Attached.".into(),
                html: "<p>Attached.</p>".into(),
                seal: None,
                report: Some(shared::outbox::ReportMail {
                    key: shared::model::report_object_key(
                        &group_id,
                        &shared::model::ReportPeriod::parse("2026-W49").expect("period"),
                    ),
                    file_name: "user-stats-2026-W49.csv".into(),
                    attach: true,
                }),
            },
            long_ago,
        ),
    ];
    for item in &stranded {
        app.repo().put_outbox_item(item).await.expect("outbox item");
    }
    let schedule_event = lambda_runtime::LambdaEvent::new(
        json!({"schedule": "outbox-sweep"}),
        lambda_runtime::Context::default(),
    );
    let report = as_function(
        "sweep-outbox",
        sweep_outbox::handler(&delivery.sender, schedule_event),
    )
    .await;
    assert_eq!((report.found, report.sent), (4, 4), "{report:?}");
    delivery.deliver_and_work(app, 600, usize::MAX).await;

    // Dissolution: previewed, confirmed (retried), then run out of time
    // first, so the job leaves a continuation that finishes it.
    let preview = expect(
        app.post(&format!("{g}/dissolution"), &alice, json!({}))
            .await,
        200,
        "preview dissolution",
    );
    let confirm = format!("{g}/dissolution/confirm");
    let wrong = json!({"confirmationToken": "not-the-token"});
    let refused = app
        .call(
            "POST",
            &confirm,
            Some(&alice),
            Some(&wrong),
            &with_key("dissolve"),
        )
        .await;
    assert!(
        refused.status >= 400,
        "confirm with a wrong token, with a key (a refusal looks for a first reply): {refused:?}"
    );
    let token = json!({"confirmationToken": preview.body["confirmationToken"]});
    let confirmed = app
        .call(
            "POST",
            &confirm,
            Some(&alice),
            Some(&token),
            &with_key("dissolve"),
        )
        .await;
    assert!(confirmed.status < 300, "confirm dissolution: {confirmed:?}");
    expect(
        app.call(
            "POST",
            &confirm,
            Some(&alice),
            Some(&token),
            &with_key("dissolve"),
        )
        .await,
        confirmed.status,
        "confirm dissolution, replayed",
    );
    // 20 s left: all of it is the margin the job keeps, so it stops at once.
    assert_eq!(delivery.deliver_and_work(app, 20, 1).await, 1);
    delivery.deliver_and_work(app, 600, usize::MAX).await;
    let group = app
        .repo()
        .get_group(&shared::model::GroupId::parse("g", &gid).expect("id"))
        .await
        .expect("read")
        .expect("group");
    assert_eq!(group.status, shared::model::GroupStatus::Dissolved);

    app.calls.take()
}

/// A copy of the template whose `function` statements are changed by `edit`.
fn edited(function: &str, edit: impl FnOnce(&mut Vec<Statement>)) -> e2e::iam::Template {
    let mut changed = template().clone();
    edit(
        &mut changed
            .functions
            .get_mut(function)
            .unwrap_or_else(|| panic!("no {function} in the template"))
            .statements,
    );
    changed
}

fn has(findings: &BTreeSet<Finding>, function: &str, action: &str) -> bool {
    findings
        .iter()
        .any(|f| f.function == function && f.action.contains(action))
}

#[tokio::test]
async fn every_policy_grants_exactly_what_its_function_calls() {
    let (app, cognito) = e2e::spawn_app_with_cognito(&moto_endpoint()).await;
    let accesses = every_function_runs(&app, &cognito).await;

    let findings = template().compare(&accesses);
    let functions: BTreeSet<&str> = accesses.iter().map(|a| &*a.function).collect();
    let actions: BTreeSet<(&str, &str)> = accesses
        .iter()
        .map(|a| (&*a.function, a.action.as_str()))
        .collect();
    eprintln!(
        "{} functions ran; {} (function, action) pairs checked against the template:",
        functions.len(),
        actions.len()
    );
    for function in &functions {
        let called: Vec<&str> = actions
            .iter()
            .filter(|(f, _)| f == function)
            .map(|(_, a)| *a)
            .collect();
        eprintln!("  {function}: {}", called.join(", "));
    }
    assert!(findings.is_empty(), "{findings}");

    // The comparison fails on a policy missing an action the code calls...
    let missing = edited("remove-member", |statements| {
        for s in statements {
            s.actions.retain(|a| a != "dynamodb:BatchGetItem");
        }
    })
    .compare(&accesses);
    assert!(
        has(&missing.missing, "remove-member", "dynamodb:BatchGetItem"),
        "{missing}"
    );
    // ... on one granting an action nothing calls...
    let unused = edited("get-group", |statements| {
        statements.push(Statement {
            actions: vec!["dynamodb:Scan".into()],
            resources: vec![Resource::Table],
            conditions: vec![],
        });
    })
    .compare(&accesses);
    assert!(
        has(&unused.unused, "get-group", "dynamodb:Scan"),
        "{unused}"
    );
    assert!(unused.missing.is_empty(), "{unused}");
    // ... and on partitions: one the code reads but the policy leaves out,
    // or one the policy allows but nothing touches.
    let narrowed = edited("preview-invitation", |statements| {
        for s in statements {
            for c in &mut s.conditions {
                c.values.retain(|v| !v.starts_with("TOKEN#"));
            }
        }
    })
    .compare(&accesses);
    assert!(
        has(
            &narrowed.missing,
            "preview-invitation",
            "dynamodb:BatchGetItem"
        ),
        "{narrowed}"
    );
    let widened = edited("outbox-sender", |statements| {
        for s in statements {
            for c in &mut s.conditions {
                c.values.push("ACCOUNT#*".into());
            }
        }
    })
    .compare(&accesses);
    assert!(
        widened
            .unused
            .iter()
            .any(|f| f.function == "outbox-sender" && f.detail.contains("ACCOUNT#*")),
        "{widened}"
    );
}
