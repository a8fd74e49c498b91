//! Directory modules against a real OpenLDAP (`kit::testing::slapd`, one per test) over plain
//! LDAP, LDAPS and StartTLS: directory users authenticate through `user/authenticate`, a wrong
//! password is refused and counts toward lockout, a user removed from the directory can no
//! longer log in, a stopped directory is a 503 with its host marked down, a second host takes
//! over; fetch, count, password change and the connection test.

use kit::testing::slapd::{self, Slapd};
use reqwest::Method;
use serde_json::{Value, json};

use crate::authenticate::{FAST_ARGON2, authenticate};
use crate::helpers::*;

/// A module of `kind` (`ldap` or `ad`) on `hosts` (`server`, `port`), searching users by `filter`.
fn module(kind: &str, protocol: &str, hosts: &[u16], filter: &str, extra: Value) -> Value {
    let mut config = json!({
        "serverprotocol": protocol, "server": "127.0.0.1", "serverport": hosts[0].to_string(),
        "hosts": hosts.iter().map(|p| json!({"server": "127.0.0.1", "port": p.to_string()})).collect::<Vec<_>>(),
        "binddn": slapd::SERVICE_DN, "bindpassword": slapd::SERVICE_PASSWORD, "basedn": slapd::BASE_DN,
        "securityauthentication": "Simple", "filter": filter, "serviceacctreadonly": true,
        "hostTimeoutSeconds": 3,
    });
    for (k, v) in extra.as_object().into_iter().flatten() {
        config[k] = v.clone();
    }
    json!({"type": kind, "subtype": "directory", "method": "authn", "name": format!("Directory {kind}"), "mode": "direct", "config": config})
}

async fn create(admin: &envelope::Client, url: &str, body: &Value) -> String {
    let (s, m) = sealed(admin, url, Method::PUT, &community_path("/module/create"), Some(body)).await;
    assert_eq!(s, 200, "{m}");
    assert!(!m.to_string().contains(slapd::SERVICE_PASSWORD), "the bind password is never shown: {m}");
    m["_id"].as_str().unwrap().to_owned()
}

async fn login(admin: &envelope::Client, url: &str, module: &str, username: &str, password: &str) -> (u16, Value) {
    authenticate(admin, url, json!({"authModule": module, "username": username, "password": password})).await
}

async fn get_module(admin: &envelope::Client, url: &str, module: &str) -> Value {
    let (s, m) = sealed(admin, url, Method::GET, &community_path(&format!("/module/{module}")), None).await;
    assert_eq!(s, 200, "{m}");
    m
}

fn host_status(m: &Value, port: u16) -> Option<String> {
    let port = port.to_string();
    m["config"]["hosts"].as_array()?.iter().find(|h| h["port"].as_str() == Some(port.as_str()))?["status"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn directory_users_sign_in_over_ldap_ldaps_and_starttls() {
    let Some(dir) = Slapd::start("ldap sign in") else { return };
    let app = spawn(kit::testing::Storage::Embedded, "ldap sign in", &FAST_ARGON2).await.unwrap();
    let (url, admin) = (app.url.as_str(), caller(SERVICE_KEY));
    let id = create(&admin, url, &module("ldap", "ldap", &[dir.port], "uid", json!({}))).await;
    let path = community_path(&format!("/module/{id}"));
    let transports = [
        ("ldap", json!({"serverprotocol": "ldap", "serverport": dir.port.to_string(), "hosts": []})),
        (
            "ldaps",
            json!({"serverprotocol": "ldaps", "serverport": dir.ldaps_port.to_string(), "hosts": [], "caCertificate": dir.ca_pem}),
        ),
        (
            "starttls",
            json!({"serverprotocol": "ldap", "serverport": dir.port.to_string(), "hosts": [], "starttls": true, "caCertificate": dir.ca_pem}),
        ),
    ];
    for (name, change) in transports {
        let mut config = module("ldap", "ldap", &[dir.port], "uid", change)["config"].clone();
        config.as_object_mut().unwrap().remove("bindpassword");
        let (s, m) = sealed(&admin, url, Method::PATCH, &path, Some(&json!({"config": config}))).await;
        assert_eq!(s, 200, "{name}: {m}");

        let (s, r) = login(&admin, url, &id, "alice", "Alice-Pw-1").await;
        assert_eq!(s, 200, "{name}: {r}");
        assert!(r["proof_of_authentication_jwt"].as_str().is_some_and(|t| t.len() > 20), "{r}");
        assert_eq!((r["username"].as_str(), r["moduleId"].as_str()), (Some("alice"), Some(id.as_str())), "{r}");
        // The directory's attributes, mapped into the user record, with its groups.
        assert_eq!((r["firstname"].as_str(), r["lastname"].as_str()), (Some("Alice"), Some("Liddell")), "{r}");
        assert_eq!(r["email"], "alice@example.test", "{r}");
        assert_eq!(r["dn"], format!("uid=alice,{}", slapd::PEOPLE_DN), "{r}");
        assert_eq!(r["memberOf"], json!([format!("cn=staff,ou=groups,{}", slapd::BASE_DN)]), "{name}: {r}");

        let (s, r) = login(&admin, url, &id, "alice", "Bob-Pw-1").await;
        assert_error(s, &r, 401, "invalid username or credentials");
        let (s, r) = login(&admin, url, &id, "nobody", "Alice-Pw-1").await;
        assert_error(s, &r, 401, "invalid username or credentials");
    }
    // The same uid each time: one local record.
    let (_, first) = login(&admin, url, &id, "alice", "Alice-Pw-1").await;
    let (_, again) = login(&admin, url, &id, "ALICE", "Alice-Pw-1").await;
    assert_eq!(first["uid"], again["uid"]);

    // LDAPS without the CA (the system's roots do not know it): a TLS failure, never a success.
    let mut config = module("ldap", "ldaps", &[dir.ldaps_port], "uid", json!({}))["config"].clone();
    config.as_object_mut().unwrap().remove("bindpassword");
    config["hosts"] = json!([]);
    sealed(&admin, url, Method::PATCH, &path, Some(&json!({"config": config}))).await;
    let (s, r) = login(&admin, url, &id, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "directory is unavailable");
    let (s, t) = sealed(&admin, url, Method::GET, &format!("{path}/test-connection"), None).await;
    assert_eq!((s, t["status"].as_bool(), t["hosts"][0]["step"].as_str()), (200, Some(false), Some("tls")), "{t}");
}

#[tokio::test]
async fn a_wrong_password_counts_toward_lockout_and_a_removed_user_cannot_log_in() {
    let Some(dir) = Slapd::start("ldap lockout") else { return };
    let env = [FAST_ARGON2[0], FAST_ARGON2[1], ("LOCKOUT_THRESHOLD", "3")];
    let app = spawn(kit::testing::Storage::Embedded, "ldap lockout", &env).await.unwrap();
    let (url, admin) = (app.url.as_str(), caller(SERVICE_KEY));
    let id = create(&admin, url, &module("ldap", "ldap", &[dir.port], "(uid={0})", json!({}))).await;

    // A user created in the directory signs in; removed, no more.
    dir.add_person("carol", "Carol-Pw-1");
    assert_eq!(login(&admin, url, &id, "carol", "Carol-Pw-1").await.0, 200);
    dir.delete(&format!("uid=carol,{}", slapd::PEOPLE_DN));
    let (s, r) = login(&admin, url, &id, "carol", "Carol-Pw-1").await;
    assert_error(s, &r, 401, "invalid username or credentials");

    // Three wrong passwords lock bob: then even the right one is refused, and says so.
    for _ in 0..3 {
        let (s, r) = login(&admin, url, &id, "bob", "Wrong-Pw-9").await;
        assert_error(s, &r, 401, "invalid username or credentials");
    }
    let (s, r) = login(&admin, url, &id, "bob", "Bob-Pw-1").await;
    assert_error(s, &r, 401, "locked");
    let (s, st) =
        sealed(&admin, url, Method::POST, &community_path("/user/status"), Some(&json!({"username": "bob"}))).await;
    assert_eq!((s, st["lock_events"].as_i64()), (200, Some(1)), "{st}");
    // alice is not touched.
    assert_eq!(login(&admin, url, &id, "alice", "Alice-Pw-1").await.0, 200);
}

#[tokio::test]
async fn a_stopped_directory_is_503_with_its_host_down_and_a_second_host_takes_over() {
    let Some(mut first) = Slapd::start("ldap failover a") else { return };
    let Some(mut second) = Slapd::start("ldap failover b") else { return };
    let app = spawn(kit::testing::Storage::Embedded, "ldap failover", &FAST_ARGON2).await.unwrap();
    let (url, admin) = (app.url.as_str(), caller(SERVICE_KEY));
    let id = create(&admin, url, &module("ldap", "ldap", &[first.port, second.port], "uid", json!({}))).await;
    assert_eq!(login(&admin, url, &id, "alice", "Alice-Pw-1").await.0, 200);
    assert_eq!(host_status(&get_module(&admin, url, &id).await, first.port).as_deref(), Some("up"));

    // The first host stops: the second answers, the first shows down.
    first.stop();
    let (s, r) = login(&admin, url, &id, "alice", "Alice-Pw-1").await;
    assert_eq!(s, 200, "failover: {r}");
    let m = get_module(&admin, url, &id).await;
    assert_eq!(host_status(&m, first.port).as_deref(), Some("down"), "{m}");
    assert_eq!(host_status(&m, second.port).as_deref(), Some("up"), "{m}");
    let (s, t) =
        sealed(&admin, url, Method::GET, &community_path(&format!("/module/{id}/test-connection")), None).await;
    assert_eq!((s, t["status"].as_bool()), (200, Some(true)), "{t}");
    assert_eq!((t["hosts"][0]["status"].as_bool(), t["hosts"][0]["step"].as_str()), (Some(false), Some("tcp")), "{t}");

    // Both stopped: 503, never a success; a wrong password is 503 too (no refusal without the directory).
    second.stop();
    let (s, r) = login(&admin, url, &id, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "directory is unavailable");
    let (s, r) = login(&admin, url, &id, "alice", "Wrong-Pw-9").await;
    assert_error(s, &r, 503, "directory is unavailable");
    assert_eq!(host_status(&get_module(&admin, url, &id).await, second.port).as_deref(), Some("down"));
    let (s, r) =
        sealed(&admin, url, Method::POST, &community_path("/users/count"), Some(&json!({"authModule": id}))).await;
    assert_error(s, &r, 503, "directory is unavailable");

    // Back: found again (a resting host is still tried last), and marked up.
    first.restart();
    assert_eq!(login(&admin, url, &id, "alice", "Alice-Pw-1").await.0, 200);
    assert_eq!(host_status(&get_module(&admin, url, &id).await, first.port).as_deref(), Some("up"));
}

#[tokio::test]
async fn ad_modules_search_by_sam_account_name_or_user_principal_name() {
    let Some(dir) = Slapd::start("ad attributes") else { return };
    let app = spawn(kit::testing::Storage::Embedded, "ad attributes", &FAST_ARGON2).await.unwrap();
    let (url, admin) = (app.url.as_str(), caller(SERVICE_KEY));
    let id = create(&admin, url, &module("ad", "ldap", &[dir.port], "sAMAccountName", json!({}))).await;
    let (s, r) = login(&admin, url, &id, "ALICE", "Alice-Pw-1").await;
    assert_eq!((s, r["username"].as_str()), (200, Some("alice")), "{r}");
    let (s, r) = login(&admin, url, &id, "alice", "Wrong-Pw-9").await;
    assert_error(s, &r, 401, "invalid username or credentials");

    let mut config = module("ad", "ldap", &[dir.port], "userPrincipalName", json!({}))["config"].clone();
    config.as_object_mut().unwrap().remove("bindpassword");
    let path = community_path(&format!("/module/{id}"));
    let (s, m) = sealed(&admin, url, Method::PATCH, &path, Some(&json!({"config": config}))).await;
    assert_eq!(s, 200, "{m}");
    let (s, r) = login(&admin, url, &id, "bob@example.test", "Bob-Pw-1").await;
    assert_eq!((s, r["username"].as_str()), (200, Some("bob@example.test")), "{r}");
    let (s, r) = login(&admin, url, &id, "bob", "Bob-Pw-1").await;
    assert_error(s, &r, 401, "invalid username or credentials");
}

#[tokio::test]
async fn directory_users_are_fetched_counted_and_change_their_password() {
    let Some(dir) = Slapd::start("ldap fetch") else { return };
    let app = spawn(kit::testing::Storage::Embedded, "ldap fetch", &FAST_ARGON2).await.unwrap();
    let (url, admin) = (app.url.as_str(), caller(SERVICE_KEY));
    let id = create(&admin, url, &module("ldap", "ldap", &[dir.port], "uid", json!({}))).await;
    for i in 0..5 {
        dir.add_person(&format!("user{i}"), "Some-Pw-123");
    }

    // Paged: 7 people (alice, bob, user0..4), pages of 3.
    let fetch = |index: u64| json!({"authModule": id, "pIndex": index, "pSize": 3});
    let mut seen = Vec::new();
    for index in 0..3 {
        let (s, r) = sealed(&admin, url, Method::POST, &community_path("/users/fetch"), Some(&fetch(index))).await;
        assert_eq!((s, r["page"]["total"].as_u64()), (200, Some(7)), "{r}");
        let names: Vec<String> =
            r["data"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
        assert_eq!(names.len(), if index < 2 { 3 } else { 1 }, "{r}");
        assert!(r["data"].as_array().unwrap().iter().all(|u| u["uid"].as_str().is_some()), "{r}");
        seen.extend(names);
    }
    seen.sort();
    assert_eq!(seen, ["alice", "bob", "user0", "user1", "user2", "user3", "user4"]);
    let by_mail = json!({"authModule": id, "query": {"email1": "bob@example.test"}});
    let (s, r) = sealed(&admin, url, Method::POST, &community_path("/users/fetch"), Some(&by_mail)).await;
    assert_eq!((s, r["data"][0]["username"].as_str(), r["page"]["total"].as_u64()), (200, Some("bob"), Some(1)), "{r}");
    let (s, r) =
        sealed(&admin, url, Method::POST, &community_path("/users/count"), Some(&json!({"authModule": id}))).await;
    assert_eq!((s, r["count"].as_u64(), r["type"].as_str()), (200, Some(7), Some("ldap")), "{r}");
    let bad = json!({"authModule": id, "query": {"dguid": "x"}});
    let (s, r) = sealed(&admin, url, Method::POST, &community_path("/users/count"), Some(&bad)).await;
    assert_error(s, &r, 400, "cannot be searched in a directory");
    let one = json!({"authModule": id, "username": "user3"});
    let (s, r) =
        sealed(&admin, url, Method::POST, &community_path("/user/fetch_single_user_by_username"), Some(&one)).await;
    assert_eq!((s, r["data"]["dn"].as_str()), (200, Some(format!("uid=user3,{}", slapd::PEOPLE_DN).as_str())), "{r}");
    let gone = json!({"authModule": id, "username": "nobody"});
    let (s, r) =
        sealed(&admin, url, Method::POST, &community_path("/user/fetch_single_user_by_username"), Some(&gone)).await;
    assert_error(s, &r, 404, "user not found");

    // A password change as the user, in the directory.
    let change = |current: &str, new: &str| json!({"authModule": id, "username": "alice", "currentPassword": current, "newPassword": new});
    let (s, r) = sealed(
        &admin,
        url,
        Method::POST,
        &community_path("/user/changepassword"),
        Some(&change("Nope-Pw-11", "Fresh-Pw-22")),
    )
    .await;
    assert_error(s, &r, 401, "invalid username or credentials");
    let (s, r) = sealed(
        &admin,
        url,
        Method::POST,
        &community_path("/user/changepassword"),
        Some(&change("Alice-Pw-1", "Fresh-Pw-22")),
    )
    .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(login(&admin, url, &id, "alice", "Fresh-Pw-22").await.0, 200);
    assert_eq!(login(&admin, url, &id, "alice", "Alice-Pw-1").await.0, 401);
}

#[tokio::test]
async fn the_connection_test_names_the_step_that_failed() {
    let Some(dir) = Slapd::start("ldap test connection") else { return };
    let app = spawn(kit::testing::Storage::Embedded, "ldap test connection", &[]).await.unwrap();
    let (url, admin) = (app.url.as_str(), caller(SERVICE_KEY));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let id = create(&admin, url, &module("ldap", "ldap", &[dir.port, closed], "uid", json!({}))).await;
    let test = community_path(&format!("/module/{id}/test-connection"));
    let (s, t) = sealed(&admin, url, Method::GET, &test, None).await;
    assert_eq!((s, t["status"].as_bool(), t["_id"].as_str()), (200, Some(true), Some(id.as_str())), "{t}");
    assert_eq!((t["hosts"][0]["status"].as_bool(), t["hosts"][1]["step"].as_str()), (Some(true), Some("tcp")), "{t}");
    assert!(t["message"].as_str().unwrap().starts_with("connection success"), "{t}");

    // A wrong service password: the bind step; the reply never holds a password.
    let mut config = module("ldap", "ldap", &[dir.port], "uid", json!({}))["config"].clone();
    config["bindpassword"] = json!("Not-The-Password-1");
    let (s, _) =
        sealed(&admin, url, Method::PATCH, &community_path(&format!("/module/{id}")), Some(&json!({"config": config})))
            .await;
    assert_eq!(s, 200);
    let (s, t) = sealed(&admin, url, Method::GET, &test, None).await;
    assert_eq!((s, t["status"].as_bool(), t["hosts"][0]["step"].as_str()), (200, Some(false), Some("bind")), "{t}");
    assert!(t["message"].as_str().unwrap().contains("bind failed"), "{t}");
    assert!(!t.to_string().contains("Not-The-Password-1") && !t.to_string().contains(slapd::SERVICE_PASSWORD));
    let (s, r) = login(&admin, url, &id, "alice", "Alice-Pw-1").await;
    assert_error(s, &r, 503, "refused the auth module's service account");

    // Another level may not test.
    let (s, e) = sealed(&caller(APP_KEY), url, Method::GET, &test, None).await;
    assert_error(s, &e, 403, "cannot call this endpoint");
}
