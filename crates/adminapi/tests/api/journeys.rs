//! Authentication journeys over HTTP: administrators of the community write them in both views
//! (another community's and plain users are refused; bad operators, CIDRs, methods and fields are
//! a 400 naming the field), and every login follows them: no journey is a JWT at once,
//! `mfa_required` answers `next` and a single-use token that a passcode (read from a real SMTP
//! server) turns into a JWT, a passcode never replaces the password, `deny` is a 403, and the `ip`
//! and `deviceId` conditions match the client's address and the `facts` header (forwarded
//! addresses only when the deployment trusts them). No code or token reaches the log.

use std::sync::Arc;

use adminapi::domain::tenancy;
use envelope::wire::SealedBody;
use envelope::{Client, Curve, KeyPair};
use kit::testing::Storage;
use reqwest::Method;
use serde_json::{Value, json};

use crate::login::{Platform, assert_error, bearer, call, call_plain, linked_platform, platform, uid_of};
use crate::msg_gateway::{edit, email_gateway, smtp_server};
use crate::otp::{code_in, wrong};

/// A login call as a browser makes it: signed headers, a sealed body, `extra` headers and an
/// encrypted `facts` header when given.
async fn login(url: &str, path: &str, body: &Value, extra: &[(&str, &str)], facts: Option<&Value>) -> (u16, Value) {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().app_id("admin-console");
    let peer = client.peer(url).await.unwrap();
    let mut req = client.http().request(Method::POST, format!("{url}{path}"));
    for (name, value) in client.headers(&peer).unwrap().pairs() {
        req = req.header(name, value);
    }
    for (name, value) in extra {
        req = req.header(*name, *value);
    }
    if let Some(f) = facts {
        req = req.header("facts", peer.shared.encrypt(&f.to_string()).unwrap());
    }
    let resp = req.json(&SealedBody::seal(&peer.shared, body).unwrap()).send().await.unwrap();
    let status = resp.status().as_u16();
    let reply = envelope::client::open_reply(status, &resp.bytes().await.unwrap(), &peer.shared);
    (reply.status, reply.body)
}

fn password(p: &Platform, username: &str, password: &str) -> Value {
    p.credentials(username, password)
}

type Mails = tokio::sync::mpsc::UnboundedReceiver<crate::msg_gateway::Mail>;

const BOB: &str = "Violet-Harbor-58";
const CAROL: &str = "Amber-Canyon-42";

#[tokio::test]
async fn administrators_write_journeys_of_their_community_in_both_views() {
    for storage in [Storage::Embedded, Storage::Postgres] {
        let Some(p) = platform(storage, "journeys crud", 1, &[]).await else { continue };
        let url = p.admin[0].as_str();
        let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
        let bob = bearer(&p.token("bob", BOB).await);
        let office = json!({"journeyName": "office", "groups": {"value": ["staff"], "operator": "overlap"},
            "deviceId": {"value": ["d1"], "operator": "overlap"}, "application": {"value": ["Salesforce"], "operator": "in"},
            "username": {"value": ["bob"], "operator": "in"}, "ip": {"value": ["10.10.10.10", "10.0.0.0/8"], "operator": "in_range"},
            "domain": "1k-dev.com", "decision": {"action": "mfa_required", "authenticationMethods": ["password_and_otp"]}});

        // Plain users may not; an administrator creates, in the session's community by default.
        let (s, r) = call(url, Method::PUT, "/authenticationJourney", Some(&bob), Some(&office)).await;
        assert_error(s, &r, 403, "may not call this endpoint");
        let (s, r) = call(url, Method::PUT, "/authenticationJourney", None, Some(&office)).await;
        assert_eq!(s, 401, "{r}");
        let (s, created) = call(url, Method::PUT, "/authenticationJourney", Some(&jane), Some(&office)).await;
        assert_eq!(s, 200, "{created}");
        let id = created["id"].as_str().unwrap().to_owned();
        assert!(kit::ids::is_object_id(&id));
        assert_eq!(
            (created["communityId"].as_str(), created["enabled"].as_bool()),
            (Some(p.community.as_str()), Some(true))
        );
        for (k, v) in office.as_object().unwrap() {
            assert_eq!(&created[k], v, "{k}");
        }

        // v2 is another view of the same records.
        let (s, r) = call(url, Method::POST, "/v2/authenticationJourney/fetch", Some(&jane), Some(&json!({}))).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!((r[0]["id"].as_str(), r[0]["name"].as_str()), (Some(id.as_str()), Some("office")), "{r}");
        assert_eq!(r[0]["usernames"], office["username"]);
        assert_eq!(r[0]["requestingAppId"], office["application"]);
        let linux = json!({"tenantId": p.tenant, "communityId": p.community, "name": "auth-journey-1", "enabled": true,
            "category": "adaptive_auth_fallback_policy_v2", "groups": {"value": ["group a", "group b"], "operator": "overlap"},
            "requestingAppId": {"value": "linux_cp", "operator": "eq"}, "usernames": {"value": ["username_1"], "operator": "in"},
            "decision": {"action": "mfa_required", "authenticationMethods": ["password_and_otp", "helpdesk_otp"]}});
        let (s, second) = call(url, Method::PUT, "/v2/authenticationJourney", Some(&jane), Some(&linux)).await;
        assert_eq!(s, 200, "{second}");
        let second_id = second["id"].as_str().unwrap().to_owned();
        let (s, r) = call(url, Method::PUT, "/v2/authenticationJourney", Some(&jane), Some(&linux)).await;
        assert_error(s, &r, 409, "a journey of that name");
        let filters = [
            (json!({"category": "adaptive_auth_fallback_policy_v2"}), vec![second_id.as_str()]),
            (json!({"requestingAppId": "LINUX_CP"}), vec![second_id.as_str()]),
            (json!({"requestingAppId": "salesforce"}), vec![id.as_str()]),
            (json!({"ids": [id]}), vec![id.as_str()]),
            (json!({"tenantId": p.tenant, "communityId": p.community}), vec![id.as_str(), second_id.as_str()]),
        ];
        for (filter, expected) in filters {
            let (s, r) = call(url, Method::POST, "/v2/authenticationJourney/fetch", Some(&jane), Some(&filter)).await;
            let ids: Vec<&str> = r.as_array().unwrap().iter().map(|j| j["id"].as_str().unwrap()).collect();
            assert_eq!((s, ids), (200, expected), "{filter}");
        }
        let (s, r) =
            call_plain(url, Method::POST, "/authenticationJourney/fetch", Some(&jane), &json!({"ids": [second_id]}))
                .await;
        assert_eq!((s, r[0]["journeyName"].as_str()), (200, Some("auth-journey-1")), "a plain request: {r}");
        assert_eq!(r[0]["application"], json!({"value": "linux_cp", "operator": "eq"}));

        // PATCH replaces what it gives, removes what it nulls; the result is checked as a create.
        let path = format!("/v2/authenticationJourney/{second_id}");
        let patch =
            json!({"enabled": false, "groups": null, "ip": {"value": ["2001:db8::/32"], "operator": "in_range"}});
        let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&patch)).await;
        assert_eq!((s, r["enabled"].as_bool(), r.get("groups")), (200, Some(false), None), "{r}");
        assert_eq!((r["ip"]["value"][0].as_str(), r["name"].as_str()), (Some("2001:db8::/32"), Some("auth-journey-1")));
        let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&json!({"name": "office"}))).await;
        assert_error(s, &r, 409, "a journey of that name");
        let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&json!({"id": id}))).await;
        assert_error(s, &r, 400, "id must be the id of the path");
        let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&json!({"decision": null}))).await;
        assert_error(s, &r, 400, "decision is required");

        // Strict validation, each error naming its field and never echoing the value.
        let bad = [
            (
                json!({"ip": {"value": ["10.0.0.0/33"], "operator": "in_range"}}),
                "ip.value[0] must be an IP address or a CIDR network",
            ),
            (
                json!({"ip": {"value": ["10.1.0.0/8"], "operator": "in_range"}}),
                "ip.value[0] must be an IP address or a CIDR network",
            ),
            (json!({"ip": {"value": ["10.0.0.0/8"], "operator": "within"}}), "ip.operator must be in_range"),
            (json!({"groups": {"value": ["a"], "operator": "intersects"}}), "groups.operator must be overlap"),
            (json!({"username": {"value": ["bob"], "operator": "eq"}}), "username.operator must be in"),
            (json!({"application": {"value": "x", "operator": "matches"}}), "application.operator must be eq or in"),
            (json!({"deviceId": {"value": [], "operator": "overlap"}}), "deviceId.value must be an array of 1 to 100"),
            (
                json!({"decision": {"action": "mfa_required", "authenticationMethods": ["carrier_pigeon"]}}),
                "decision.authenticationMethods[0] must be one of password_and_otp, helpdesk_otp, behavior_auth_and_user_pin",
            ),
            (json!({"decision": {"action": "mfa_required"}}), "at least one method"),
            (json!({"decision": {"action": "quarantine"}}), "decision.action must be one of allow, deny, mfa_required"),
            (json!({"requestingAppId": {"value": "x", "operator": "eq"}}), "unknown field"),
            (json!({"domain": "not a domain"}), "domain must be a DNS name"),
            (json!({"id": id}), "id is chosen by the server"),
        ];
        for (change, needle) in bad {
            let mut body = json!({"journeyName": "strict", "decision": {"action": "deny"}});
            for (k, v) in change.as_object().unwrap() {
                body[k] = v.clone();
            }
            let (s, r) = call(url, Method::PUT, "/authenticationJourney", Some(&jane), Some(&body)).await;
            assert_error(s, &r, 400, needle);
            assert!(!r.to_string().contains("10.1.0.0") && !r.to_string().contains("carrier_pigeon"), "{r}");
        }
        let (s, r) = call(
            url,
            Method::PUT,
            "/authenticationJourney",
            Some(&jane),
            Some(&json!({"decision": {"action": "deny"}})),
        )
        .await;
        assert_error(s, &r, 400, "journeyName is required");

        // An administrator acts in their community only.
        let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
        let elsewhere = json!({"tenantId": p.tenant, "communityId": other.id});
        let mut foreign = office.clone();
        foreign["communityId"] = json!(other.id);
        let (s, r) = call(url, Method::PUT, "/authenticationJourney", Some(&jane), Some(&foreign)).await;
        assert_error(s, &r, 403, "may not act in this community");
        let (s, r) = call(url, Method::POST, "/authenticationJourney/fetch", Some(&jane), Some(&elsewhere)).await;
        assert_error(s, &r, 403, "may not act in this community");
        let (s, r) =
            call(url, Method::PATCH, &format!("/authenticationJourney/{id}"), Some(&jane), Some(&elsewhere)).await;
        assert_error(s, &r, 403, "may not act in this community");
        let (s, r) =
            call(url, Method::DELETE, &format!("/v2/authenticationJourney/{id}"), Some(&jane), Some(&elsewhere)).await;
        assert_error(s, &r, 403, "may not act in this community");
        let (s, r) =
            call(url, Method::DELETE, &format!("/authenticationJourney/{id}"), Some(&bob), Some(&json!({}))).await;
        assert_error(s, &r, 403, "may not call this endpoint");

        // Delete: 204, then 404; a bad id is a 400.
        let (s, r) =
            call(url, Method::DELETE, &format!("/authenticationJourney/{id}"), Some(&jane), Some(&json!({}))).await;
        assert_eq!(s, 204, "{r}");
        let (s, r) =
            call(url, Method::DELETE, &format!("/authenticationJourney/{id}"), Some(&jane), Some(&json!({}))).await;
        assert_error(s, &r, 404, "no such authentication journey");
        let (s, r) = call(url, Method::PATCH, "/authenticationJourney/not-an-id", Some(&jane), Some(&json!({}))).await;
        assert_error(s, &r, 400, "id must be a 24-hex-digit id");

        // Every write is in the audit log, by field names, with its author.
        let changes = p.stores.audit.changes(&p.community, 100).await.unwrap();
        let mine: Vec<(&str, &str)> = changes
            .iter()
            .filter(|c| c.kind == "auth_journey")
            .map(|c| (c.action.as_str(), c.record.as_str()))
            .collect();
        assert_eq!(
            mine,
            vec![
                ("delete", id.as_str()),
                ("update", second_id.as_str()),
                ("create", second_id.as_str()),
                ("create", id.as_str())
            ]
        );
        let update = changes.iter().find(|c| c.kind == "auth_journey" && c.action == "update").unwrap();
        assert_eq!(update.fields, vec!["enabled", "groups", "ip"]);
        let jane_uid = uid_of(&p, "jane").await;
        assert!(changes.iter().filter(|c| c.kind == "auth_journey").all(|c| c.actor == jane_uid));
    }
}

/// A platform whose users-mgmt asks adminapi to check passcodes, with carol (an email address),
/// an SMTP gateway catching the codes, and jane's token.
async fn with_mail(test: &str) -> Option<(Platform, String, Mails)> {
    let p = linked_platform(Storage::Embedded, test).await?;
    let carol = json!({"authModule": p.module, "users": [
        {"username": "carol", "password": CAROL, "email1": "carol.doe@example.com", "firstname": "Carol"},
    ]});
    assert_eq!(p.users_call(Method::PUT, "/users/create", carol).await["created"], 1);
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let (smtp_port, mails) = smtp_server().await;
    let gateway = edit(&email_gateway(&p), |b| {
        b.insert("protocol".into(), json!("smtp-insecure"));
        b.insert("serviceUrl".into(), json!("127.0.0.1"));
        b.insert("port".into(), json!(smtp_port));
    });
    let (s, r) = call(&p.admin[0], Method::POST, "/msg_gateway/create", Some(&jane), Some(&gateway)).await;
    assert_eq!(s, 200, "{r}");
    Some((p, jane, mails))
}

/// A passcode sent by `PUT /generate/otp` with `body`, read from the SMTP server.
async fn emailed(url: &str, body: &Value, mails: &mut Mails) -> String {
    let (s, r) = call(url, Method::PUT, "/generate/otp", None, Some(body)).await;
    assert_eq!(s, 200, "{r}");
    code_in(&mails.recv().await.unwrap().data)
}

#[tokio::test]
async fn mfa_required_asks_for_a_passcode_after_the_password_once() {
    crate::captured_logs::start();
    let Some((p, jane, mut mails)) = with_mail("journeys mfa").await else { return };
    let url = p.admin[0].as_str();
    let scope = json!({"tenantId": p.tenant, "communityId": p.community});
    let with = |extra: Value| {
        let mut b = scope.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let mut secrets = Vec::new();

    // No journey: the password is a JWT at once.
    let (s, r) = login(url, "/verifyuser", &password(&p, "carol", CAROL), &[], None).await;
    assert!(s == 200 && r["jwt_token"].is_string() && r.get("next").is_none(), "{s} {r}");

    let journey = json!({"name": "carol needs a code", "usernames": {"value": ["carol"], "operator": "in"},
        "decision": {"action": "mfa_required", "authenticationMethods": ["password_and_otp"]}});
    let (s, r) = call(url, Method::PUT, "/v2/authenticationJourney", Some(&jane), Some(&journey)).await;
    assert_eq!(s, 200, "{r}");

    // The password alone: the user, a user_token and next, no JWT.
    let (s, r) = login(url, "/verifyuser", &password(&p, "carol", CAROL), &[], None).await;
    assert_eq!((s, r["next"].as_str(), r["user"]["username"].as_str()), (200, Some("otp"), Some("carol")), "{r}");
    assert!(r.get("jwt_token").is_none(), "{r}");
    let token = r["user_token"].as_str().unwrap().to_owned();
    let generate = with(json!({"user_token": token, "deliveryMethod": "email"}));
    let (s, r) = call(url, Method::PUT, "/generate/otp", None, Some(&generate)).await;
    assert_eq!(s, 200, "{r}");
    let code = code_in(&mails.recv().await.unwrap().data);
    secrets.extend([code.clone(), token.clone()]);

    // A wrong passcode spends the token; a second password step and the right code sign in.
    let auth = |token: &str, passcode: &str| with(json!({"user_token": token, "passcode": passcode}));
    let (s, r) = login(url, "/authenticate", &auth(&token, &wrong(&code)), &[], None).await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, r) = login(url, "/authenticate", &auth(&token, &code), &[], None).await;
    assert_error(s, &r, 401, "user_token has already been used");
    let (s, r) = login(url, "/verifyuser", &password(&p, "carol", CAROL), &[], None).await;
    assert_eq!(s, 200, "{r}");
    let second = r["user_token"].as_str().unwrap().to_owned();
    secrets.push(second.clone());
    let (s, r) = login(url, "/authenticate", &auth(&second, &code), &[], None).await;
    assert_eq!((s, r["user"]["username"].as_str()), (200, Some("carol")), "{r}");
    let jwt = r["jwt_token"].as_str().unwrap().to_owned();
    let (s, r) = call(url, Method::GET, "/logout", Some(&bearer(&jwt)), None).await;
    assert_eq!(s, 204, "the JWT opens a session: {r}");
    let (s, r) = login(url, "/authenticate", &auth(&second, &code), &[], None).await;
    assert_error(s, &r, 401, "user_token has already been used");
    let forged = format!("{}A", &second[..second.len() - 1]);
    let (s, r) = login(url, "/authenticate", &auth(&forged, &code), &[], None).await;
    assert_error(s, &r, 401, "user_token is invalid or expired");

    // A passcode never stands in for the password: not on /verifyuser, not with a found user.
    let (s, r) = call(url, Method::POST, "/users/find", None, Some(&with(json!({"username": "carol"})))).await;
    assert_eq!(s, 200, "{r}");
    let found = r["users"][0]["user_token"].as_str().unwrap().to_owned();
    let by_found = with(json!({"user_token": found, "deliveryMethod": "email"}));
    let alone = emailed(url, &by_found, &mut mails).await;
    let (s, r) = login(url, "/verifyuser", &with(json!({"username": "carol", "otp": alone})), &[], None).await;
    assert_error(s, &r, 401, "requires the password first");
    let again = emailed(url, &by_found, &mut mails).await;
    let (s, r) = login(url, "/authenticate", &auth(&found, &again), &[], None).await;
    assert_error(s, &r, 401, "requires the password first");
    // The password and a passcode together finish at once.
    let both = emailed(url, &by_found, &mut mails).await;
    let mut full = password(&p, "carol", CAROL);
    full["otp"] = json!(both);
    let (s, r) = login(url, "/verifyuser", &full, &[], None).await;
    assert!(s == 200 && r["jwt_token"].is_string(), "{s} {r}");
    secrets.extend([alone, again, both, found.clone()]);

    // v2: need_mfa with its factors and step token; the step token and web_otp answer the JWT.
    let (s, r) = login(url, "/v2/request_access", &password(&p, "carol", CAROL), &[], None).await;
    assert_eq!((s, r["next"]["step"].as_str()), (200, Some("need_mfa")), "{r}");
    assert_eq!(r["next"]["allowed_factors"], json!(["web_otp", "any_otp"]));
    assert!(r.get("jwt").is_none(), "{r}");
    let step = r["next"]["step_token"].as_str().unwrap().to_owned();
    let (s, r) = call(
        url,
        Method::PUT,
        "/generate/otp",
        None,
        Some(&with(json!({"user_token": step, "deliveryMethod": "email"}))),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let v2_code = code_in(&mails.recv().await.unwrap().data);
    secrets.extend([step.clone(), v2_code.clone()]);
    let (s, r) =
        login(url, "/v2/request_access", &with(json!({"step_token": step, "password": CAROL})), &[], None).await;
    assert_error(s, &r, 400, "step_token goes with web_otp or any_otp");
    let forged = format!("{}A", &step[..step.len() - 1]);
    let (s, r) =
        login(url, "/v2/request_access", &with(json!({"step_token": forged, "web_otp": v2_code})), &[], None).await;
    assert_error(s, &r, 401, "step_token is invalid or expired");
    // A token of /users/find proves no password: it is no step token.
    let (s, r) =
        login(url, "/v2/request_access", &with(json!({"step_token": found, "web_otp": v2_code})), &[], None).await;
    assert_error(s, &r, 401, "step_token is invalid or expired");
    let finish = with(json!({"step_token": step, "web_otp": v2_code, "username": "carol"}));
    let (s, r) = login(url, "/v2/request_access", &finish, &[], None).await;
    assert_eq!((s, r["user"]["username"].as_str()), (200, Some("carol")), "{r}");
    assert!(r["jwt"].is_string());
    let (s, r) = login(url, "/v2/request_access", &finish, &[], None).await;
    assert_error(s, &r, 401, "step_token has already been used");

    // Another user is not concerned: a JWT at once.
    let (s, r) = login(url, "/verifyuser", &password(&p, "bob", BOB), &[], None).await;
    assert!(s == 200 && r["jwt_token"].is_string(), "{s} {r}");

    let log = crate::captured_logs::text();
    assert!(log.contains("authentication journey applied"), "the capture saw the logins");
    for secret in &secrets {
        assert!(!crate::captured_logs::holds(&log, secret), "a code or token in the log");
    }
}

#[tokio::test]
async fn deny_and_the_conditions_on_address_and_device() {
    let Some(p) = platform(Storage::Embedded, "journeys deny", 1, &[]).await else { return };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let bob = password(&p, "bob", BOB);
    let off_site = json!({"journeyName": "bob off site", "username": {"value": ["bob"], "operator": "in"},
        "ip": {"value": ["10.0.0.0/8"], "operator": "in_range"}, "decision": {"action": "deny"}});
    let (s, created) = call(url, Method::PUT, "/authenticationJourney", Some(&jane), Some(&off_site)).await;
    assert_eq!(s, 200, "{created}");
    let path = format!("/authenticationJourney/{}", created["id"].as_str().unwrap());

    // The address does not match (the peer is 127.0.0.1); a forwarded one is not trusted here.
    let (s, r) = login(url, "/verifyuser", &bob, &[], None).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = login(url, "/verifyuser", &bob, &[("x-forwarded-for", "10.9.9.9")], None).await;
    assert_eq!(s, 200, "X-Forwarded-For is not trusted by default: {r}");
    // The range holds the address: deny, on every login.
    let patch = json!({"ip": {"value": ["10.0.0.0/8", "127.0.0.1"], "operator": "in_range"}});
    let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&patch)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = login(url, "/verifyuser", &bob, &[], None).await;
    assert_error(s, &r, 403, "access denied by the community's authentication journey");
    let (s, r) = login(url, "/v2/request_access", &bob, &[], None).await;
    assert_error(s, &r, 403, "access denied by the community's authentication journey");
    // A wrong password is still the plain 401 (the journey comes after the factors).
    let (s, r) = login(url, "/verifyuser", &password(&p, "bob", "wrong-password-1"), &[], None).await;
    assert_error(s, &r, 401, "invalid username or credentials");
    // Jane is not concerned.
    let (s, r) = login(url, "/verifyuser", &password(&p, "jane", "Quartz-Meadow-71"), &[], None).await;
    assert_eq!(s, 200, "{r}");

    // The device of the facts header.
    let patch = json!({"ip": null, "deviceId": {"value": ["dev-42"], "operator": "overlap"}});
    let (s, r) = call(url, Method::PATCH, &path, Some(&jane), Some(&patch)).await;
    assert_eq!(s, 200, "{r}");
    let (s, r) = login(url, "/v2/request_access", &bob, &[], None).await;
    assert_eq!(s, 200, "no facts header, no device: {r}");
    let (s, r) = login(url, "/v2/request_access", &bob, &[], Some(&json!({"deviceId": "dev-7"}))).await;
    assert_eq!(s, 200, "another device: {r}");
    let (s, r) = login(
        url,
        "/v2/request_access",
        &bob,
        &[],
        Some(&json!({"deviceId": "dev-42", "deviceDomain": "corp.example.com"})),
    )
    .await;
    assert_error(s, &r, 403, "access denied");
    let (s, r) = login(url, "/v2/request_access", &bob, &[("facts", "not encrypted")], None).await;
    assert_error(s, &r, 400, "facts header must be a JSON object encrypted with the shared key");

    // A disabled journey is not applied; a method no login offers yet is a clear 403.
    let (s, _) = call(url, Method::PATCH, &path, Some(&jane), Some(&json!({"enabled": false}))).await;
    assert_eq!(s, 200);
    let (s, r) = login(url, "/verifyuser", &bob, &[], Some(&json!({"deviceId": "dev-42"}))).await;
    assert_eq!(s, 200, "{r}");
    let behavior = json!({"enabled": true, "decision": {"action": "mfa_required", "authenticationMethods": ["behavior_auth_and_user_pin"]}});
    let (s, _) = call(url, Method::PATCH, &path, Some(&jane), Some(&behavior)).await;
    assert_eq!(s, 200);
    let (s, r) = login(url, "/verifyuser", &bob, &[], Some(&json!({"deviceId": "dev-42"}))).await;
    assert_error(s, &r, 403, "requires behavior_auth_and_user_pin, which no login offers yet");
}

#[tokio::test]
async fn forwarded_addresses_count_only_where_the_deployment_trusts_them() {
    let Some(p) = platform(Storage::Embedded, "journeys forwarded", 1, &[("TRUST_FORWARDED_HEADERS", "true")]).await
    else {
        return;
    };
    let url = p.admin[0].as_str();
    let jane = bearer(&p.token("jane", "Quartz-Meadow-71").await);
    let deny = json!({"name": "no 10/8", "usernames": {"value": ["bob"], "operator": "in"},
        "ip": {"value": ["10.0.0.0/8"], "operator": "in_range"}, "decision": {"action": "deny"}});
    let (s, r) = call(url, Method::PUT, "/v2/authenticationJourney", Some(&jane), Some(&deny)).await;
    assert_eq!(s, 200, "{r}");
    let bob = password(&p, "bob", BOB);
    let (s, r) = login(url, "/verifyuser", &bob, &[], None).await;
    assert_eq!(s, 200, "the peer, 127.0.0.1: {r}");
    let (s, r) = login(url, "/verifyuser", &bob, &[("x-forwarded-for", "10.1.2.3")], None).await;
    assert_error(s, &r, 403, "access denied");
    let (s, r) = login(url, "/verifyuser", &bob, &[("forwarded", "for=10.1.2.3;proto=https")], None).await;
    assert_error(s, &r, 403, "access denied");
    let (s, r) = login(url, "/verifyuser", &bob, &[("x-forwarded-for", "192.0.2.7")], None).await;
    assert_eq!(s, 200, "{r}");
}

#[tokio::test]
async fn another_communitys_journeys_do_not_apply() {
    let Some(p) = platform(Storage::Embedded, "journeys scope", 1, &[]).await else { return };
    let other = tenancy::create_community(&*p.stores.tenancy, &p.tenant, "partners").await.unwrap();
    // A journey written straight into the store for the other community: bob's logins here ignore it.
    let journeys = adminapi::domain::journeys::Journeys::new(p.stores.journeys.clone());
    let draft = adminapi::domain::journeys::Draft {
        name: "everyone out".into(),
        category: None,
        enabled: true,
        conditions: Default::default(),
        decision: adminapi::domain::journeys::Decision {
            action: adminapi::domain::journeys::Action::Deny,
            methods: Vec::new(),
        },
    };
    let owner = adminapi::domain::config::Owner { tenant_id: &p.tenant, community_id: &other.id };
    journeys.create(owner, "tests", draft.clone(), 1).await.unwrap();
    let (s, r) = login(&p.admin[0], "/verifyuser", &password(&p, "bob", BOB), &[], None).await;
    assert_eq!(s, 200, "{r}");
    let here = adminapi::domain::config::Owner { tenant_id: &p.tenant, community_id: &p.community };
    journeys.create(here, "tests", draft, 1).await.unwrap();
    let (s, r) = login(&p.admin[0], "/verifyuser", &password(&p, "bob", BOB), &[], None).await;
    assert_error(s, &r, 403, "access denied");
}
