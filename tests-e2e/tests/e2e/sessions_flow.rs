//! The cross-device login from outside: the built `sessions` binary as its own process, a
//! browser and a phone with their own key pairs, and a restart in the middle of the login.

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};
use tests_e2e::{Proc, start_on_free_port};

const APP_KEY: &str = "e2e-sessions-app-license";
/// The one community this standalone sessions knows (`LOCAL_COMMUNITIES`, no adminapi).
const COMMUNITY_ID: &str = "5f3d8d0cd866fa61019cf968";

fn client(license: Option<&str>) -> Client {
    let client = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap();
    match license {
        Some(l) => client.license(l),
        None => client,
    }
}

async fn start_sessions(data_dir: &std::path::Path, extra: &[(&str, &str)]) -> Proc {
    let mut env: Vec<(String, String)> = vec![
        ("DATA_DIR".into(), data_dir.display().to_string()),
        ("SERVICE_DIRECTORY".into(), "{}".into()),
        ("LICENSE_KEYS".into(), format!("app:{APP_KEY}")),
        (
            "LOCAL_COMMUNITIES".into(),
            json!([{"tenantId": "5f3d8d0cd866fa61019cf967", "communityId": COMMUNITY_ID, "communityName": "default"}])
                .to_string(),
        ),
    ];
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    start_on_free_port("sessions", &env).await.unwrap()
}

/// Polls session `session_id` as `browser`, with fresh signed headers.
async fn poll(url: &str, browser: &Client, session_id: &str) -> (u16, Value) {
    let peer = browser.peer(url).await.unwrap();
    let headers = browser.headers(&peer).unwrap();
    let path = format!("/session/{session_id}/response");
    let reply = browser.send::<Value>(Method::GET, url, &path, &headers, None, &peer).await.unwrap();
    (reply.status, reply.body)
}

/// new → info → authenticate → poll (decrypted by the browser) → second poll refused.
async fn login(url: &str, browser: &Client, phone: &Client) {
    let body = json!({
        "origin": {"tag": "acme", "url": "https://admin.acme.example", "communityName": "default",
                   "communityId": COMMUNITY_ID, "authPage": "blockid://authenticate"},
        "scopes": "", "authtype": "none", "metadata": {}
    });
    let peer = browser.peer(url).await.unwrap();
    let headers = browser.headers(&peer).unwrap();
    let created = browser.send(Method::PUT, url, "/session/new", &headers, Some(&body), &peer).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let session_id = created.body["sessionId"].as_str().unwrap().to_owned();
    assert_eq!(poll(url, browser, &session_id).await.0, 404);

    let info: Value = reqwest::get(format!("{url}/session/{session_id}")).await.unwrap().json().await.unwrap();
    let shared = phone.keys().shared_key_with(info["publicKey"].as_str().unwrap()).unwrap();
    let user = json!({"did": "did:e2e", "userid": "jane"});
    let answer = json!({"data": shared.encrypt(&user.to_string()).unwrap(), "publicKey": phone.keys().public_base64(),
                        "did": "did:e2e", "appid": "com.onekosmos.blockid", "ial": "IAL1"});
    let answered = reqwest::Client::new()
        .post(format!("{url}/session/{session_id}/authenticate"))
        .json(&answer)
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status().as_u16(), 200);

    let (status, reply) = poll(url, browser, &session_id).await;
    assert_eq!(status, 200, "{reply}");
    let opened = browser.keys().shared_key_with(reply["publicKey"].as_str().unwrap()).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&opened.decrypt(reply["data"].as_str().unwrap()).unwrap()).unwrap(), user);
    let (status, again) = poll(url, browser, &session_id).await;
    assert_eq!((status, again["statusCode"].as_u64()), (410, Some(410)), "{again}");
}

#[tokio::test]
async fn a_login_completes_across_two_devices_and_a_restart() {
    let data_dir = std::env::temp_dir().join(format!("blockid-e2e-sessions-{}", uuid::Uuid::new_v4().simple()));
    let (browser, phone) = (client(Some(APP_KEY)), client(None));
    let first = start_sessions(&data_dir, &[]).await;
    login(&first.url, &browser, &phone).await;

    // A session created and answered before a restart is fetched after it.
    let body = json!({"origin": {"tag": "t", "url": "u", "communityName": "default", "communityId": COMMUNITY_ID},
                      "authtype": "none"});
    let created = browser.call(Method::PUT, &first.url, "/session/new", Some(&body)).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let session_id = created.body["sessionId"].as_str().unwrap().to_owned();
    let shared = phone.keys().shared_key_with(browser.keys().public_base64()).unwrap();
    let answer = json!({"data": shared.encrypt("{}").unwrap(), "publicKey": phone.keys().public_base64(),
                        "did": "d", "appid": "a"});
    let path = format!("/session/{session_id}/authenticate");
    let answered = phone.call(Method::POST, &first.url, &path, Some(&answer)).await.unwrap();
    assert_eq!(answered.status, 200, "{}", answered.body);
    drop(first);

    let second = start_sessions(&data_dir, &[]).await;
    assert_eq!(poll(&second.url, &client(Some(APP_KEY)), &session_id).await.0, 403, "another key may not poll");
    assert_eq!(poll(&second.url, &browser, &session_id).await.0, 200);
    drop(second);
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn a_login_completes_with_redis_as_the_session_store() {
    if std::net::TcpStream::connect("127.0.0.1:6379").is_err() {
        kit::testing::skip("Redis not reachable at 127.0.0.1:6379 (sessions e2e)");
        return;
    }
    let data_dir = std::env::temp_dir().join(format!("blockid-e2e-sessions-{}", uuid::Uuid::new_v4().simple()));
    let prefix = format!("e2e:{}:", uuid::Uuid::new_v4().simple());
    let redis = [("REDIS_URL", "redis://127.0.0.1:6379"), ("REDIS_PREFIX", prefix.as_str())];
    let proc = start_sessions(&data_dir, &redis).await;
    let env: Value =
        reqwest::Client::new().get(format!("{}/healthz", proc.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(env["cache"], "redis: ok", "{env}");
    login(&proc.url, &client(Some(APP_KEY)), &client(None)).await;
    drop(proc);
    let _ = std::fs::remove_dir_all(&data_dir);
}
