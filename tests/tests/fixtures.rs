//! Every HTTP route of the template has a real API Gateway (HTTP API,
//! payload 2.0) event in `events/http/<function>.json`, the file
//! `cargo lambda invoke <function> --data-file` takes; each is checked to be
//! the event of its route and fed to its function's handler, against the
//! embedded stand-ins seeded with whatever its ids refer to, and the reply
//! is held to a status and the shape of its body.
//!
//! The fixtures share one cast: alice (`0b6e2f7a-…`, alice@initech.com)
//! administers group `0190a0b8-…` ("Initech"); bob (bob@initech.com) is
//! made an admin and removed; carol and dave (contoso.com) ask to join, erin
//! is a member (removed, or leaving); peter@contoso.com is invited by email; alice's computer is
//! `alice-macbook-7f3c` and her bucket `alice-photos`. Seeding goes through
//! the handlers themselves with events of the same kind wherever it can; only
//! what a handler cannot produce on demand (the group's fixed id, the invite
//! link token and dissolution token the fixtures carry) is written directly.

use std::collections::BTreeMap;
use std::path::PathBuf;

use e2e::{TestApp, spawn_app};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// A signed-in person, as the fixtures' Cognito claims name them.
#[derive(Clone, Copy)]
struct Person {
    sub: &'static str,
    email: &'static str,
}

const ALICE: Person = Person {
    sub: "0b6e2f7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b",
    email: "alice@initech.com",
};
const BOB: Person = Person {
    sub: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    email: "bob@initech.com",
};
const CAROL: Person = Person {
    sub: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    email: "carol@contoso.com",
};
const DAVE: Person = Person {
    sub: "9b2d5c1e-8f3a-4e6b-a7c9-1d0e2f3a4b5c",
    email: "dave@contoso.com",
};
const ERIN: Person = Person {
    sub: "5e8f1a2b-3c4d-4e6f-8a9b-1c2d3e4f5a6b",
    email: "erin@contoso.com",
};

/// The group every fixture names.
const GROUP: &str = "0190a0b8-7c6e-7a51-9b1e-1a2b3c4d5e6f";
/// The invite link token of `preview-invitation` and `join-group` (for GROUP).
const LINK_TOKEN: &str = "AZCguHxuelGbHhorPE1eb-_aKeBdLUwZzr9-HngcWDGhGiYI_bqES99Tvs7lxmNv";
/// The confirmation token `confirm-dissolution` carries.
const DISSOLUTION_TOKEN: &str = "dQw4w9WgXcQ-Initech-confirm-7Hk2pLm9Rt";
const COMPUTER: &str = "alice-macbook-7f3c";
const BUCKET: &str = "alice-photos";
const INVITEE: &str = "peter@contoso.com";
/// Erin's bucket in the managed-access fixtures, and its one file.
const ERIN_BUCKET: &str = "erin-files";
const ERIN_FILE: &str = "reports/q3.pdf";
/// The upload `complete-upload` confirms, and the snapshot the snapshot
/// fixtures name (both written directly: their ids are random otherwise).
const UPLOAD: &str = "0190a0b8-7c6e-7a51-9b1e-0a1b2c3d4e5f";
const SNAPSHOT: &str = "0190a0b8-7c6e-7a51-9b1e-5a4b3c2d1e0f";
/// The report the report events name (the group's, of 26 November 2026).
const REPORT: &str = "2026-11-26";

fn fixture_path(function: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../events/http")
        .join(format!("{function}.json"))
}

/// An API Gateway v2 event like the fixtures, for seeding through handlers.
fn event(
    method: &str,
    route: &str,
    params: &[(&str, &str)],
    caller: Option<Person>,
    body: Option<Value>,
) -> Request {
    let mut path = route.to_owned();
    for (name, value) in params {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let route_key = format!("{method} {route}");
    let authorizer = caller.map(|p| {
        json!({"jwt": {"claims": {
            "sub": p.sub, "email": p.email, "email_verified": "true",
            "cognito:username": p.sub, "token_use": "id",
            "iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
            "aud": "5r3ab1ecl1ent1d",
        }, "scopes": null}})
    });
    let params: BTreeMap<&str, &str> = params.iter().copied().collect();
    let event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"accept": "application/json", "content-type": "application/json",
                    "host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "pathParameters": if params.is_empty() { Value::Null } else { json!(params) },
        "requestContext": {
            "accountId": "123456789012", "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com", "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "fixtures-test"},
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route_key, "stage": "$default",
            "time": "26/Nov/2026:10:00:00 +0000", "timeEpoch": 1_795_687_200_000_i64,
            "authorizer": authorizer,
        },
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false,
    });
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event")
}

fn json_of(response: &Response<Body>) -> Value {
    match response.body() {
        Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
        Body::Binary(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
        _ => Value::Null,
    }
}

/// Runs `function`'s handler on `request`, as Lambda would.
async fn invoke(app: &TestApp, function: &str, request: Request) -> Response<Body> {
    let deps = &app.deps;
    match function {
        "add-admin" => Box::pin(add_admin::handler(deps, request)).await,
        "add-myself" => Box::pin(add_myself::handler(deps, request)).await,
        "approve-request" => Box::pin(approve_request::handler(deps, request)).await,
        "check-in-computer" => Box::pin(check_in_computer::handler(deps, request)).await,
        "confirm-dissolution" => Box::pin(confirm_dissolution::handler(deps, request)).await,
        "create-bucket" => Box::pin(create_bucket::handler(deps, request)).await,
        "create-group" => Box::pin(create_group::handler(deps, request)).await,
        "create-invitations" => Box::pin(create_invitations::handler(deps, request)).await,
        "delete-bucket" => Box::pin(delete_bucket::handler(deps, request)).await,
        "deny-request" => Box::pin(deny_request::handler(deps, request)).await,
        "disable-invite-link" => Box::pin(disable_invite_link::handler(deps, request)).await,
        "get-billing" => Box::pin(get_billing::handler(deps, request)).await,
        "get-group" => Box::pin(get_group::handler(deps, request)).await,
        "get-invite-link" => Box::pin(get_invite_link::handler(deps, request)).await,
        "get-me" => Box::pin(get_me::handler(deps, request)).await,
        "update-me" => Box::pin(update_me::handler(deps, request)).await,
        "get-member-computer" => Box::pin(get_member_computer::handler(deps, request)).await,
        "get-synopsis" => Box::pin(get_synopsis::handler(deps, request)).await,
        "join-group" => Box::pin(join_group::handler(deps, request)).await,
        "leave-group" => Box::pin(leave_group::handler(deps, request)).await,
        "list-group-computers" => Box::pin(list_group_computers::handler(deps, request)).await,
        "list-groups" => Box::pin(list_groups::handler(deps, request)).await,
        "list-invitations" => Box::pin(list_invitations::handler(deps, request)).await,
        "list-members" => Box::pin(list_members::handler(deps, request)).await,
        "list-my-buckets" => Box::pin(list_my_buckets::handler(deps, request)).await,
        "list-my-computers" => Box::pin(list_my_computers::handler(deps, request)).await,
        "list-requests" => Box::pin(list_requests::handler(deps, request)).await,
        "preview-dissolution" => Box::pin(preview_dissolution::handler(deps, request)).await,
        "preview-invitation" => Box::pin(preview_invitation::handler(deps, request)).await,
        "remove-admin" => Box::pin(remove_admin::handler(deps, request)).await,
        "remove-member" => Box::pin(remove_member::handler(deps, request)).await,
        "resend-invitation" => Box::pin(resend_invitation::handler(deps, request)).await,
        "retire-computer" => Box::pin(retire_computer::handler(deps, request)).await,
        "revoke-invitation" => Box::pin(revoke_invitation::handler(deps, request)).await,
        "rotate-invite-link" => Box::pin(rotate_invite_link::handler(deps, request)).await,
        "set-payment-method" => Box::pin(set_payment_method::handler(deps, request)).await,
        "update-group" => Box::pin(update_group::handler(deps, request)).await,
        "create-upload" => Box::pin(create_upload::handler(deps, request)).await,
        "complete-upload" => Box::pin(complete_upload::handler(deps, request)).await,
        "list-my-files" => Box::pin(list_my_files::handler(deps, request)).await,
        "delete-my-file" => Box::pin(delete_my_file::handler(deps, request)).await,
        "list-my-snapshots" => Box::pin(list_my_snapshots::handler(deps, request)).await,
        "get-my-audit" => Box::pin(get_my_audit::handler(deps, request)).await,
        "get-group-audit" => Box::pin(get_group_audit::handler(deps, request)).await,
        "list-member-buckets" => Box::pin(list_member_buckets::handler(deps, request)).await,
        "list-member-files" => Box::pin(list_member_files::handler(deps, request)).await,
        "create-snapshot" => Box::pin(create_snapshot::handler(deps, request)).await,
        "list-member-snapshots" => Box::pin(list_member_snapshots::handler(deps, request)).await,
        "get-member-snapshot" => Box::pin(get_member_snapshot::handler(deps, request)).await,
        "download-snapshot" => Box::pin(download_snapshot::handler(deps, request)).await,
        "order-usb-drive" => Box::pin(order_usb_drive::handler(deps, request)).await,
        "change-member-account" => Box::pin(change_member_account::handler(deps, request)).await,
        "confirm-member-contact" => Box::pin(confirm_member_contact::handler(deps, request)).await,
        "create-report" => Box::pin(create_report::handler(deps, request)).await,
        "list-reports" => Box::pin(list_reports::handler(deps, request)).await,
        "download-report" => Box::pin(download_report::handler(deps, request)).await,
        "list-domains" => Box::pin(list_domains::handler(deps, request)).await,
        "verify-domain" => Box::pin(verify_domain::handler(deps, request)).await,
        other => panic!("no handler is wired for {other}: add it to `invoke` in fixtures.rs"),
    }
}

/// Seeds through a handler and insists on its status.
async fn seed(app: &TestApp, function: &str, request: Request, status: u16, what: &str) -> Value {
    let response = invoke(app, function, request).await;
    let body = json_of(&response);
    assert_eq!(response.status(), status, "seeding {what}: {body}");
    body
}

fn caller(person: Person) -> shared::identity::Caller {
    shared::identity::Caller {
        account_id: shared::model::AccountId::parse("sub", person.sub).expect("account id"),
        email: shared::model::EmailAddress::parse("email", person.email).expect("email"),
        email_verified: true,
        sign_in: shared::identity::SignIn::Password,
    }
}

fn group_id() -> shared::model::GroupId {
    shared::model::GroupId::parse("groupId", GROUP).expect("the fixtures' group id")
}

/// The fixtures' group, created for alice under its fixed id (no handler
/// creates a group with an id it is given). Restricted: joiners ask.
async fn group(app: &TestApp) {
    group_managed(app, false).await;
}

/// [`group`], listing initech.com (through the settings edit, which gives
/// it its proof).
async fn listed_domain(app: &TestApp) {
    group(app).await;
    seed(
        app,
        "update-group",
        event(
            "PATCH",
            "/groups/{groupId}",
            &[("groupId", GROUP)],
            Some(ALICE),
            Some(json!({"joinPolicy": {"autoAcceptDomains": ["initech.com"]}})),
        ),
        200,
        "initech.com listed",
    )
    .await;
}

/// [`group`], managed or not.
async fn group_managed(app: &TestApp, managed: bool) {
    let alice = caller(ALICE);
    let now = time::OffsetDateTime::now_utc();
    let new: shared::model::NewGroup = shared::api::CreateGroupRequest::deserialize(json!({
        "name": "Initech", "products": ["computerBackup", "b2"], "managed": managed,
    }))
    .expect("request")
    .try_into()
    .expect("valid");
    let group = new.into_group(
        group_id(),
        alice.account_id.clone(),
        alice.email.clone(),
        now,
    );
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
            app.deps.settings.groups_per_account_per_day,
            None,
            now,
        )
        .await
        .expect("the fixtures' group");
}

/// The group's invite link is the fixtures' token.
async fn fixture_link(app: &TestApp) {
    let token = shared::model::InviteToken::parse(LINK_TOKEN).expect("a well-formed token");
    assert_eq!(
        token.group_id(),
        Some(group_id()),
        "the token names the group"
    );
    let record = shared::model::TokenRecord {
        group_id: group_id(),
        via: shared::model::TokenKind::Link,
        token_hash: token.hash(),
        valid_until: None,
        used_at: None,
    };
    app.repo()
        .rotate_invite_link(
            &group_id(),
            &caller(ALICE).account_id,
            None,
            &record,
            time::OffsetDateTime::now_utc(),
        )
        .await
        .expect("the fixtures' invite link");
}

/// `person` signs in once, so their account exists.
async fn sign_in(app: &TestApp, person: Person) {
    seed(
        app,
        "get-me",
        event("GET", "/me", &[], Some(person), None),
        200,
        "a sign-in",
    )
    .await;
}

/// Alice adds herself to the group (she is its admin, not yet a member).
async fn alice_joins(app: &TestApp) {
    seed(
        app,
        "add-myself",
        event(
            "POST",
            "/groups/{groupId}/members",
            &[("groupId", GROUP)],
            Some(ALICE),
            Some(json!({"region": "us-west"})),
        ),
        201,
        "alice as a member",
    )
    .await;
}

/// `person` asks to join through a fresh invite link (the group is
/// restricted, so a request is filed).
async fn request_to_join(app: &TestApp, person: Person) {
    ask_to_join(app, person, false).await;
}

/// [`request_to_join`], accepting managed access or not.
async fn ask_to_join(app: &TestApp, person: Person, managed: bool) {
    let link = seed(
        app,
        "rotate-invite-link",
        event(
            "POST",
            "/groups/{groupId}/invite-link",
            &[("groupId", GROUP)],
            Some(ALICE),
            None,
        ),
        201,
        "an invite link",
    )
    .await;
    let token = link["token"].as_str().expect("token").to_owned();
    seed(
        app,
        "join-group",
        event(
            "POST",
            "/invitations/{token}/join",
            &[("token", &token)],
            Some(person),
            Some(json!({"acceptManagedAccess": managed, "acceptVersionHistory": false, "region": "us-west"})),
        ),
        202,
        "a membership request",
    )
    .await;
}

/// `person` is a member: asked, and alice approved.
async fn member(app: &TestApp, person: Person) {
    joined(app, person, false).await;
}

/// [`member`], having accepted managed access or not.
async fn joined(app: &TestApp, person: Person, managed: bool) {
    ask_to_join(app, person, managed).await;
    seed(
        app,
        "approve-request",
        event(
            "POST",
            "/groups/{groupId}/requests/{accountId}/approve",
            &[("groupId", GROUP), ("accountId", person.sub)],
            Some(ALICE),
            None,
        ),
        200,
        "an approval",
    )
    .await;
}

async fn invitation(app: &TestApp, email: &str) {
    seed(
        app,
        "create-invitations",
        event(
            "POST",
            "/groups/{groupId}/invitations",
            &[("groupId", GROUP)],
            Some(ALICE),
            Some(json!({"emails": [email], "expiresInDays": 7})),
        ),
        200,
        "an email invitation",
    )
    .await;
}

/// Alice's computer checks in.
async fn computer(app: &TestApp) {
    seed(
        app,
        "check-in-computer",
        event(
            "PUT",
            "/me/computers/{computerId}",
            &[("computerId", COMPUTER)],
            Some(ALICE),
            Some(
                json!({"name": "Alice's MacBook Pro", "os": "macOS 15.1", "clientVersion": "9.1.0",
                        "selectedBytes": 1_000_000, "filesRemaining": 0, "alerts": []}),
            ),
        ),
        201,
        "alice's computer",
    )
    .await;
}

async fn bucket(app: &TestApp) {
    seed(
        app,
        "create-bucket",
        event(
            "POST",
            "/me/buckets",
            &[],
            Some(ALICE),
            Some(json!({"name": BUCKET})),
        ),
        201,
        "alice's bucket",
    )
    .await;
}

/// A real preview, whose token is then made the one the fixture carries
/// (the preview's own is random and shown only in its reply).
async fn previewed_dissolution(app: &TestApp) {
    use aws_sdk_dynamodb::types::AttributeValue;
    seed(
        app,
        "preview-dissolution",
        event(
            "POST",
            "/groups/{groupId}/dissolution",
            &[("groupId", GROUP)],
            Some(ALICE),
            None,
        ),
        200,
        "a dissolution preview",
    )
    .await;
    let key = shared::keys::dissolution(&group_id());
    let hash = shared::model::TokenHash::of(DISSOLUTION_TOKEN);
    app.repo()
        .client()
        .update_item()
        .table_name(app.repo().table())
        .key("PK", AttributeValue::S(key.pk))
        .key("SK", AttributeValue::S(key.sk))
        .update_expression("SET tokenHash = :h")
        .condition_expression("attribute_exists(tokenHash)")
        .expression_attribute_values(":h", AttributeValue::S(hash.as_str().to_owned()))
        .send()
        .await
        .expect("the preview holds a token hash");
}

/// The managed-access cast: the group managed, erin a member who accepted
/// managed access, with her bucket and (if `file`) its one file.
async fn erin_managed(app: &TestApp, file: bool) {
    group_managed(app, true).await;
    joined(app, ERIN, true).await;
    seed(
        app,
        "create-bucket",
        event(
            "POST",
            "/me/buckets",
            &[],
            Some(ERIN),
            Some(json!({"name": ERIN_BUCKET})),
        ),
        201,
        "erin's bucket",
    )
    .await;
    if file {
        let upload = seed(
            app,
            "create-upload",
            event(
                "POST",
                "/me/buckets/{name}/uploads",
                &[("name", ERIN_BUCKET)],
                Some(ERIN),
                Some(json!({"path": ERIN_FILE, "size": 5})),
            ),
            201,
            "an upload URL",
        )
        .await;
        let put = app
            .put_presigned(&upload["upload"], b"Q3 ok".to_vec())
            .await;
        assert!(put.is_success(), "the PUT to S3: {put}");
        let id = upload["uploadId"].as_str().expect("upload id");
        seed(
            app,
            "complete-upload",
            event(
                "POST",
                "/me/buckets/{name}/uploads/{uploadId}/complete",
                &[("name", ERIN_BUCKET), ("uploadId", id)],
                Some(ERIN),
                None,
            ),
            200,
            "erin's file",
        )
        .await;
    }
}

/// The upload `complete-upload` names, with its bytes already in S3.
async fn fixture_upload(app: &TestApp) {
    let erin = caller(ERIN);
    let now = time::OffsetDateTime::now_utc();
    let upload = shared::model::PendingUpload {
        id: UPLOAD.parse().expect("uuid"),
        account_id: erin.account_id.clone(),
        bucket: shared::model::BucketName::parse("name", ERIN_BUCKET).expect("name"),
        path: shared::model::FilePath::parse("path", ERIN_FILE).expect("path"),
        size: 5,
        url_expires_at: now + time::Duration::minutes(15),
    };
    app.repo()
        .create_upload(&upload, None, now)
        .await
        .expect("the fixtures' upload");
    app.standins
        .s3()
        .put_object()
        .bucket(standins::DATA_BUCKET)
        .key(format!("{}/{ERIN_BUCKET}/{ERIN_FILE}", ERIN.sub))
        .body(b"Q3 ok".to_vec().into())
        .send()
        .await
        .expect("the uploaded bytes");
}

/// Erin's password, which `change-member-account` gives.
const ERIN_PASSWORD: &str = "Erin-Password-1";
/// The code `confirm-member-contact` gives (for a new phone).
const PHONE_CODE: &str = "123456";

/// Erin's credential in the local identity provider.
async fn erin_password(app: &TestApp) {
    let erin = caller(ERIN);
    shared::credentials::LocalIdentity::new(
        app.repo().clone(),
        std::sync::Arc::new(app.clock.clone()),
    )
    .provision(&erin.account_id, &erin.email, ERIN_PASSWORD)
    .await
    .expect("erin's password");
}

/// A phone change of erin's waiting for the fixtures' code (written
/// directly: the code a request texts is random).
async fn pending_phone(app: &TestApp) {
    use sha2::Digest;
    let alice = caller(ALICE);
    let erin = caller(ERIN).account_id;
    let now = time::OffsetDateTime::now_utc();
    let salt = "00112233445566778899aabbccddeeff".to_owned();
    let hash: String = sha2::Sha256::digest(format!("{salt}:{PHONE_CODE}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let change = shared::repo::ContactChange {
        target: shared::repo::ContactTarget::Phone {
            phone: shared::model::PhoneNumber::parse("phone", "+14155550123").expect("phone"),
        },
        code_hash: hash,
        salt,
        attempts: 0,
        valid_until: now + time::Duration::minutes(10),
        group_id: group_id(),
    };
    let entry = shared::model::AuditEntry::new(
        group_id(),
        (&alice.account_id, &alice.email),
        Some(&erin),
        shared::model::AuditAction::PhoneChangeRequested,
        &shared::model::Origin::default(),
        now,
    );
    app.repo()
        .start_contact_change(&erin, &change, &entry, None)
        .await
        .expect("the pending phone change");
}

/// The snapshot the fixtures name, of erin's reports, built (Ready).
/// The group's report of `REPORT`, built (its CSV in the reports bucket).
async fn fixture_report(app: &TestApp) {
    let period = shared::model::ReportPeriod::parse(REPORT).expect("period");
    let now = time::OffsetDateTime::now_utc();
    let report =
        shared::model::Report::pending(group_id(), period, Some(caller(ALICE).account_id), now);
    app.repo()
        .begin_scheduled_report(&report, 90)
        .await
        .expect("report");
    let files = app.deps.files().expect("file store");
    let written = shared::report::write_group_report(
        app.repo(),
        files.s3(),
        files.reports_bucket().expect("reports bucket"),
        &group_id(),
        &period,
        shared::report::DEFAULT_PART_SIZE,
    )
    .await
    .expect("the report's CSV");
    app.repo()
        .finish_report(&group_id(), &period, written.rows, written.bytes, now, 90)
        .await
        .expect("ready");
}

async fn fixture_snapshot(app: &TestApp) {
    let alice = caller(ALICE);
    let now = time::OffsetDateTime::now_utc();
    let erin = caller(ERIN).account_id;
    let snapshot = shared::model::Snapshot {
        id: SNAPSHOT.parse().expect("uuid"),
        account_id: erin.clone(),
        group_id: group_id(),
        bucket: shared::model::BucketName::parse("bucket", ERIN_BUCKET).expect("name"),
        name: "Erin's reports".into(),
        selection: vec!["reports/".into()],
        requested_by: alice.account_id.clone(),
        created_at: now,
        expires_on: now + time::Duration::days(7),
        state: shared::model::SnapshotState::Pending,
        size_bytes: None,
        file_count: None,
        failure: None,
    };
    let entry = shared::model::AuditEntry::new(
        group_id(),
        (&alice.account_id, &alice.email),
        Some(&erin),
        shared::model::AuditAction::SnapshotRequested {
            snapshot_id: snapshot.id,
            bucket: snapshot.bucket.clone(),
            name: snapshot.name.clone(),
        },
        &shared::model::Origin::new(Some("203.0.113.7"), Some("fixtures")),
        now,
    );
    let job = shared::outbox::OutboxItem::job(
        shared::jobs::Job::BuildSnapshot {
            group_id: group_id(),
            account_id: erin,
            snapshot_id: snapshot.id,
        },
        now,
    );
    app.repo()
        .create_snapshot(&snapshot, &entry, &job, None, now)
        .await
        .expect("the fixtures' snapshot");
    app.run_jobs().await;
}

/// What a fixture's reply must be: its status, a check of its body (Err
/// says what it should have been), and for a reply with nothing to show, a
/// read afterwards that shows the change was made.
struct Expect {
    status: u16,
    check: Check,
    then: Option<(&'static str, Request, Check)>,
}

type Check = Box<dyn Fn(&Value) -> Result<(), String> + Send>;

fn ok(cond: bool, what: &str) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.to_owned()) }
}

fn expect(status: u16, check: fn(&Value) -> Result<(), String>) -> Expect {
    Expect {
        status,
        check: Box::new(check),
        then: None,
    }
}

/// 204, then `function` (a read as alice) answers 200 with what `check` wants.
fn no_content_then(
    function: &'static str,
    request: Request,
    check: fn(&Value) -> Result<(), String>,
) -> Expect {
    Expect {
        status: 204,
        check: Box::new(|b| ok(b.is_null(), "empty")),
        then: Some((function, request, Box::new(check))),
    }
}

/// A read of the fixtures' group as alice, e.g. `/groups/{groupId}/members`.
fn read_group(route: &str) -> Request {
    event("GET", route, &[("groupId", GROUP)], Some(ALICE), None)
}

fn emails(list: &Value) -> Vec<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["email"].as_str())
        .collect()
}

/// Seeds what `function`'s fixture refers to, and says what it must answer.
async fn arrange(app: &TestApp, function: &str) -> Expect {
    match function {
        "create-group" => expect(201, |b| {
            ok(
                b["name"] == "Initech Staff"
                    && b["status"] == "active"
                    && b["admins"][0]["accountId"] == ALICE.sub
                    && b["joinPolicy"]["autoAcceptDomains"] == json!(["initech.com"]),
                "the new group as asked, alice its admin",
            )
        }),
        "list-groups" => {
            group(app).await;
            expect(200, |b| {
                ok(
                    b["groups"].as_array().map(Vec::len) == Some(1)
                        && b["groups"][0]["id"] == GROUP,
                    "alice's one group",
                )
            })
        }
        "get-group" => {
            group(app).await;
            expect(200, |b| {
                ok(
                    b["id"] == GROUP
                        && b["name"] == "Initech"
                        && b["admins"][0]["accountId"] == ALICE.sub,
                    "the group, alice its admin",
                )
            })
        }
        "update-group" => {
            group(app).await;
            expect(200, |b| {
                ok(
                    b["id"] == GROUP && b["name"] == "Initech Everyone",
                    "the renamed group",
                )
            })
        }
        "add-admin" => {
            group(app).await;
            sign_in(app, BOB).await;
            expect(201, |b| {
                ok(
                    b["accountId"] == BOB.sub && b["email"] == BOB.email,
                    "bob, the new admin",
                )
            })
        }
        "remove-admin" => {
            group(app).await;
            sign_in(app, BOB).await;
            seed(
                app,
                "add-admin",
                event(
                    "POST",
                    "/groups/{groupId}/admins",
                    &[("groupId", GROUP)],
                    Some(ALICE),
                    Some(json!({"email": BOB.email})),
                ),
                201,
                "bob as an admin",
            )
            .await;
            no_content_then("get-group", read_group("/groups/{groupId}"), |b| {
                ok(
                    b["admins"].as_array().map(Vec::len) == Some(1)
                        && b["admins"][0]["accountId"] == ALICE.sub,
                    "alice the only admin left",
                )
            })
        }
        "get-me" => expect(200, |b| {
            ok(
                b["id"] == ALICE.sub
                    && b["email"] == ALICE.email
                    && b["emailVerified"] == true
                    && b["backupSummaryEmails"] == true,
                "alice's account, summary emails on",
            )
        }),
        // Alice's first call (no account yet): registered and opted out in
        // one write; a sign-in afterwards keeps her choice.
        "update-me" => Expect {
            status: 200,
            check: Box::new(|b| {
                ok(
                    b["id"] == ALICE.sub
                        && b["email"] == ALICE.email
                        && b["backupSummaryEmails"] == false,
                    "alice's account, opted out of summary emails",
                )
            }),
            then: Some((
                "get-me",
                event("GET", "/me", &[], Some(ALICE), None),
                Box::new(|b| ok(b["backupSummaryEmails"] == false, "still opted out")),
            )),
        },
        "get-invite-link" => {
            group(app).await;
            fixture_link(app).await;
            expect(200, |b| {
                ok(
                    b["enabled"] == true && b["createdAt"].is_string(),
                    "an enabled link",
                )
            })
        }
        "rotate-invite-link" => {
            group(app).await;
            expect(201, |b| {
                let token = b["token"].as_str().unwrap_or_default();
                ok(
                    token.len() >= 64 && b["url"].as_str().is_some_and(|u| u.ends_with(token)),
                    "a new token and its link",
                )
            })
        }
        "disable-invite-link" => {
            group(app).await;
            fixture_link(app).await;
            no_content_then(
                "get-invite-link",
                read_group("/groups/{groupId}/invite-link"),
                |b| ok(b["enabled"] == false, "a disabled link"),
            )
        }
        "create-invitations" => {
            group(app).await;
            expect(200, |b| {
                ok(
                    emails(&b["invited"]) == ["bob@contoso.com", "carol@contoso.com"]
                        && b["invited"][0]["status"] == "pending"
                        && b["rejected"] == json!([]),
                    "both addresses invited, none rejected",
                )
            })
        }
        "list-invitations" => {
            group(app).await;
            invitation(app, INVITEE).await;
            expect(200, |b| {
                ok(
                    emails(&b["invitations"]) == [INVITEE]
                        && b["invitations"][0]["status"] == "pending",
                    "peter's pending invitation",
                )
            })
        }
        "resend-invitation" => {
            group(app).await;
            invitation(app, INVITEE).await;
            // An invitation may be sent again only some time after the last send.
            app.clock.advance(time::Duration::minutes(61));
            expect(200, |b| {
                ok(
                    b["email"] == INVITEE && b["status"] == "pending",
                    "peter's invitation, resent",
                )
            })
        }
        "revoke-invitation" => {
            group(app).await;
            invitation(app, INVITEE).await;
            no_content_then(
                "list-invitations",
                read_group("/groups/{groupId}/invitations"),
                |b| {
                    ok(
                        b["invitations"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .all(|i| i["email"] != INVITEE || i["status"] != "pending"),
                        "peter's invitation no longer pending",
                    )
                },
            )
        }
        "preview-invitation" => {
            group(app).await;
            fixture_link(app).await;
            expect(200, |b| {
                ok(
                    b["groupName"] == "Initech"
                        && b["outcome"] == "request"
                        && b["managed"] == false,
                    "the group's name, and that joining files a request",
                )
            })
        }
        "join-group" => {
            group(app).await;
            fixture_link(app).await;
            expect(202, |b| {
                ok(
                    b["groupId"] == GROUP && b["outcome"] == "requested",
                    "carol's request, filed",
                )
            })
        }
        "list-requests" => {
            group(app).await;
            request_to_join(app, CAROL).await;
            expect(200, |b| {
                ok(
                    b["requests"].as_array().map(Vec::len) == Some(1)
                        && b["requests"][0]["accountId"] == CAROL.sub,
                    "carol's request",
                )
            })
        }
        "approve-request" => {
            group(app).await;
            request_to_join(app, CAROL).await;
            expect(200, |b| {
                ok(
                    b["accountId"] == CAROL.sub && b["joinedAt"].is_string(),
                    "carol, now a member",
                )
            })
        }
        "deny-request" => {
            group(app).await;
            request_to_join(app, DAVE).await;
            no_content_then(
                "list-requests",
                read_group("/groups/{groupId}/requests"),
                |b| ok(b["requests"] == json!([]), "no request left"),
            )
        }
        "list-members" => {
            group(app).await;
            member(app, ERIN).await;
            expect(200, |b| {
                ok(
                    b["members"].as_array().map(Vec::len) == Some(1)
                        && b["members"][0]["accountId"] == ERIN.sub,
                    "erin, the one member",
                )
            })
        }
        "add-myself" => {
            group(app).await;
            expect(201, |b| {
                ok(
                    b["accountId"] == ALICE.sub && b["region"] == "us-west",
                    "alice, a member in us-west",
                )
            })
        }
        "leave-group" => {
            group(app).await;
            member(app, ERIN).await;
            no_content_then(
                "list-members",
                read_group("/groups/{groupId}/members"),
                |b| ok(b["members"] == json!([]), "erin gone from the members"),
            )
        }
        "remove-member" => {
            group(app).await;
            member(app, ERIN).await;
            no_content_then(
                "list-members",
                read_group("/groups/{groupId}/members"),
                |b| ok(b["members"] == json!([]), "no member left"),
            )
        }
        "check-in-computer" => {
            group(app).await;
            alice_joins(app).await;
            expect(201, |b| {
                ok(
                    b["id"] == COMPUTER && b["accountId"] == ALICE.sub && b["alertCount"] == 1,
                    "the new computer with its one alert",
                )
            })
        }
        "retire-computer" => {
            group(app).await;
            alice_joins(app).await;
            computer(app).await;
            no_content_then(
                "list-my-computers",
                event("GET", "/me/computers", &[], Some(ALICE), None),
                |b| ok(b["items"] == json!([]), "no computer left"),
            )
        }
        "list-my-computers" => {
            group(app).await;
            alice_joins(app).await;
            computer(app).await;
            expect(200, |b| {
                ok(
                    b["items"].as_array().map(Vec::len) == Some(1)
                        && b["items"][0]["id"] == COMPUTER,
                    "alice's one computer",
                )
            })
        }
        "create-bucket" => expect(201, |b| {
            ok(
                b["name"] == BUCKET && b["accountId"] == ALICE.sub && b["storedBytes"] == 0,
                "alice's new, empty bucket",
            )
        }),
        "list-my-buckets" => {
            bucket(app).await;
            expect(200, |b| {
                ok(
                    b["buckets"].as_array().map(Vec::len) == Some(1)
                        && b["buckets"][0]["name"] == BUCKET,
                    "alice's one bucket",
                )
            })
        }
        "delete-bucket" => {
            bucket(app).await;
            no_content_then(
                "list-my-buckets",
                event("GET", "/me/buckets", &[], Some(ALICE), None),
                |b| ok(b["buckets"] == json!([]), "no bucket left"),
            )
        }
        "get-synopsis" => {
            group(app).await;
            alice_joins(app).await;
            computer(app).await;
            expect(200, |b| {
                ok(
                    b["members"] == 1 && b["computers"] == 1 && b["alerts"] == 0,
                    "one member, one computer, no alert",
                )
            })
        }
        "list-group-computers" => {
            group(app).await;
            alice_joins(app).await;
            computer(app).await;
            expect(200, |b| {
                ok(
                    b["items"].as_array().map(Vec::len) == Some(1)
                        && b["items"][0]["computerId"] == COMPUTER
                        && b["items"][0]["memberEmail"] == ALICE.email,
                    "alice's one computer",
                )
            })
        }
        "get-member-computer" => {
            group(app).await;
            alice_joins(app).await;
            computer(app).await;
            expect(200, |b| {
                ok(
                    b["id"] == COMPUTER && b["accountId"] == ALICE.sub,
                    "alice's computer",
                )
            })
        }
        "get-billing" => {
            group(app).await;
            expect(200, |b| {
                ok(
                    b["prices"]["computerMonthCents"].is_u64()
                        && b["licenses"]["members"] == 0
                        && b["unbilledEstimate"]["currency"] == "USD",
                    "prices, licenses and the unbilled estimate",
                )
            })
        }
        "set-payment-method" => {
            group(app).await;
            expect(200, |b| {
                ok(b["kind"] == "card" && b["last4"] == "4242", "the card")
            })
        }
        "preview-dissolution" => {
            group(app).await;
            expect(200, |b| {
                ok(
                    b["confirmationToken"]
                        .as_str()
                        .is_some_and(|t| !t.is_empty())
                        && b["membersAffected"] == 0,
                    "a confirmation token and what it ends",
                )
            })
        }
        "confirm-dissolution" => {
            group(app).await;
            previewed_dissolution(app).await;
            Expect {
                then: Some((
                    "get-group",
                    read_group("/groups/{groupId}"),
                    Box::new(|b| ok(b["status"] != "active", "the group no longer active")),
                )),
                ..expect(202, |b| ok(b["status"] == "dissolving", "dissolving"))
            }
        }
        "create-upload" => {
            erin_managed(app, false).await;
            expect(201, |b| {
                ok(
                    b["path"] == ERIN_FILE
                        && b["upload"]["method"] == "PUT"
                        && b["uploadId"].is_string(),
                    "a presigned PUT for erin's file",
                )
            })
        }
        "complete-upload" => {
            erin_managed(app, false).await;
            fixture_upload(app).await;
            expect(200, |b| {
                ok(
                    b["path"] == ERIN_FILE && b["size"] == 5,
                    "erin's file, counted",
                )
            })
        }
        "list-my-files" => {
            erin_managed(app, true).await;
            expect(200, |b| {
                ok(
                    b["prefix"] == "reports/" && b["files"][0]["path"] == ERIN_FILE,
                    "erin's reports folder",
                )
            })
        }
        "delete-my-file" => {
            erin_managed(app, true).await;
            no_content_then(
                "list-my-files",
                event(
                    "GET",
                    "/me/buckets/{name}/files",
                    &[("name", ERIN_BUCKET)],
                    Some(ERIN),
                    None,
                ),
                |b| {
                    ok(
                        b["files"] == json!([]) && b["folders"] == json!([]),
                        "an empty bucket",
                    )
                },
            )
        }
        "list-my-snapshots" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(200, |b| {
                ok(
                    b["items"][0]["id"] == SNAPSHOT,
                    "the snapshot of erin's data",
                )
            })
        }
        "get-my-audit" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(200, |b| {
                ok(
                    b["entries"][0]["action"]["kind"] == "snapshotRequested"
                        && b["entries"][0]["actor"] == ALICE.sub,
                    "alice's snapshot of erin's data",
                )
            })
        }
        "list-domains" => {
            listed_domain(app).await;
            expect(200, |b| {
                ok(
                    b["domains"][0]["domain"] == "initech.com"
                        && b["domains"][0]["state"] == "pending"
                        && b["domains"][0]["record"]["name"] == "_groups-challenge.initech.com",
                    "initech.com, pending, with its record",
                )
            })
        }
        "verify-domain" => {
            listed_domain(app).await;
            let gid = shared::model::GroupId::parse("g", GROUP).expect("gid");
            let proofs = app.repo().domain_proofs(&gid).await.expect("proofs");
            let proof = proofs.first().expect("initech.com's proof");
            app.dns
                .records
                .add_txt(&proof.record_name(), &proof.record_value());
            expect(200, |b| {
                ok(
                    b["domain"] == "initech.com"
                        && b["state"] == "verified"
                        && b["autoAccepts"] == true,
                    "initech.com, verified",
                )
            })
        }
        "get-group-audit" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(200, |b| {
                ok(
                    b["entries"][0]["action"]["kind"] == "snapshotRequested"
                        && b["entries"][0]["subject"] == ERIN.sub,
                    "the snapshot, logged",
                )
            })
        }
        "list-member-buckets" => {
            erin_managed(app, true).await;
            expect(200, |b| {
                ok(
                    b["buckets"][0]["name"] == ERIN_BUCKET && b["buckets"][0]["fileCount"] == 1,
                    "erin's bucket with its file",
                )
            })
        }
        "list-member-files" => {
            erin_managed(app, true).await;
            expect(200, |b| {
                ok(
                    b["files"][0]["path"] == ERIN_FILE && b["files"][0]["size"] == 5,
                    "erin's file",
                )
            })
        }
        "create-snapshot" => {
            erin_managed(app, true).await;
            expect(202, |b| {
                ok(
                    b["state"] == "pending" && b["name"] == "Erin's reports",
                    "a pending snapshot",
                )
            })
        }
        "list-member-snapshots" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(200, |b| ok(b["items"][0]["id"] == SNAPSHOT, "the snapshot"))
        }
        "get-member-snapshot" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(200, |b| {
                ok(
                    b["state"] == "ready" && b["fileCount"] == 1,
                    "the snapshot, ready",
                )
            })
        }
        "create-report" => {
            group(app).await;
            expect(202, |b| {
                ok(
                    b["state"] == "pending" && b["groupId"] == GROUP && b["period"].is_string(),
                    "today's report, pending",
                )
            })
        }
        "list-reports" => {
            group(app).await;
            fixture_report(app).await;
            expect(200, |b| {
                ok(
                    b["items"][0]["period"] == REPORT && b["items"][0]["state"] == "ready",
                    "the group's report, ready",
                )
            })
        }
        "download-report" => {
            group(app).await;
            fixture_report(app).await;
            expect(200, |b| {
                ok(
                    b["method"] == "GET" && b["url"].as_str().is_some_and(|u| u.contains(REPORT)),
                    "a download URL of the report",
                )
            })
        }
        "download-snapshot" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(200, |b| {
                ok(
                    b["method"] == "GET" && b["url"].is_string(),
                    "a download URL",
                )
            })
        }
        "order-usb-drive" => {
            erin_managed(app, true).await;
            fixture_snapshot(app).await;
            expect(201, |b| {
                ok(
                    b["snapshotId"] == SNAPSHOT && b["address"]["country"] == "US",
                    "the order",
                )
            })
        }
        "change-member-account" => {
            erin_managed(app, false).await;
            erin_password(app).await;
            expect(200, |b| {
                ok(
                    b["change"] == "signIn" && b["status"] == "done",
                    "sign-in settings changed",
                )
            })
        }
        "confirm-member-contact" => {
            erin_managed(app, false).await;
            erin_password(app).await;
            pending_phone(app).await;
            expect(200, |b| {
                ok(
                    b["change"] == "phone" && b["status"] == "done",
                    "the phone changed",
                )
            })
        }
        other => panic!(
            "no case for {other} in tests/tests/fixtures.rs: say what its fixture needs and answers"
        ),
    }
}

/// The fixture is the event of `route`: route key, method, path and
/// parameters agree, and it carries claims unless the route is public.
fn check_event(route: &local::Route, event: &Value) -> Result<(), String> {
    let key = route.key();
    let ctx = &event["requestContext"];
    let mut path = route.path.clone();
    for (name, value) in event["pathParameters"].as_object().into_iter().flatten() {
        let value = value.as_str().ok_or("a path parameter is not a string")?;
        path = path.replace(&format!("{{{name}}}"), value);
    }
    let problems = [
        (event["version"] == "2.0", "version 2.0".to_owned()),
        (event["routeKey"] == key.as_str(), format!("routeKey {key}")),
        (
            ctx["routeKey"] == key.as_str(),
            format!("requestContext.routeKey {key}"),
        ),
        (
            ctx["http"]["method"] == route.method.as_str(),
            format!("method {}", route.method),
        ),
        (
            !path.contains('{')
                && event["rawPath"] == path.as_str()
                && ctx["http"]["path"] == path.as_str(),
            format!(
                "rawPath and http.path are {} with its parameters",
                route.path
            ),
        ),
        (
            ctx["authorizer"]["jwt"]["claims"]["sub"].is_string() != route.public,
            format!(
                "JWT claims {}",
                if route.public {
                    "absent (public route)"
                } else {
                    "present"
                }
            ),
        ),
    ];
    let wrong: Vec<String> = problems
        .into_iter()
        .filter(|(good, _)| !good)
        .map(|(_, what)| what)
        .collect();
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("should have {}", wrong.join(", ")))
    }
}

/// One route: load, check and invoke its fixture on a fresh table.
async fn run(route: local::Route) -> Result<(), String> {
    let path = fixture_path(&route.function);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("no fixture {} ({e})", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    check_event(&route, &value)?;
    let request = lambda_http::request::from_str(&text)
        .map_err(|e| format!("not an API Gateway event: {e}"))?;

    let app = spawn_app().await;
    let expect = arrange(&app, &route.function).await;
    let response = invoke(&app, &route.function, request).await;
    let body = json_of(&response);
    if response.status() != expect.status {
        return Err(format!(
            "answered {} (wanted {}): {body}",
            response.status(),
            expect.status
        ));
    }
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !body.is_null() && content_type != "application/json" {
        return Err(format!(
            "content-type {content_type:?}, not application/json"
        ));
    }
    (expect.check)(&body).map_err(|what| format!("body is not {what}: {body}"))?;
    if let Some((function, read, check)) = expect.then {
        let after = invoke(&app, function, read).await;
        let body = json_of(&after);
        if after.status() != 200 {
            return Err(format!(
                "then {function} answered {}: {body}",
                after.status()
            ));
        }
        check(&body).map_err(|what| format!("then {function} shows not {what}: {body}"))?;
    }
    Ok(())
}

/// On a thread with a large stack: the routes' futures run on one task
/// (see below), and polling them all nests deeper than a test thread allows.
#[test]
fn every_route_has_a_real_event_that_its_handler_answers() {
    std::thread::Builder::new()
        .stack_size(64 * 1024 * 1024)
        .spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime")
                .block_on(every_route_answers());
        })
        .expect("a test thread")
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
}

async fn every_route_answers() {
    let routes = local::routes::from_template(local::routes::TEMPLATE).expect("template parses");
    assert!(!routes.is_empty());
    // Every route at once, each future on the heap: together the handlers'
    // futures are far larger than a test thread's stack. They share this
    // task (the snapshot job's future is not `Send` for every lifetime, as
    // `tokio::spawn` would need), and a panic is caught as a failure.
    let results: Vec<Result<(), String>> =
        futures::future::join_all(routes.iter().cloned().map(|route| {
            Box::pin(async move {
                match futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(run(route)))
                    .await
                {
                    Ok(result) => result,
                    Err(_) => Err("panicked".to_owned()),
                }
            })
        }))
        .await;
    let failures: Vec<String> = routes
        .iter()
        .zip(results)
        .filter_map(|(route, result)| {
            result
                .err()
                .map(|e| format!("{} (events/http/{}.json): {e}", route.key(), route.function))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} routes fail:\n{}",
        failures.len(),
        routes.len(),
        failures.join("\n")
    );
}

/// A fixture that names no route of the template is a stale one.
#[test]
fn every_http_fixture_names_a_route_of_the_template() {
    let functions: std::collections::BTreeSet<String> =
        local::routes::from_template(local::routes::TEMPLATE)
            .expect("template parses")
            .into_iter()
            .map(|r| r.function)
            .collect();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../events/http");
    let mut stale = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("events/http") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        // Variants of a route's event say whose they are: `<function>-<case>`.
        if !functions
            .iter()
            .any(|f| stem == f || stem.starts_with(&format!("{f}-")))
        {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "fixtures for no template route: {stale:?}"
    );
}
