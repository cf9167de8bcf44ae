//! Group Single Sign-On end to end through the local gateway: a group that
//! lists SSO providers admits only sessions federated through one of them
//! to join it and to act in it as an administrator (every `/groups/{id}`
//! route), says so in the invitation preview and in an `sso-required`
//! problem naming the providers, and refuses a setting that would lock its
//! sender out. Tokens are minted as Cognito issues them (`local token
//! --provider google`): a federated user is an account of its own.

use std::collections::BTreeSet;

use e2e::{Reply, TestApp, spawn_app};
use serde_json::{Value, json};
use serde_yaml::Value as Yaml;
use shared::model::SsoProvider::{Google, Microsoft};

fn ok(reply: Reply, status: u16, what: &str) -> Value {
    assert_eq!(reply.status, status, "{what}: {reply:?}");
    reply.body
}

/// The reply is `sso-required`, naming `providers`.
fn sso_required(reply: &Reply, providers: Value, what: &str) {
    assert_eq!(reply.status, 403, "{what}: {reply:?}");
    assert_eq!(
        reply.body["type"], "/problems/sso-required",
        "{what}: {reply:?}"
    );
    assert_eq!(reply.body["ssoProviders"], providers, "{what}: {reply:?}");
}

fn join() -> Value {
    json!({"acceptManagedAccess": true, "region": "us-west"})
}

/// Whether any item of the table mentions `text` (test only: a scan).
async fn table_mentions(app: &TestApp, text: &str) -> bool {
    format!("{:?}", app.items().await).contains(text)
}

#[tokio::test]
async fn an_sso_only_group_refuses_a_password_session_and_accepts_a_google_one() {
    let app = spawn_app().await;
    let gus = app.sso_token("gus@initech.com", Google);
    let gid = app
        .create_group(
            &gus,
            json!({"name": "Initech", "products": ["b2"], "managed": false,
                   "joinPolicy": {"approval": "autoApproveAll"}, "sso": ["google"]}),
        )
        .await;
    let link = app.invite_link(&gus, &gid).await;

    // The preview, before anyone signs in, says which sign-in will do.
    let preview = ok(
        app.call("GET", &format!("/invitations/{link}"), None, None, &[])
            .await,
        200,
        "preview",
    );
    assert_eq!(preview["ssoProviders"], json!(["google"]));

    // pam signed in with her password: refused, and nothing is written
    // (not even her account).
    let password = app
        .post(
            &format!("/invitations/{link}/join"),
            &app.token("pam@initech.com"),
            join(),
        )
        .await;
    sso_required(&password, json!(["google"]), "a password session joins");
    let detail = password.body["detail"].as_str().expect("detail");
    assert!(
        detail.contains("with a password") && detail.contains("Google"),
        "{detail}"
    );
    assert!(
        !table_mentions(&app, &local::auth::local_subject("pam@initech.com")).await,
        "a refused join writes nothing"
    );

    // Through Microsoft, where only Google will do: refused, saying so.
    let microsoft = app
        .post(
            &format!("/invitations/{link}/join"),
            &app.sso_token("pam@initech.com", Microsoft),
            join(),
        )
        .await;
    sso_required(&microsoft, json!(["google"]), "a Microsoft session joins");
    assert!(
        microsoft.body["detail"]
            .as_str()
            .expect("detail")
            .contains("with Microsoft"),
        "{microsoft:?}"
    );

    // Through Google: she joins, as her Google account.
    let joined = app
        .post(
            &format!("/invitations/{link}/join"),
            &app.sso_token("pam@initech.com", Google),
            join(),
        )
        .await;
    assert_eq!(
        ok(joined, 201, "a Google session joins")["outcome"],
        "joined"
    );
    let members = ok(
        app.get(&format!("/groups/{gid}/members"), &gus).await,
        200,
        "members",
    );
    assert_eq!(
        members["members"][0]["accountId"],
        local::auth::federated_subject(Google, "pam@initech.com")
    );
}

#[tokio::test]
async fn an_invitation_to_an_sso_group_waits_for_a_session_the_group_admits() {
    let app = spawn_app().await;
    let gus = app.sso_token("gus@initech.com", Google);
    let gid = app
        .create_group(
            &gus,
            json!({"name": "Initech", "products": ["b2"], "managed": false,
                   "sso": ["google", "microsoft"]}),
        )
        .await;
    ok(
        app.post(
            &format!("/groups/{gid}/invitations"),
            &gus,
            json!({"emails": ["pam@initech.com"]}),
        )
        .await,
        200,
        "invite",
    );
    let token = app
        .emailed_tokens("pam@initech.com")
        .await
        .pop()
        .expect("an invitation with a link");
    let preview = ok(
        app.call("GET", &format!("/invitations/{token}"), None, None, &[])
            .await,
        200,
        "preview",
    );
    assert_eq!(preview["ssoProviders"], json!(["google", "microsoft"]));
    assert_eq!(preview["invitedEmail"], "pam@initech.com");
    assert_eq!(preview["outcome"], "join");

    let password = app
        .post(
            &format!("/invitations/{token}/join"),
            &app.token("pam@initech.com"),
            join(),
        )
        .await;
    sso_required(
        &password,
        json!(["google", "microsoft"]),
        "the invitee with a password",
    );
    // The invitation is not spent: her Microsoft session joins with it.
    let joined = app
        .post(
            &format!("/invitations/{token}/join"),
            &app.sso_token("pam@initech.com", Microsoft),
            join(),
        )
        .await;
    assert_eq!(ok(joined, 201, "through Microsoft")["outcome"], "joined");
}

#[tokio::test]
async fn a_group_without_sso_admits_every_session() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false,
                   "joinPolicy": {"approval": "autoApproveAll"}}),
        )
        .await;
    let link = app.invite_link(&alice, &gid).await;
    let preview = ok(
        app.call("GET", &format!("/invitations/{link}"), None, None, &[])
            .await,
        200,
        "preview",
    );
    assert_eq!(preview["ssoProviders"], json!([]));
    for (who, token) in [
        ("a password", app.token("pam@initech.com")),
        ("a Google", app.sso_token("gil@initech.com", Google)),
        ("a Microsoft", app.sso_token("mo@initech.com", Microsoft)),
    ] {
        let joined = app
            .post(&format!("/invitations/{link}/join"), &token, join())
            .await;
        assert_eq!(joined.status, 201, "{who} session: {joined:?}");
    }
}

#[tokio::test]
async fn no_admin_locks_themself_out_with_the_setting_they_send() {
    let app = spawn_app().await;
    let alice = app.token("alice@initech.com");

    // A password session cannot create, or turn a group into, one it
    // could not administer.
    let created = app
        .post(
            "/groups",
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false, "sso": ["google"]}),
        )
        .await;
    assert_eq!(created.status, 400, "{created:?}");
    assert_eq!(created.body["errors"][0]["field"], "sso", "{created:?}");
    let gid = app
        .create_group(
            &alice,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;
    let refused = app
        .patch(
            &format!("/groups/{gid}"),
            &alice,
            json!({"sso": ["google", "microsoft"]}),
        )
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(refused.body["errors"][0]["field"], "sso");
    let reason = refused.body["errors"][0]["reason"]
        .as_str()
        .expect("reason");
    assert!(
        reason.contains("with a password") && reason.contains("Google or Microsoft"),
        "{reason}"
    );
    let unchanged = ok(app.get(&format!("/groups/{gid}"), &alice).await, 200, "get");
    assert_eq!(unchanged["sso"], json!([]), "nothing changed");

    // A Google session may require Google, not Microsoft alone.
    let gus = app.sso_token("gus@initech.com", Google);
    let gid = app
        .create_group(
            &gus,
            json!({"name": "Globex", "products": ["b2"], "managed": false}),
        )
        .await;
    let microsoft_only = app
        .patch(
            &format!("/groups/{gid}"),
            &gus,
            json!({"sso": ["microsoft"]}),
        )
        .await;
    assert_eq!(microsoft_only.status, 400, "{microsoft_only:?}");
    assert!(
        microsoft_only.body["errors"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("you are signed in with Google"),
        "{microsoft_only:?}"
    );
    for setting in [json!(["google"]), json!(["google", "microsoft"]), json!([])] {
        let changed = app
            .patch(&format!("/groups/{gid}"), &gus, json!({"sso": setting}))
            .await;
        assert_eq!(ok(changed, 200, "a setting that keeps gus")["sso"], setting);
    }
}

/// A value for each path parameter of the group routes.
fn path_of(template: &str, gid: &str, member: &str) -> String {
    template
        .replace("{groupId}", gid)
        .replace("{accountId}", member)
        .replace("{computerId}", "laptop")
        .replace("{email}", "xavier@initech.com")
        .replace("{snapshotId}", "0196b4b2-7c1e-7000-8000-000000000000")
        .replace("{reportId}", "2026-01-01")
        .replace("{name}", "mel-files")
        .replace("{domain}", "initech.com")
}

/// A valid body for each group route that reads one (so the refusal met
/// is the session's, not a 400).
fn body_of(route: &str) -> Option<Value> {
    Some(match route {
        "PATCH /groups/{groupId}" => json!({"name": "Renamed"}),
        "POST /groups/{groupId}/admins" => json!({"email": "gus@initech.com"}),
        "POST /groups/{groupId}/invitations" => json!({"emails": ["xavier@initech.com"]}),
        "POST /groups/{groupId}/members" => json!({"region": "us-west"}),
        "PUT /groups/{groupId}/billing/payment-method" => {
            json!({"reference": "pm_1NxYz2AbC", "last4": "4242"})
        }
        "POST /groups/{groupId}/dissolution/confirm" => json!({"confirmationToken": "forged"}),
        "POST /groups/{groupId}/members/{accountId}/snapshots" => {
            json!({"bucket": "mel-files", "paths": ["docs/"]})
        }
        "POST /groups/{groupId}/members/{accountId}/snapshots/{snapshotId}/usb-orders" => json!({
            "address": {"recipient": "Mel", "lines": ["1 Main St"], "city": "Austin",
                        "postalCode": "78701", "country": "US"},
            "paymentReference": "pi_1"
        }),
        "POST /groups/{groupId}/members/{accountId}/account-changes" => {
            json!({"currentPassword": "Not-Her-Password-1", "newPassword": "Another-Password-2"})
        }
        "POST /groups/{groupId}/members/{accountId}/contact-verification" => {
            json!({"code": "123456"})
        }
        route if route.starts_with("GET ") || route.starts_with("DELETE ") => return None,
        _ => json!({}),
    })
}

#[tokio::test]
async fn every_group_route_refuses_an_admin_whose_session_the_group_does_not_admit() {
    let app = spawn_app().await;
    // gus administers a managed group from his Google account; pat, an
    // admin too, signs in with a password; mel (Google) is a member who
    // accepted managed access.
    let gus = app.sso_token("gus@initech.com", Google);
    let gid = app
        .create_group(
            &gus,
            json!({"name": "Initech", "products": ["computerBackup", "b2"], "managed": true,
                   "joinPolicy": {"approval": "autoApproveAll"}}),
        )
        .await;
    let pat = app.sign_in("pat@initech.com").await;
    ok(
        app.post(
            &format!("/groups/{gid}/admins"),
            &gus,
            json!({"email": "pat@initech.com"}),
        )
        .await,
        201,
        "pat made an admin",
    );
    let link = app.invite_link(&gus, &gid).await;
    let mel = app.sso_token("mel@initech.com", Google);
    ok(
        app.post(&format!("/invitations/{link}/join"), &mel, join())
            .await,
        201,
        "mel joins",
    );
    let mel_id = local::auth::federated_subject(Google, "mel@initech.com");
    ok(
        app.patch(&format!("/groups/{gid}"), &gus, json!({"sso": ["google"]}))
            .await,
        200,
        "gus requires Google",
    );

    // Every route under /groups/{groupId}, as the template lists them.
    let routes = local::routes::from_template(local::routes::TEMPLATE).expect("template parses");
    let group_routes: Vec<_> = routes
        .iter()
        .filter(|r| r.path.starts_with("/groups/{groupId}"))
        .collect();
    assert!(group_routes.len() > 30, "{}", group_routes.len());
    for route in &group_routes {
        let key = route.key();
        let path = path_of(&route.path, &gid, &mel_id);
        let reply = app
            .call(
                &route.method,
                &path,
                Some(&pat),
                body_of(&key).as_ref(),
                &[],
            )
            .await;
        sso_required(&reply, json!(["google"]), &key);
    }

    // The same reads from gus's Google session are answered (a 404 for a
    // made-up computer, snapshot or report is the route's own answer).
    for route in group_routes.iter().filter(|r| r.method == "GET") {
        let path = path_of(&route.path, &gid, &mel_id);
        let reply = app.get(&path, &gus).await;
        assert!(
            reply.status == 200 || reply.status == 404,
            "{}: {reply:?}",
            route.key()
        );
        assert_ne!(
            reply.body["type"],
            "/problems/sso-required",
            "{}",
            route.key()
        );
    }
    // ...and so are writes: gus adds himself as a member.
    ok(
        app.post(
            &format!("/groups/{gid}/members"),
            &gus,
            json!({"region": "us-west"}),
        )
        .await,
        201,
        "gus adds himself",
    );

    // The list of pat's groups leaves out the one his session cannot act
    // in; gus's shows it.
    let pats = ok(app.get("/groups", &pat).await, 200, "pat's groups");
    assert_eq!(pats["groups"], json!([]), "{pats}");
    let guss = ok(app.get("/groups", &gus).await, 200, "gus's groups");
    assert_eq!(guss["groups"][0]["id"], gid.as_str());

    // An outsider still learns nothing: the same 404 as a missing group.
    let outsider = app
        .get(&format!("/groups/{gid}"), &app.token("zed@else.org"))
        .await;
    assert_eq!(outsider.status, 404, "{outsider:?}");

    // pat cannot lift the setting from his password session either; once
    // gus lifts it, pat administers the group again.
    let lift = app
        .patch(&format!("/groups/{gid}"), &pat, json!({"sso": []}))
        .await;
    sso_required(&lift, json!(["google"]), "pat lifts the setting");
    ok(
        app.patch(&format!("/groups/{gid}"), &gus, json!({"sso": []}))
            .await,
        200,
        "gus lifts it",
    );
    ok(
        app.get(&format!("/groups/{gid}"), &pat).await,
        200,
        "pat is back",
    );
}

#[tokio::test]
async fn a_request_filed_before_sso_was_required_is_approved_only_if_its_session_would_do() {
    let app = spawn_app().await;
    let gus = app.sso_token("gus@initech.com", Google);
    let gid = app
        .create_group(
            &gus,
            json!({"name": "Initech", "products": ["b2"], "managed": false}),
        )
        .await;
    let link = app.invite_link(&gus, &gid).await;
    // Restricted: both ask.
    for token in [
        app.token("rita@initech.com"),
        app.sso_token("rick@initech.com", Google),
    ] {
        ok(
            app.post(&format!("/invitations/{link}/join"), &token, join())
                .await,
            202,
            "asks",
        );
    }
    ok(
        app.patch(&format!("/groups/{gid}"), &gus, json!({"sso": ["google"]}))
            .await,
        200,
        "require Google",
    );
    let rita_id = local::auth::local_subject("rita@initech.com");
    let rick_id = local::auth::federated_subject(Google, "rick@initech.com");
    let approve = app
        .post(
            &format!("/groups/{gid}/requests/{rita_id}/approve"),
            &gus,
            json!({}),
        )
        .await;
    sso_required(&approve, json!(["google"]), "rita asked with a password");
    assert!(
        approve.body["detail"]
            .as_str()
            .expect("detail")
            .contains("the requester asked signed in with a password"),
        "{approve:?}"
    );
    // Her request can still be turned down; rick's (Google) is approved.
    ok(
        app.post(
            &format!("/groups/{gid}/requests/{rita_id}/deny"),
            &gus,
            json!({}),
        )
        .await,
        204,
        "deny rita",
    );
    ok(
        app.post(
            &format!("/groups/{gid}/requests/{rick_id}/approve"),
            &gus,
            json!({}),
        )
        .await,
        200,
        "approve rick",
    );
}

#[tokio::test]
async fn a_member_who_joined_with_a_password_keeps_their_own_routes_and_can_leave() {
    let app = spawn_app().await;
    let gus = app.sso_token("gus@initech.com", Google);
    let gid = app
        .create_group(
            &gus,
            json!({"name": "Initech", "products": ["computerBackup"], "managed": false,
                   "joinPolicy": {"approval": "autoApproveAll"}}),
        )
        .await;
    let link = app.invite_link(&gus, &gid).await;
    let pete = app.token("pete@initech.com");
    ok(
        app.post(&format!("/invitations/{link}/join"), &pete, join())
            .await,
        201,
        "pete joins before SSO is required",
    );
    ok(
        app.patch(&format!("/groups/{gid}"), &gus, json!({"sso": ["google"]}))
            .await,
        200,
        "require Google",
    );
    // A member acts in the group only through their own `/me` routes,
    // which read no group (documented: the setting binds joining and
    // administering); his backups still check in.
    let checked_in = app
        .call(
            "PUT",
            "/me/computers/laptop",
            Some(&pete),
            Some(
                &json!({"name": "Pete's laptop", "os": "macOS 15", "clientVersion": "9.1.0",
                         "selectedBytes": 1000, "filesRemaining": 0, "alerts": []}),
            ),
            &[],
        )
        .await;
    assert_eq!(checked_in.status, 201, "{checked_in:?}");
    // Leaving gives up access, so any session may: pete leaves.
    assert_eq!(app.delete("/me/group", &pete).await.status, 204);
    // Coming back, he needs a Google session like anyone.
    let again = app
        .post(&format!("/invitations/{link}/join"), &pete, join())
        .await;
    sso_required(&again, json!(["google"]), "pete rejoins with a password");
}

#[test]
fn a_deployed_event_of_a_federated_caller_reads_as_its_provider() {
    // `GET /me` as API Gateway hands it to the function, its claims those of
    // a user Cognito created through Google: `identities` flattened by the
    // JWT authorizer, or as JSON text; and the password user's own event.
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events/http/get-me.json"),
    )
    .expect("events/http/get-me.json");
    let event: Value = serde_json::from_str(&text).expect("an event");
    let flattened = "[map[dateCreated:1795687100000 issuer:<nil> primary:true providerName:Google providerType:Google userId:105150609770703019992]]";
    let json_text = r#"[{"dateCreated":"1795687100000","userId":"105150609770703019992","providerName":"Google","providerType":"Google","issuer":null,"primary":"true"}]"#;
    for (identities, expected) in [
        (Some(flattened), shared::identity::SignIn::Sso(Google)),
        (Some(json_text), shared::identity::SignIn::Sso(Google)),
        (None, shared::identity::SignIn::Password),
    ] {
        let mut event = event.clone();
        let claims = &mut event["requestContext"]["authorizer"]["jwt"]["claims"];
        if let Some(identities) = identities {
            claims["identities"] = json!(identities);
            claims["cognito:username"] = json!("Google_105150609770703019992");
        }
        let request = lambda_http::request::from_str(&event.to_string()).expect("parses");
        let caller = shared::http::caller(&request).expect("a caller");
        assert_eq!(caller.sign_in, expected, "{identities:?}");
    }
}

#[test]
fn the_templates_identity_providers_are_the_ones_the_code_names() {
    let doc: Yaml = serde_yaml::from_str(local::routes::TEMPLATE).expect("template parses");
    let resources = doc["Resources"].as_mapping().expect("resources");
    let named: BTreeSet<&str> = resources
        .values()
        .filter(|r| r["Type"].as_str() == Some("AWS::Cognito::UserPoolIdentityProvider"))
        .map(|r| {
            r["Properties"]["ProviderName"]
                .as_str()
                .expect("a literal name")
        })
        .collect();
    let coded: BTreeSet<&str> = shared::model::SsoProvider::ALL
        .iter()
        .map(|p| p.identity_provider())
        .collect();
    assert_eq!(named, coded);
}

#[test]
fn every_route_that_can_refuse_a_session_documents_its_403() {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra/openapi.yaml"),
    )
    .expect("infra/openapi.yaml");
    let doc: Yaml = serde_yaml::from_str(&text).expect("openapi parses");
    let responses = &doc["components"]["responses"];
    let mut undocumented = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("path");
        if !(path.starts_with("/groups/{groupId}") || path == "/invitations/{token}/join") {
            continue;
        }
        for (method, op) in item.as_mapping().expect("operations") {
            let Some(method) = method.as_str().filter(|m| *m != "parameters") else {
                continue;
            };
            let forbidden = &op["responses"]["403"];
            let forbidden = match forbidden["$ref"].as_str() {
                Some(reference) => &responses[reference.rsplit('/').next().expect("a name")],
                None => forbidden,
            };
            let described = forbidden["description"].as_str().unwrap_or_default();
            if !described.contains("sso-required") {
                undocumented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        undocumented.is_empty(),
        "no `sso-required` 403: {undocumented:?}"
    );
}
