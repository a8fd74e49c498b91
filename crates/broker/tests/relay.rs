//! The broker binary end to end: users-mgmt with a directory module in `mode: broker`, whose
//! directory (a real OpenLDAP, `kit::testing::slapd`) only the broker is told to reach, and the
//! built `broker` process relaying to it. A directory user authenticates through the broker; a
//! wrong password and an unknown user are refused; the connection is listed, renamed, disabled
//! (the broker is turned away and logins get 503) and deleted; a broker that goes silent past
//! its heartbeat window is marked down by the infra sweep. Users are fetched and counted, a
//! password changed and the connection tested through the broker as they are directly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use envelope::{Client, Curve, KeyPair};
use kit::testing::slapd::{self, Slapd};
use kit::testing::{COMMUNITY_ID, INFRA_KEY, SERVICE_KEY, Storage, TENANT_ID};
use reqwest::Method;
use serde_json::{Value, json};

const FAST: [(&str, &str); 3] = [("ARGON2_MEMORY_KIB", "64"), ("ARGON2_ITERATIONS", "1"), ("ARGON2_PARALLELISM", "1")];

fn admin() -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(SERVICE_KEY).app_id("tests")
}

fn path(rest: &str) -> String {
    format!("/tenant/{TENANT_ID}/community/{COMMUNITY_ID}{rest}")
}

async fn call(url: &str, method: Method, rest: &str, body: Option<&Value>) -> (u16, Value) {
    let reply = admin().call(method, url, &path(rest), body).await.unwrap();
    (reply.status, reply.body)
}

/// The broker process, stopped on drop.
struct BrokerProcess(Child);

impl BrokerProcess {
    fn start(url: &str, module: &str, key: &str) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_broker"))
            .env("BROKER_URL", url)
            .env("BROKER_KEY", key)
            .env("BROKER_TENANT_ID", TENANT_ID)
            .env("BROKER_COMMUNITY_ID", COMMUNITY_ID)
            .env("BROKER_MODULE_ID", module)
            .env("BROKER_NAME", "Branch office")
            .env("BROKER_WORKERS", "2")
            .env("RUST_LOG", std::env::var("TEST_LOG").map(|_| "info").unwrap_or("error"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// Whether the process ended, within `wait`.
    async fn ended_within(&mut self, wait: Duration) -> bool {
        let deadline = std::time::Instant::now() + wait;
        while std::time::Instant::now() < deadline {
            if self.0.try_wait().unwrap().is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// users-mgmt (polls of 1 s, a 2 s heartbeat) and a module in mode broker on `dir`.
async fn setup(dir: &Slapd, test: &str) -> (kit::testing::TestService, String) {
    setup_with(dir, test, &[]).await
}

/// [`setup`] with more settings.
async fn setup_with(dir: &Slapd, test: &str, extra: &[(&str, &str)]) -> (kit::testing::TestService, String) {
    let mut env = FAST.to_vec();
    env.extend([("BROKER_POLL_SECONDS", "1"), ("BROKER_HEARTBEAT_SECONDS", "2")]);
    env.extend_from_slice(extra);
    let app = kit::testing::spawn_with_keys(users_mgmt::SERVICE, users_mgmt::build, Storage::Embedded, test, &env)
        .await
        .unwrap();
    let module = broker_module_body(dir);
    let (s, m) = call(&app.url, Method::PUT, "/module/create", Some(&module)).await;
    assert_eq!(s, 200, "{m}");
    let id = m["_id"].as_str().unwrap().to_owned();
    (app, id)
}

/// A module in mode broker on `dir`, notices on at once.
fn broker_module_body(dir: &Slapd) -> Value {
    let config = json!({
        "serverprotocol": "ldap", "server": "127.0.0.1", "serverport": dir.port.to_string(), "hosts": [],
        "binddn": slapd::SERVICE_DN, "bindpassword": slapd::SERVICE_PASSWORD, "basedn": slapd::BASE_DN,
        "securityauthentication": "Simple", "filter": "uid", "serviceacctreadonly": true, "hostTimeoutSeconds": 3,
        "brokerNotificationsEnabled": true, "notificationAfterNoOfMinsDisconnect": 0,
        "brokerDisconnectNotificationTo": ["it-ops@example.test"],
    });
    json!({"type": "ldap", "subtype": "directory", "method": "authn", "name": "Branch LDAP", "mode": "broker", "config": config})
}

async fn login(url: &str, module: &str, username: &str, password: &str) -> (u16, Value) {
    let body = json!({"authModule": module, "username": username, "password": password});
    call(url, Method::POST, "/user/authenticate", Some(&body)).await
}

async fn brokers(url: &str, module: &str) -> Vec<Value> {
    let (s, list) = call(url, Method::GET, &format!("/module/{module}/broker/fetch"), None).await;
    assert_eq!(s, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// Waits until the module has a broker polling (a login that does not answer 503).
async fn wait_for_broker(url: &str, module: &str) {
    for _ in 0..100 {
        if login(url, module, "alice", "Alice-Pw-1").await.0 != 503 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no broker came");
}

fn assert_error(status: u16, body: &Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains(needle), "message {message:?} lacks {needle:?}");
}

#[tokio::test]
async fn a_directory_user_authenticates_through_the_broker() {
    let Some(dir) = Slapd::start("broker relay") else { return };
    let (app, module) = setup(&dir, "broker relay").await;
    let url = app.url.as_str();

    // No broker yet: the directory cannot be reached, never a success.
    let (s, r) = login(url, &module, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "no broker of the auth module is connected");
    // A key that is not the community's is refused, and the broker stops.
    let mut stranger = BrokerProcess::start(url, &module, "not-a-license");
    assert!(stranger.ended_within(Duration::from_secs(10)).await, "a broker with a bad key is turned away");
    assert!(brokers(url, &module).await.is_empty());

    let mut broker = BrokerProcess::start(url, &module, SERVICE_KEY);
    wait_for_broker(url, &module).await;
    let (s, r) = login(url, &module, "alice", "Alice-Pw-1").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["username"].as_str(), r["firstname"].as_str()), (Some("alice"), Some("Alice")), "{r}");
    assert_eq!(r["dn"], format!("uid=alice,{}", slapd::PEOPLE_DN), "{r}");
    assert_eq!(r["memberOf"], json!([format!("cn=staff,ou=groups,{}", slapd::BASE_DN)]), "{r}");
    let (s, r) = login(url, &module, "alice", "Bob-Pw-1").await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, r) = login(url, &module, "nobody", "Alice-Pw-1").await;
    assert_error(s, &r, 401, "invalid username or credentials");
    // A user added to the directory signs in through the broker; removed, no more.
    dir.add_person("carol", "Carol-Pw-1");
    assert_eq!(login(url, &module, "carol", "Carol-Pw-1").await.0, 200);
    dir.delete(&format!("uid=carol,{}", slapd::PEOPLE_DN));
    assert_eq!(login(url, &module, "carol", "Carol-Pw-1").await.0, 401);
    // Concurrent logins all get their own answer.
    let many: Vec<_> = (0..8)
        .map(|i| {
            let (url, module) = (url.to_owned(), module.clone());
            tokio::spawn(async move {
                let pw = if i % 2 == 0 { "Alice-Pw-1" } else { "Wrong-Pw-1" };
                login(&url, &module, "alice", pw).await.0
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for h in many {
        statuses.push(h.await.unwrap());
    }
    assert_eq!(statuses, [200, 401, 200, 401, 200, 401, 200, 401]);

    // The connection as administrators see it.
    let list = brokers(url, &module).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let b = &list[0];
    assert_eq!(
        (b["name"].as_str(), b["enabled"].as_bool(), b["authorized"].as_bool(), b["connected"].as_bool()),
        (Some("Branch office"), Some(true), Some(true), Some(true)),
        "{b}"
    );
    assert_eq!((b["authModuleId"].as_str(), b["ip"].as_str()), (Some(module.as_str()), Some("127.0.0.1")), "{b}");
    assert!(b["lastPingAt"].as_str().is_some() && b["version"].as_str().is_some(), "{b}");
    let uid = b["uid"].as_str().unwrap().to_owned();
    // Another key of the community cannot poll as this broker (its requests carry passwords).
    let other_key =
        Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(kit::testing::SYSTEM_KEY);
    let poll = path(&format!("/module/{module}/broker/{uid}/poll"));
    let reply = other_key.call(Method::POST, url, &poll, Some(&json!({"answers": []}))).await.unwrap();
    assert_error(reply.status, &reply.body, 403, "belongs to another broker key");
    let status = |enabled: bool| json!({"uid": uid, "enabled": enabled});
    let rest = |r: &str| format!("/module/{module}/broker/{r}");

    // Rename; bad input refused, naming the field.
    let (s, r) = call(url, Method::PATCH, &rest("update"), Some(&json!({"uid": uid, "name": "HQ"}))).await;
    assert_eq!((s, r["name"].as_str()), (200, Some("HQ")), "{r}");
    let (s, r) = call(url, Method::PATCH, &rest("update"), Some(&json!({"uid": "nope", "name": "HQ"}))).await;
    assert_error(s, &r, 400, "uid");
    let (s, r) = call(url, Method::PATCH, &rest("update"), Some(&json!({"uid": uid}))).await;
    assert_error(s, &r, 400, "name");
    let other = "0123456789abcdef01234567";
    let (s, r) = call(url, Method::PATCH, &rest("update"), Some(&json!({"uid": other, "name": "x"}))).await;
    assert_error(s, &r, 404, "no broker connection with this uid");
    // Only a system or service key.
    let app_caller = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap()))
        .unwrap()
        .license(kit::testing::APP_KEY)
        .app_id("tests");
    let reply = app_caller.call(Method::GET, url, &path(&rest("fetch")), None::<&Value>).await.unwrap();
    assert_error(reply.status, &reply.body, 403, "cannot call this endpoint");

    // Disabled: the broker is turned away, logins get 503; enabled again, a new broker serves.
    let (s, r) = call(url, Method::PATCH, &rest("changestatus"), Some(&status(false))).await;
    assert_eq!((s, r["enabled"].as_bool()), (200, Some(false)), "{r}");
    assert!(broker.ended_within(Duration::from_secs(5)).await, "a disabled broker stops");
    let (s, r) = login(url, &module, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "no broker");
    let (s, _) = call(url, Method::PATCH, &rest("changestatus"), Some(&status(true))).await;
    assert_eq!(s, 200);
    let _again = BrokerProcess::start(url, &module, SERVICE_KEY);
    wait_for_broker(url, &module).await;
    assert_eq!(login(url, &module, "alice", "Alice-Pw-1").await.0, 200);

    // Delete: 204, then 404; the list is empty.
    let (s, _) = call(url, Method::DELETE, &rest(&uid), None).await;
    assert_eq!(s, 204);
    let (s, r) = call(url, Method::DELETE, &rest(&uid), None).await;
    assert_error(s, &r, 404, "no broker connection");
    assert_eq!(brokers(url, &module).await.len(), 1, "the second registration is left");
}

#[tokio::test]
async fn a_silent_broker_is_marked_down_by_the_infra_sweep() {
    let Some(dir) = Slapd::start("broker heartbeat") else { return };
    let (app, module) = setup(&dir, "broker heartbeat").await;
    let url = app.url.as_str();
    let broker = BrokerProcess::start(url, &module, SERVICE_KEY);
    wait_for_broker(url, &module).await;
    let sweep = || async {
        let r = reqwest::Client::new()
            .post(format!("{url}/infra/checkBrokerStatusAndSendNotifications"))
            .header("license", INFRA_KEY)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    };
    // Only the infra key.
    let r = reqwest::Client::new()
        .post(format!("{url}/infra/checkBrokerStatusAndSendNotifications"))
        .header("license", SERVICE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    // Alive: the sweep leaves it connected.
    assert_eq!(sweep().await, 204);
    assert_eq!(brokers(url, &module).await[0]["connected"], true);

    drop(broker);
    let (s, r) = login(url, &module, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "broker");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sweep().await, 204);
    let b = &brokers(url, &module).await[0];
    assert_eq!((b["connected"].as_bool(), b["lastDisconnectedAt"].is_string()), (Some(false), true), "{b}");
}

#[tokio::test]
async fn another_instance_relays_through_the_one_its_broker_polls() {
    let Some(dir) = Slapd::start("broker peers") else { return };
    // Two instances over one database: the broker polls A; B knows A as its peer.
    let Some(mut env) = kit::testing::test_env(Storage::Embedded, "broker peers").await else { return };
    env.insert("LICENSE_KEYS".into(), format!("service:{SERVICE_KEY},app:{}", kit::testing::APP_KEY));
    env.insert("INFRA_LICENSE_KEY".into(), INFRA_KEY.into());
    env.insert("LOCAL_COMMUNITIES".into(), kit::testing::local_communities());
    for (k, v) in FAST.iter().chain(&[("BROKER_POLL_SECONDS", "1"), ("BROKER_HEARTBEAT_SECONDS", "2")]) {
        env.insert((*k).into(), (*v).into());
    }
    let a = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    env.insert("BROKER_PEERS".into(), format!("http://127.0.0.1:1, {}", a.url));
    let b = kit::testing::spawn_service(users_mgmt::SERVICE, &env, users_mgmt::build).await;
    let (s, m) = call(&a.url, Method::PUT, "/module/create", Some(&broker_module_body(&dir))).await;
    assert_eq!(s, 200, "{m}");
    let module = m["_id"].as_str().unwrap().to_owned();
    let _broker = BrokerProcess::start(&a.url, &module, SERVICE_KEY);
    wait_for_broker(&a.url, &module).await;

    // B has no broker of its own: it asks A.
    let (s, r) = login(&b.url, &module, "alice", "Alice-Pw-1").await;
    assert_eq!((s, r["username"].as_str()), (200, Some("alice")), "{r}");
    let (s, r) = login(&b.url, &module, "alice", "Wrong-Pw-1").await;
    assert_error(s, &r, 401, "invalid username or credentials");

    // The internal call itself: the infra key only; a peer's call is not sent around again.
    let payload = |op: &str| {
        json!({"communityId": COMMUNITY_ID, "authModule": {"_id": module},
            "dataPayload": {"op": op, "username": "alice", "moduleType": "ldap", "config": broker_module_body(&dir)["config"]}})
    };
    let as_key = |key: &str| Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(key);
    let reply = as_key(INFRA_KEY)
        .call(Method::POST, &a.url, "/internal_call/broker_request", Some(&payload("find")))
        .await
        .unwrap();
    assert_eq!((reply.status, reply.body["status"].as_str()), (200, Some("ok")), "{}", reply.body);
    assert_eq!(reply.body["entry"]["dn"], format!("uid=alice,{}", slapd::PEOPLE_DN));
    let reply = as_key(SERVICE_KEY)
        .call(Method::POST, &a.url, "/internal_call/broker_request", Some(&payload("find")))
        .await
        .unwrap();
    assert_eq!(reply.status, 403, "{}", reply.body);
    let reply = as_key(INFRA_KEY)
        .call(Method::POST, &b.url, "/internal_call/broker_request", Some(&payload("find")))
        .await
        .unwrap();
    assert_error(reply.status, &reply.body, 503, "no broker");
    let reply = as_key(INFRA_KEY)
        .call(Method::POST, &a.url, "/internal_call/broker_request", Some(&payload("delete")))
        .await
        .unwrap();
    assert_error(reply.status, &reply.body, 400, "dataPayload.op must be one of authenticate, find, page");
}

/// The status of the module's host on `port`, as the module shows it.
async fn host_status(url: &str, module: &str, port: u16) -> Option<String> {
    let (s, m) = call(url, Method::GET, &format!("/module/{module}"), None).await;
    assert_eq!(s, 200, "{m}");
    let port = port.to_string();
    m["config"]["hosts"].as_array()?.iter().find(|h| h["port"].as_str() == Some(port.as_str()))?["status"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn a_stopped_directory_behind_the_broker_is_503_with_its_host_down() {
    let Some(mut dir) = Slapd::start("broker directory down") else { return };
    let (app, module) = setup(&dir, "broker directory down").await;
    let url = app.url.as_str();
    let _broker = BrokerProcess::start(url, &module, SERVICE_KEY);
    wait_for_broker(url, &module).await;
    assert_eq!(host_status(url, &module, dir.port).await.as_deref(), Some("up"), "the broker reported the host");

    dir.stop();
    let (s, r) = login(url, &module, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "the directory is unavailable");
    assert_eq!(host_status(url, &module, dir.port).await.as_deref(), Some("down"));
    // A wrong password is no success either while it is down.
    assert_eq!(login(url, &module, "alice", "Wrong-Pw-1").await.0, 503);

    dir.restart();
    let (s, r) = login(url, &module, "alice", "Alice-Pw-1").await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(host_status(url, &module, dir.port).await.as_deref(), Some("up"));
}

#[tokio::test]
async fn users_are_fetched_counted_change_their_password_and_the_connection_is_tested_through_the_broker() {
    let Some(dir) = Slapd::start("broker operations") else { return };
    let (app, module) = setup_with(&dir, "broker operations", &[("LOCKOUT_THRESHOLD", "3")]).await;
    let url = app.url.as_str();
    for i in 0..4 {
        dir.add_person(&format!("user{i}"), "Some-Pw-123");
    }
    // No broker: each operation is a 503, never an empty success.
    let count = json!({"authModule": module});
    let (s, r) = call(url, Method::POST, "/users/count", Some(&count)).await;
    assert_error(s, &r, 503, "no broker");
    let test = format!("/module/{module}/test-connection");
    let (s, r) = call(url, Method::GET, &test, None).await;
    assert_error(s, &r, 503, "no broker");

    let _broker = BrokerProcess::start(url, &module, SERVICE_KEY);
    wait_for_broker(url, &module).await;

    // Paged: 6 people (alice, bob, user0..3), pages of 4.
    let mut seen = Vec::new();
    for index in 0..2 {
        let fetch = json!({"authModule": module, "pIndex": index, "pSize": 4});
        let (s, r) = call(url, Method::POST, "/users/fetch", Some(&fetch)).await;
        assert_eq!((s, r["page"]["total"].as_u64()), (200, Some(6)), "{r}");
        let page = r["data"].as_array().unwrap();
        assert_eq!(page.len(), if index == 0 { 4 } else { 2 }, "{r}");
        seen.extend(page.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
    }
    seen.sort();
    assert_eq!(seen, ["alice", "bob", "user0", "user1", "user2", "user3"]);
    let by_mail = json!({"authModule": module, "query": {"email1": "bob@example.test"}});
    let (s, r) = call(url, Method::POST, "/users/fetch", Some(&by_mail)).await;
    assert_eq!((s, r["data"][0]["username"].as_str(), r["page"]["total"].as_u64()), (200, Some("bob"), Some(1)), "{r}");
    let (s, r) = call(url, Method::POST, "/users/count", Some(&count)).await;
    assert_eq!((s, r["count"].as_u64()), (200, Some(6)), "{r}");
    dir.delete(&format!("uid=user0,{}", slapd::PEOPLE_DN));
    let (s, r) = call(url, Method::POST, "/users/count", Some(&count)).await;
    assert_eq!((s, r["count"].as_u64()), (200, Some(5)), "the count is the directory's, not a cache: {r}");

    // A password change as the user, done in the directory by the broker.
    let change = |current: &str, new: &str| json!({"authModule": module, "username": "alice", "currentPassword": current, "newPassword": new});
    let (s, r) = call(url, Method::POST, "/user/changepassword", Some(&change("Nope-Pw-11", "Fresh-Pw-22"))).await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, r) = call(url, Method::POST, "/user/changepassword", Some(&change("Alice-Pw-1", "Fresh-Pw-22"))).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(login(url, &module, "alice", "Fresh-Pw-22").await.0, 200);
    assert_eq!(login(url, &module, "alice", "Alice-Pw-1").await.0, 401);

    // The connection test runs where the broker is; a wrong service password names the bind step.
    let (s, t) = call(url, Method::GET, &test, None).await;
    assert_eq!((s, t["status"].as_bool(), t["hosts"][0]["status"].as_bool()), (200, Some(true), Some(true)), "{t}");
    assert_eq!(t["hosts"][0]["port"], dir.port.to_string(), "{t}");
    let mut config = broker_module_body(&dir)["config"].clone();
    config["bindpassword"] = json!("Not-The-Password-1");
    let (s, m) = call(url, Method::PATCH, &format!("/module/{module}"), Some(&json!({"config": config}))).await;
    assert_eq!(s, 200, "{m}");
    let (s, t) = call(url, Method::GET, &test, None).await;
    assert_eq!((s, t["status"].as_bool(), t["hosts"][0]["step"].as_str()), (200, Some(false), Some("bind")), "{t}");
    assert!(t["message"].as_str().unwrap().contains("bind failed"), "{t}");
    assert!(!t.to_string().contains("Not-The-Password-1"), "{t}");
    let (s, r) = call(url, Method::POST, "/users/count", Some(&count)).await;
    assert_error(s, &r, 503, "refused the auth module's service account");
    let (s, m) = call(url, Method::PATCH, &format!("/module/{module}"), Some(&broker_module_body(&dir))).await;
    assert_eq!(s, 200, "{m}");

    // Wrong passwords through the broker count toward lockout: three lock bob, then even the
    // right one is refused; alice is not touched.
    for _ in 0..3 {
        let (s, r) = login(url, &module, "bob", "Wrong-Pw-9").await;
        assert_error(s, &r, 401, "invalid username or credentials");
    }
    let (s, r) = login(url, &module, "bob", "Bob-Pw-1").await;
    assert_error(s, &r, 401, "locked");
    assert_eq!(login(url, &module, "alice", "Fresh-Pw-22").await.0, 200);
}
