//! One test harness: `spawn_app()` starts fresh embedded AWS stand-ins (a new
//! table per test, so tests run in parallel) and the local gateway on an
//! ephemeral port, and returns a client for it.

pub mod iam;

use std::sync::Arc;

use local::TokenKey;
use serde_json::Value;
use shared::Deps;
use shared::clock::FixedClock;
use shared::delivery::{Backoff, OutboxSender};
use shared::events::{FolderEvents, PublishedEvent};
use shared::jobs::queue::FolderJobs;
use shared::jobs::{Budget, Job, runner};
use shared::mail::{FolderOutbox, ParsedEml};
use shared::model::EmailAddress;
use shared::repo::Repository;
use standins::streams::{StartAt, StreamReader};
use standins::{Names, StandIns, Storage};

/// A running API with its stand-ins.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// Signs tokens the gateway accepts.
    pub key: TokenKey,
    /// The dependencies the handlers use (same table).
    pub deps: Arc<Deps>,
    /// The controllable clock behind `deps`.
    pub clock: FixedClock,
    /// The stand-ins (kept alive for the test).
    pub standins: StandIns,
    /// The DNS stand-in the handlers' resolver asks: tests publish and
    /// remove domain proof records through its `records`.
    pub dns: standins::dns::DnsServer,
    /// The table's stream, read as the outbox sender's event source would
    /// (none for [`spawn_app_without_stream`]).
    stream: Option<tokio::sync::Mutex<StreamReader>>,
    /// Where delivered emails (`.eml`) and events land.
    mail_dir: tempfile::TempDir,
    /// Every DynamoDB request the handlers (and the outbox sender) sent.
    pub requests: standins::counting::RequestCounter,
    /// The IAM authorisations of every request a function's code sent
    /// (handlers behind the gateway, the outbox sender, the job workers):
    /// checked against the template's policies when the app is dropped.
    pub calls: standins::calls::CallRecorder,
}

/// Starts everything for one test, with the production limits.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(shared::deps::Settings::default()).await
}

/// Starts everything for one test with custom limits (e.g. a tiny group size).
pub async fn spawn_app_with(settings: shared::deps::Settings) -> TestApp {
    let standins = StandIns::start(Storage::Memory, Names::default())
        .await
        .expect("embedded stand-ins start");
    spawn_on(standins, settings, true).await
}

/// Starts everything on a table without a stream, for benchmarks that write
/// more than the emulator's stream bookkeeping handles in linear time (see
/// `StandIns::start_without_stream`); nothing is delivered from the outbox.
pub async fn spawn_app_without_stream() -> TestApp {
    let standins = StandIns::start_without_stream(Storage::Memory, Names::default())
        .await
        .expect("embedded stand-ins start");
    spawn_on(standins, shared::deps::Settings::default(), false).await
}

/// Starts everything with `fault` in the handlers' DynamoDB client: what
/// real DynamoDB does under load, which the emulator never does (arm it once
/// the test's data is in place).
pub async fn spawn_app_with_fault(fault: standins::faults::Fault) -> TestApp {
    let standins = StandIns::start(Storage::Memory, Names::default())
        .await
        .expect("embedded stand-ins start");
    spawn_on_client(
        standins,
        shared::deps::Settings::default(),
        true,
        Some(fault),
    )
    .await
}

async fn spawn_on(standins: StandIns, settings: shared::deps::Settings, stream: bool) -> TestApp {
    spawn_on_client(standins, settings, stream, None).await
}

/// A Cognito user pool and SNS on moto, standing in for the deployed
/// identity provider (the IAM scenario records their calls).
pub struct CognitoOnMoto {
    /// The admin client (for creating users).
    pub client: aws_sdk_cognitoidentityprovider::Client,
    /// The pool.
    pub pool_id: String,
    /// moto's endpoint, for reading back the texts it recorded.
    pub endpoint: String,
}

impl CognitoOnMoto {
    /// A user whose username is `email`'s local account id (as Cognito's
    /// generated usernames are the `sub`), with a permanent password.
    pub async fn user(&self, email: &str, password: &str) {
        let username = local::auth::local_subject(email);
        self.client
            .admin_create_user()
            .user_pool_id(&self.pool_id)
            .username(&username)
            .user_attributes(
                aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                    .name("email")
                    .value(email)
                    .build()
                    .expect("attribute"),
            )
            .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
            .send()
            .await
            .expect("moto: AdminCreateUser");
        self.client
            .admin_set_user_password()
            .user_pool_id(&self.pool_id)
            .username(&username)
            .password(password)
            .permanent(true)
            .send()
            .await
            .expect("moto: AdminSetUserPassword");
    }

    /// The texts moto's SNS recorded for `phone`, oldest first.
    pub async fn texts_to(&self, phone: &str) -> Vec<String> {
        let data: Value = reqwest::get(format!("{}/moto-api/data.json", self.endpoint))
            .await
            .expect("moto answers")
            .json()
            .await
            .expect("data.json");
        data["sns"]["SMS"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["phone_number"] == phone)
            .filter_map(|m| m["message"].as_str().map(str::to_owned))
            .collect()
    }
}

/// Starts everything with Cognito and SNS on moto (`moto_endpoint`) as the
/// identity provider and SMS sender, their calls recorded like the table's.
pub async fn spawn_app_with_cognito(moto_endpoint: &str) -> (TestApp, CognitoOnMoto) {
    let standins = StandIns::start(Storage::Memory, Names::default())
        .await
        .expect("embedded stand-ins start");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto_endpoint)
        .region("us-east-1")
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "static",
        ))
        .load()
        .await;
    let client = aws_sdk_cognitoidentityprovider::Client::new(&config);
    let pool_id = client
        .create_user_pool()
        .pool_name(format!("groups-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .expect("moto: CreateUserPool")
        .user_pool
        .and_then(|p| p.id)
        .expect("pool id");
    let client_id = client
        .create_user_pool_client()
        .user_pool_id(&pool_id)
        .client_name("groups")
        .explicit_auth_flows(
            aws_sdk_cognitoidentityprovider::types::ExplicitAuthFlowsType::AllowAdminUserPasswordAuth,
        )
        .send()
        .await
        .expect("moto: CreateUserPoolClient")
        .user_pool_client
        .and_then(|c| c.client_id)
        .expect("client id");
    let pool_for_port = pool_id.clone();
    let app = spawn_on_client_with(
        standins,
        shared::deps::Settings::default(),
        true,
        None,
        Some(Box::new(move |calls: &standins::calls::CallRecorder| {
            let cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(
                aws_sdk_cognitoidentityprovider::config::Builder::from(&config)
                    .interceptor(calls.clone())
                    .build(),
            );
            let sns = aws_sdk_sns::Client::from_conf(
                aws_sdk_sns::config::Builder::from(&config)
                    .interceptor(calls.clone())
                    .build(),
            );
            shared::deps::Identity {
                port: Arc::new(shared::credentials::CognitoIdentity::new(
                    cognito,
                    pool_for_port,
                    client_id,
                )),
                sms: Arc::new(shared::credentials::SnsSms::new(sns)),
            }
        })),
    )
    .await;
    (
        app,
        CognitoOnMoto {
            client,
            pool_id,
            endpoint: moto_endpoint.to_owned(),
        },
    )
}

async fn spawn_on_client(
    standins: StandIns,
    settings: shared::deps::Settings,
    stream: bool,
    fault: Option<standins::faults::Fault>,
) -> TestApp {
    spawn_on_client_with(standins, settings, stream, fault, None).await
}

/// Builds the identity provider of a test app from its call recorder.
type IdentityBuilder =
    Box<dyn FnOnce(&standins::calls::CallRecorder) -> shared::deps::Identity + Send>;

async fn spawn_on_client_with(
    standins: StandIns,
    settings: shared::deps::Settings,
    stream: bool,
    fault: Option<standins::faults::Fault>,
    identity: Option<IdentityBuilder>,
) -> TestApp {
    let clock = FixedClock::new(time::OffsetDateTime::now_utc());
    let requests = standins::counting::RequestCounter::default();
    let calls = standins::calls::CallRecorder::new(
        &standins::TableDefinition::from_template().expect("the template's table"),
    );
    let mut config = standins
        .dynamodb_config()
        .interceptor(requests.clone())
        .interceptor(calls.clone());
    if let Some(fault) = fault {
        // The SDK retries quickly, so a test reaches the end of its retries
        // in milliseconds.
        config = config
            .retry_config(standins::faults::quick_retries())
            .interceptor(fault);
    }
    let client = aws_sdk_dynamodb::Client::from_conf(config.build());
    let repo = Repository::new(client, standins.names.table.clone());
    let s3 = aws_sdk_s3::Client::from_conf(standins.s3_config().interceptor(calls.clone()).build());
    let mail_dir = tempfile::tempdir().expect("temp dir");
    // The local identity adapter stands for Cognito: its table reads are not
    // the deployed function's calls, so its client is not recorded.
    let unrecorded = Repository::new(
        aws_sdk_dynamodb::Client::from_conf(standins.dynamodb_config().build()),
        standins.names.table.clone(),
    );
    let identity = match identity {
        Some(build) => build(&calls),
        None => shared::deps::Identity {
            port: Arc::new(shared::credentials::LocalIdentity::new(
                unrecorded,
                Arc::new(clock.clone()),
            )),
            sms: Arc::new(shared::credentials::FolderSms::new(
                mail_dir.path().join("sms"),
            )),
        },
    };
    let dns = standins::dns::DnsServer::start(([127, 0, 0, 1], 0).into())
        .await
        .expect("the DNS stand-in starts");
    let deps = Arc::new(
        Deps::new(repo, Arc::new(clock.clone()), settings)
            .with_dns(shared::dns::TxtResolver::at(dns.addr))
            .with_identity(identity)
            .with_invite_secret(shared::model::InviteSecret::random())
            .with_files(
                shared::storage::FileStore::new(
                    s3,
                    Some(standins::DATA_BUCKET.into()),
                    Some(standins::SNAPSHOTS_BUCKET.into()),
                )
                .with_reports_bucket(standins::REPORTS_BUCKET),
            ),
    );
    let key = TokenKey::random();
    let app = local::app(deps.clone(), key.clone()).expect("gateway routes build");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move {
        let _ = local::serve_router(listener, app).await;
    });
    let stream = match stream {
        true => Some(tokio::sync::Mutex::new(
            StreamReader::open(&standins, StartAt::TrimHorizon)
                .await
                .expect("the table has a stream"),
        )),
        false => None,
    };
    TestApp {
        base_url: format!("http://{addr}"),
        http: reqwest::Client::new(),
        key,
        deps,
        clock,
        standins,
        dns,
        stream,
        mail_dir,
        requests,
        calls,
    }
}

/// Every test holds the functions it ran to their IAM policies: a call that
/// the function's policy in `infra/template.yaml` does not grant fails the
/// test, as AWS would refuse it (`tests/tests/iam.rs` checks the other way
/// too: nothing granted that is never called).
impl Drop for TestApp {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let findings = iam::template().ungranted(&self.calls.take());
        assert!(findings.is_empty(), "{findings}");
    }
}

/// A response's status and JSON body (Null when empty).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `content-type` header.
    pub content_type: String,
    /// Parsed body.
    pub body: Value,
    /// `retry-after` header, when the refusal lifts.
    pub retry_after: Option<String>,
}

impl TestApp {
    /// The secret the handlers seal invitation tokens with (the sender's).
    pub fn invite_secret(&self) -> shared::model::InviteSecret {
        self.deps
            .invite_secret
            .clone()
            .expect("the test app holds an invitation-token secret")
    }

    /// The join tokens in the invitation emails `email` received, oldest
    /// first (the outbox is delivered first).
    pub async fn emailed_tokens(&self, email: &str) -> Vec<String> {
        self.inbox(email)
            .await
            .iter()
            .filter_map(|m| {
                let start = m.text.find("/invitations/")? + "/invitations/".len();
                Some(
                    m.text[start..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                        .collect(),
                )
            })
            .collect()
    }

    /// A verified token for `email`.
    pub fn token(&self, email: &str) -> String {
        self.key
            .mint(email, true, time::Duration::hours(1))
            .expect("mint token")
    }

    /// A token of the account `sub`, signed in with the verified `email`.
    pub fn token_as(&self, sub: &str, email: &str) -> String {
        self.key
            .mint_as(sub, email, true, time::Duration::hours(1))
            .expect("mint token")
    }

    /// A token of the account `sub`, signed in with the unverified `email`.
    pub fn unverified_token_as(&self, sub: &str, email: &str) -> String {
        self.key
            .mint_as(sub, email, false, time::Duration::hours(1))
            .expect("mint token")
    }

    /// The local identity provider the app's functions ask (its pool of
    /// users is the credentials in the table).
    pub fn identity(&self) -> shared::credentials::LocalIdentity {
        shared::credentials::LocalIdentity::new(self.repo().clone(), Arc::new(self.clock.clone()))
    }

    /// A token whose email is not verified.
    pub fn unverified_token(&self, email: &str) -> String {
        self.key
            .mint(email, false, time::Duration::hours(1))
            .expect("mint token")
    }

    /// A verified token for `email` signed in through `provider` (as
    /// Cognito issues one to a user it federated): the account of
    /// [`local::auth::federated_subject`], not `email`'s password one.
    pub fn sso_token(&self, email: &str, provider: shared::model::SsoProvider) -> String {
        self.key
            .mint_signed_in(email, true, Some(provider), time::Duration::hours(1))
            .expect("mint token")
    }

    /// Sends a request with optional token, JSON body and extra headers.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request reaches the gateway");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = resp.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            content_type,
            body,
            retry_after,
        }
    }

    /// `GET` as `token`.
    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None, &[]).await
    }

    /// `POST` JSON as `token`.
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("POST", path, Some(token), Some(&body), &[]).await
    }

    /// `PATCH` JSON as `token`.
    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("PATCH", path, Some(token), Some(&body), &[])
            .await
    }

    /// `DELETE` as `token`.
    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.call("DELETE", path, Some(token), None, &[]).await
    }

    /// Creates a group as `token` and returns its id.
    pub async fn create_group(&self, token: &str, body: Value) -> String {
        let reply = self.post("/groups", token, body).await;
        assert_eq!(reply.status, 201, "create group: {reply:?}");
        reply.body["id"].as_str().expect("group id").to_owned()
    }

    /// A group of alice@initech.com's (products Computer Backup and B2,
    /// auto-approve) that every address in `members` joins through its
    /// link. Returns the group id and alice's token.
    pub async fn group_with_members(&self, managed: bool, members: &[String]) -> (String, String) {
        let alice = self.token("alice@initech.com");
        let gid = self
            .create_group(
                &alice,
                serde_json::json!({"name": "Initech", "products": ["computerBackup", "b2"],
                                   "managed": managed, "joinPolicy": {"approval": "autoApproveAll"}}),
            )
            .await;
        let link = self
            .post(
                &format!("/groups/{gid}/invite-link"),
                &alice,
                serde_json::json!({}),
            )
            .await;
        let token = link.body["token"].as_str().expect("token").to_owned();
        for email in members {
            let joined = self
                .post(
                    &format!("/invitations/{token}/join"),
                    &self.token(email),
                    serde_json::json!({"acceptManagedAccess": true, "region": "us-west"}),
                )
                .await;
            assert_eq!(joined.status, 201, "{email} joins: {joined:?}");
        }
        (gid, alice)
    }

    /// Uploads `bytes` as `path` of the caller's `bucket` the way a client
    /// does: a presigned URL from the API, the bytes PUT to S3 with its
    /// signed headers, then the confirmation. Returns the confirmation.
    pub async fn upload(&self, token: &str, bucket: &str, path: &str, bytes: &[u8]) -> Reply {
        let upload = self
            .post(
                &format!("/me/buckets/{bucket}/uploads"),
                token,
                serde_json::json!({"path": path, "size": bytes.len()}),
            )
            .await;
        assert_eq!(upload.status, 201, "upload URL for {path}: {upload:?}");
        let put = self
            .put_presigned(&upload.body["upload"], bytes.to_vec())
            .await;
        assert!(put.is_success(), "PUT {path} to S3: {put}");
        let id = upload.body["uploadId"].as_str().expect("upload id");
        self.post(
            &format!("/me/buckets/{bucket}/uploads/{id}/complete"),
            token,
            serde_json::json!({}),
        )
        .await
    }

    /// Makes a presigned request (`{method, url, headers}` as the API gives
    /// it) with `body`; returns S3's status.
    pub async fn put_presigned(&self, signed: &Value, body: Vec<u8>) -> reqwest::StatusCode {
        let method = signed["method"].as_str().expect("method");
        let mut req = self.http.request(
            reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
            signed["url"].as_str().expect("url"),
        );
        for (k, v) in signed["headers"].as_object().expect("headers") {
            req = req.header(k.as_str(), v.as_str().expect("header value"));
        }
        req.body(body).send().await.expect("S3 answers").status()
    }

    /// Gives `email`'s account a password in the local identity provider
    /// (what signing up does in Cognito).
    pub async fn set_password(&self, email: &str, password: &str) {
        let account = shared::model::AccountId::parse("sub", &local::auth::local_subject(email))
            .expect("account id");
        let address = shared::model::EmailAddress::parse("email", email).expect("email");
        self.identity()
            .provision(&account, &address, password)
            .await
            .expect("a password the policy accepts");
    }

    /// The texts sent to `phone` so far, oldest first.
    pub fn texts_to(&self, phone: &str) -> Vec<String> {
        shared::credentials::FolderSms::new(self.mail_dir.path().join("sms"))
            .messages()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.to.as_str() == phone)
            .map(|m| m.text)
            .collect()
    }

    /// Every item of the table (test only: a scan).
    pub async fn items(
        &self,
    ) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut items = Vec::new();
        let mut pages = self
            .repo()
            .client()
            .scan()
            .table_name(self.repo().table())
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            items.push(item.expect("scan (test only)"));
        }
        items
    }

    /// Signs `email` in once (`GET /me`) so an account exists for it.
    pub async fn sign_in(&self, email: &str) -> String {
        let token = self.token(email);
        let reply = self.get("/me", &token).await;
        assert_eq!(reply.status, 200, "sign in {email}: {reply:?}");
        token
    }

    fn folder_outbox(&self) -> FolderOutbox {
        let from = EmailAddress::parse("from", "no-reply@groups.example.com").expect("address");
        FolderOutbox::new(self.mail_dir.path().join("outbox"), from)
    }

    fn folder_events(&self) -> FolderEvents {
        FolderEvents::new(self.mail_dir.path().join("events"))
    }

    fn folder_jobs(&self) -> FolderJobs {
        FolderJobs::new(self.mail_dir.path().join("jobs"))
    }

    /// Runs the outbox sender over everything the stream holds so far, as
    /// the deployed stream mapping would, into the folder outbox, events and
    /// job queue.
    pub async fn deliver_outbox(&self) {
        let sender = OutboxSender::new(
            self.deps.repo.clone(),
            std::sync::Arc::new(self.folder_outbox()),
            std::sync::Arc::new(self.folder_events()),
            std::sync::Arc::new(self.folder_jobs()),
            self.deps.clock.clone(),
        )
        .with_backoff(Backoff::immediate(2))
        .with_invite_secret(self.invite_secret())
        .with_reports(self.report_files());
        self.deliver_outbox_with(&sender).await;
    }

    /// The reports bucket as the outbox sender is given it (attachments
    /// up to `REPORT_ATTACHMENT_MAX_BYTES`, as deployed).
    pub fn report_files(&self) -> shared::delivery::ReportFiles {
        shared::delivery::ReportFiles::from_env(
            self.deps
                .files
                .clone()
                .expect("the test app has a file store"),
        )
        .expect("report settings")
    }

    /// Runs `sender` (the outbox sender's code, with whatever adapters it
    /// was given) over everything the stream holds so far.
    pub async fn deliver_outbox_with(&self, sender: &OutboxSender) {
        let mut stream = self
            .stream
            .as_ref()
            .expect("this app has no stream to deliver from")
            .lock()
            .await;
        loop {
            let records = stream.next_batch().await.expect("stream readable");
            if records.is_empty() {
                break;
            }
            let failed = standins::calls::as_function(
                iam::template().outbox_sender(),
                sender.deliver_records(&records),
            )
            .await;
            assert!(failed.is_empty(), "outbox delivery failed for {failed:?}");
        }
    }

    /// Delivers the outbox and runs every job it queued (and every job those
    /// jobs queue), as the job Lambdas would; returns the jobs run.
    pub async fn run_jobs(&self) -> Vec<Job> {
        let mut ran = Vec::new();
        loop {
            self.deliver_outbox().await;
            let jobs = self.folder_jobs().take().expect("job folder readable");
            if jobs.is_empty() {
                return ran;
            }
            for job in jobs {
                standins::calls::as_function(
                    iam::template().job_worker(job.kind()),
                    runner::run(
                        &self.deps,
                        &job,
                        Budget::for_time(std::time::Duration::from_secs(600)),
                    ),
                )
                .await
                .unwrap_or_else(|e| panic!("job {job:?} failed: {e:?}"));
                ran.push(job);
            }
        }
    }

    /// Delivers the outbox and takes the jobs it queued, without running them.
    pub async fn queued_jobs(&self) -> Vec<Job> {
        self.deliver_outbox().await;
        self.folder_jobs().take().expect("job folder readable")
    }

    /// Delivers the outbox, then returns every email sent to `email`, in order.
    pub async fn inbox(&self, email: &str) -> Vec<ParsedEml> {
        self.deliver_outbox().await;
        self.folder_outbox()
            .messages()
            .expect("outbox readable")
            .into_iter()
            .map(|m| m.email)
            .filter(|m| m.to.iter().any(|to| to == email))
            .collect()
    }

    /// Delivers the outbox, then returns the membership events published so far.
    pub async fn events(&self) -> Vec<PublishedEvent> {
        self.deliver_outbox().await;
        self.folder_events().events().expect("events readable")
    }

    /// Marks a group dissolved directly in the table (dissolution itself is a
    /// later capability; this is the state its flow leaves behind).
    pub async fn mark_dissolved(&self, gid: &str) {
        use aws_sdk_dynamodb::types::AttributeValue;
        self.repo()
            .client()
            .update_item()
            .table_name(self.repo().table())
            .key("PK", AttributeValue::S(format!("GROUP#{gid}")))
            .key("SK", AttributeValue::S("GROUP".into()))
            .update_expression("SET #s = :d")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":d", AttributeValue::S("dissolved".into()))
            .send()
            .await
            .expect("mark dissolved");
    }

    /// The TXT record (name, value) that proves `domain` for group `gid`,
    /// as its admin (`admin`'s token) sees it in `GET /groups/{gid}/domains`.
    pub async fn domain_record(&self, gid: &str, admin: &str, domain: &str) -> (String, String) {
        let list = self.get(&format!("/groups/{gid}/domains"), admin).await;
        assert_eq!(list.status, 200, "list domains: {list:?}");
        let entry = list.body["domains"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["domain"] == domain)
            .unwrap_or_else(|| panic!("{domain} is not listed: {list:?}"));
        let record = &entry["record"];
        (
            record["name"].as_str().expect("record name").to_owned(),
            record["value"].as_str().expect("record value").to_owned(),
        )
    }

    /// Publishes `domain`'s proof record on the DNS stand-in and verifies
    /// it as `admin`: from then on its addresses join directly.
    pub async fn prove_domain(&self, gid: &str, admin: &str, domain: &str) {
        let (name, value) = self.domain_record(gid, admin, domain).await;
        self.dns.records.add_txt(&name, &value);
        let verified = self
            .post(
                &format!("/groups/{gid}/domains/{domain}/verify"),
                admin,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(verified.status, 200, "verify {domain}: {verified:?}");
        assert_eq!(verified.body["state"], "verified", "{verified:?}");
    }

    /// Runs the daily domain re-check as its schedule would (the clock a
    /// minute on, so what this test checked before counts as checked
    /// earlier).
    pub async fn recheck_domains(&self) -> shared::jobs::domains::Rechecked {
        self.clock.advance(time::Duration::minutes(1));
        let run: recheck_domains::ScheduledRun = serde_json::from_value(serde_json::json!({
            "schedule": "domains",
            "scheduledTime": "2026-11-27T03:30:00Z",
        }))
        .expect("a scheduled run");
        standins::calls::as_function(
            "recheck-domains",
            recheck_domains::handler(
                &self.deps,
                run,
                Budget::for_time(std::time::Duration::from_secs(60)),
            ),
        )
        .await
        .expect("the re-check runs")
    }

    /// The table's client, to inspect stored items.
    pub fn repo(&self) -> &Repository {
        &self.deps.repo
    }

    /// A fresh invite link of `gid` made by its admin `admin`: its token.
    pub async fn invite_link(&self, admin: &str, gid: &str) -> String {
        let reply = self
            .post(
                &format!("/groups/{gid}/invite-link"),
                admin,
                serde_json::json!({}),
            )
            .await;
        assert_eq!(reply.status, 201, "invite link: {reply:?}");
        reply.body["token"].as_str().expect("token").to_owned()
    }

    /// Overwrites attributes (dotted paths for nested ones) of the item
    /// `pk`/`sk` behind the service's
    /// back: the state an older release, an outside change or a corrupt
    /// write leaves, which no route would make.
    pub async fn set_attributes(
        &self,
        pk: &str,
        sk: &str,
        attributes: &[(&str, aws_sdk_dynamodb::types::AttributeValue)],
    ) {
        let mut update = self
            .repo()
            .client()
            .update_item()
            .table_name(self.repo().table())
            .key(
                "PK",
                aws_sdk_dynamodb::types::AttributeValue::S(pk.to_owned()),
            )
            .key(
                "SK",
                aws_sdk_dynamodb::types::AttributeValue::S(sk.to_owned()),
            );
        let mut sets = Vec::new();
        for (i, (path, value)) in attributes.iter().enumerate() {
            // A dotted path names a nested attribute (`joinPolicy.x`).
            let mut placeholders = Vec::new();
            for (k, name) in path.split('.').enumerate() {
                let placeholder = format!("#a{i}_{k}");
                update = update.expression_attribute_names(&placeholder, name);
                placeholders.push(placeholder);
            }
            sets.push(format!("{} = :v{i}", placeholders.join(".")));
            update = update.expression_attribute_values(format!(":v{i}"), value.clone());
        }
        update
            .update_expression(format!("SET {}", sets.join(", ")))
            .send()
            .await
            .expect("attributes overwritten");
    }
}
