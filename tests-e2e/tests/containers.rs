//! The three service images, run as containers by `scripts/docker-test.sh` (`make docker-test`)
//! on PostgreSQL and Redis, driven from outside as the SDKs and an operator would: the operator's
//! commands run in the adminapi image (`BLOCKID_CONTAINERS_ADMIN`, a wrapper around `podman run`),
//! a web app and a phone do a cross-device login through the sessions container, whose license
//! checks go to the adminapi container, and users-mgmt checks the bootstrap license with adminapi.
//!
//! Ignored in `cargo test`: the containers are not there. The script runs these with `--ignored`
//! and the addresses in `BLOCKID_CONTAINERS_{USERS_MGMT,ADMINAPI,SESSIONS}`, the operator's
//! bootstrap in `BLOCKID_CONTAINERS_BOOTSTRAP` and the version the images carry in
//! `BLOCKID_CONTAINERS_VERSION`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: run scripts/docker-test.sh (make docker-test)"))
}

/// What the script deployed.
struct Deployed {
    users_mgmt: String,
    adminapi: String,
    sessions: String,
    /// `adminapi bootstrap`'s output, as the operator got it.
    boot: Value,
}

fn deployed() -> Deployed {
    let boot = std::fs::read(var("BLOCKID_CONTAINERS_BOOTSTRAP")).unwrap();
    Deployed {
        users_mgmt: var("BLOCKID_CONTAINERS_USERS_MGMT"),
        adminapi: var("BLOCKID_CONTAINERS_ADMINAPI"),
        sessions: var("BLOCKID_CONTAINERS_SESSIONS"),
        boot: serde_json::from_slice(&boot).unwrap(),
    }
}

impl Deployed {
    fn str(&self, key: &str) -> &str {
        self.boot[key].as_str().unwrap_or_else(|| panic!("bootstrap has no {key}: {}", self.boot))
    }
}

/// `adminapi <args>` run in the adminapi image against the deployment's database; its JSON.
fn admin(args: &[&str]) -> Value {
    let out = Command::new(var("BLOCKID_CONTAINERS_ADMIN")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "adminapi {args:?}: {stderr}");
    // A warning would mean, for `license disable`, that the services could not be told.
    assert!(!stderr.contains("warning"), "adminapi {args:?}: {stderr}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("adminapi {args:?} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn client(license: &str) -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(license)
}

fn session(community_id: &str, community_name: &str) -> Value {
    json!({
        "origin": {"tag": "acme", "url": "https://acme.example", "communityName": community_name,
                   "communityId": community_id, "authPage": "blockid://authenticate"},
        "scopes": "windows", "authtype": "none", "metadata": {"purpose": "containers"}
    })
}

#[tokio::test]
#[ignore = "needs the containers of scripts/docker-test.sh (make docker-test)"]
async fn each_container_is_healthy_on_postgres_and_redis_with_the_version_it_was_built_with() {
    let d = deployed();
    let version = var("BLOCKID_CONTAINERS_VERSION");
    for url in [&d.users_mgmt, &d.adminapi, &d.sessions] {
        let reply = reqwest::get(format!("{url}/healthz")).await.unwrap();
        assert_eq!(reply.status().as_u16(), 200, "{url}");
        let health: Value = reply.json().await.unwrap();
        assert_eq!(
            (health["database"].as_str(), health["cache"].as_str(), health["version"].as_str()),
            (Some("postgres: ok"), Some("redis: ok"), Some(version.as_str())),
            "{url}: {health}"
        );
    }
}

#[tokio::test]
#[ignore = "needs the containers of scripts/docker-test.sh (make docker-test)"]
async fn a_cross_device_login_through_the_sessions_container_with_a_license_checked_by_adminapi() {
    let d = deployed();
    let community = d.str("communityId");
    let app = admin(&["license", "create", "--level", "app", "--communities", community, "--tag", "containers"]);
    let browser = client(app["keySecret"].as_str().unwrap());
    let url = d.sessions.as_str();

    // The web app opens a session with its app license (sessions asks adminapi about the key).
    let created = browser.call(Method::PUT, url, "/session/new", Some(&session(community, "default"))).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let session_id = created.body["sessionId"].as_str().unwrap().to_owned();

    // The license checks, answered by the adminapi container: the key is limited to its
    // community, and a key adminapi never issued is refused.
    let other = admin(&["community", "create", "--tenant", d.str("tenantId"), "--name", "other"]);
    let refused =
        browser.call(Method::PUT, url, "/session/new", Some(&session(other["id"].as_str().unwrap(), "other"))).await;
    assert_eq!(refused.unwrap().status, 403);
    let stranger = client("never-issued");
    let refused = stranger.call(Method::PUT, url, "/session/new", Some(&session(community, "default"))).await;
    assert_eq!(refused.unwrap().status, 401);

    // The phone reads the session (public) and answers with data only the web app can open.
    let info: Value = reqwest::get(format!("{url}/session/{session_id}")).await.unwrap().json().await.unwrap();
    let phone = KeyPair::generate(Curve::Secp256k1).unwrap();
    let to_browser = phone.shared_key_with(info["publicKey"].as_str().unwrap()).unwrap();
    let user = json!({"userid": "jane@acme.example", "did": "did:containers:jane"});
    let answer = json!({"data": to_browser.encrypt(&user.to_string()).unwrap(), "publicKey": phone.public_base64(),
                        "did": "did:containers:jane", "appid": "com.onekosmos.blockid", "ial": "IAL2"});
    let answered = reqwest::Client::new()
        .post(format!("{url}/session/{session_id}/authenticate"))
        .json(&answer)
        .send()
        .await
        .unwrap();
    let status = answered.status().as_u16();
    assert_eq!(status, 200, "{}", answered.text().await.unwrap());

    // The web app polls and opens the answer with ECDH(its key, the phone's key), once.
    let path = format!("/session/{session_id}/response");
    let poll = browser.call::<Value>(Method::GET, url, &path, None).await.unwrap();
    assert_eq!(poll.status, 200, "{}", poll.body);
    let from_phone = browser.keys().shared_key_with(poll.body["publicKey"].as_str().unwrap()).unwrap();
    let opened: Value =
        serde_json::from_str(&from_phone.decrypt(poll.body["data"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(opened, user);
    assert_eq!(browser.call::<Value>(Method::GET, url, &path, None).await.unwrap().status, 410);

    // The operator disables the key: the command (one more adminapi container) tells the
    // services through Redis, and the sessions container refuses the key within a second
    // although it had cached the authority's yes.
    admin(&["license", "disable", app["keyId"].as_str().unwrap()]);
    let disabled = Instant::now();
    loop {
        let reply = browser.call(Method::PUT, url, "/session/new", Some(&session(community, "default"))).await;
        let status = reply.unwrap().status;
        if status == 401 {
            break;
        }
        assert!(disabled.elapsed() < Duration::from_secs(1), "the disabled key still gets {status} after 1 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
#[ignore = "needs the containers of scripts/docker-test.sh (make docker-test)"]
async fn the_users_mgmt_container_serves_the_bootstrap_license_and_refuses_others() {
    let d = deployed();
    let base = format!("/tenant/{}/community/{}", d.str("tenantId"), d.str("communityId"));
    let system = client(d.str("licenseKey"));
    // The bootstrap (run in the adminapi image) made the community's db module in users-mgmt.
    let modules = system.call(Method::POST, &d.users_mgmt, &format!("{base}/modules/fetch"), Some(&json!({}))).await;
    let modules = modules.unwrap();
    assert_eq!(modules.status, 200, "{}", modules.body);
    assert_eq!(modules.body[0]["_id"].as_str(), d.boot["admin"]["moduleId"].as_str(), "{}", modules.body);
    let stranger = client("never-issued");
    let refused = stranger.call(Method::POST, &d.users_mgmt, &format!("{base}/modules/fetch"), Some(&json!({}))).await;
    assert_eq!(refused.unwrap().status, 401);
    // adminapi, the authority, knows its own key too.
    let keys = system.call::<()>(Method::GET, &d.adminapi, "/servicekeys", None).await.unwrap();
    assert_eq!(keys.status, 200, "{}", keys.body);
}
