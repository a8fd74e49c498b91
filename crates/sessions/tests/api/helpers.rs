//! Starting `sessions` for a test, and the two actors of a cross-device login: the browser (a web
//! app with a license) and the phone (no license), each with its own key pair.

#![allow(dead_code)]

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair, Peer, Reply, SignedHeaders};
use kit::testing::{Storage, TestService};
use reqwest::Method;
use serde_json::{Value, json};

pub use kit::testing::{APP_KEY, SERVICE_KEY, SYSTEM_KEY};

/// Every storage a behaviour is checked on (unreachable ones are skipped with a line).
pub const STORAGES: [Storage; 3] = [Storage::Embedded, Storage::Redis, Storage::Postgres];

/// `sessions` on `storage` with local license keys of each level; `None` when the storage is unreachable.
pub async fn spawn(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<TestService> {
    kit::testing::spawn_with_keys(sessions::SERVICE, sessions::build, storage, test, extra).await
}

/// [`spawn`] with sessions and nonces living by `clock` (moved by hand in the test).
pub async fn spawn_with_clock(
    storage: Storage,
    test: &str,
    extra: &[(&str, &str)],
    clock: Arc<kit::clock::ManualClock>,
) -> Option<TestService> {
    let build = move |settings| sessions::build_with(settings, None, clock);
    kit::testing::spawn_with_keys(sessions::SERVICE, build, storage, test, extra).await
}

/// A fresh secp256k1 key pair.
pub fn keys() -> Arc<KeyPair> {
    Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())
}

/// A web app: its own key pair and `license`.
pub fn browser(license: &str) -> Client {
    Client::new(keys()).unwrap().license(license).app_id("com.example.web")
}

/// A phone: its own key pair, no license.
pub fn phone() -> Client {
    Client::new(keys()).unwrap().app_id("com.onekosmos.blockid")
}

/// The body the Node helper's `createNewSession` sends.
pub fn new_session_body() -> Value {
    json!({
        "origin": {"tag": "acme", "url": "https://admin.acme.example", "communityName": "default",
                   "communityId": "5f3d8d0cd866fa61019cf968", "authPage": "blockid://authenticate"},
        "scopes": "windows,profile",
        "authtype": "none",
        "metadata": {"purpose": "login"}
    })
}

/// A signed request with a plain JSON body (as the SDKs send `/session/new` and `/authenticate`).
pub async fn plain(client: &Client, url: &str, method: Method, path: &str, body: Option<&Value>) -> Reply {
    let peer = client.peer(url).await.unwrap();
    let headers = client.headers(&peer).unwrap();
    client.send(method, url, path, &headers, body, &peer).await.unwrap()
}

/// A request with the given headers and a raw (possibly broken) body text.
pub async fn raw(url: &str, method: Method, path: &str, headers: Option<&SignedHeaders>, body: &str) -> (u16, Value) {
    let mut req =
        reqwest::Client::new().request(method, format!("{url}{path}")).header("content-type", "application/json");
    for (k, v) in headers.map(SignedHeaders::pairs).unwrap_or_default() {
        req = req.header(k, v);
    }
    let resp = req.body(body.to_owned()).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Creates a session as the SDK does and returns its id.
pub async fn create_session(url: &str, browser: &Client) -> String {
    let reply = plain(browser, url, Method::PUT, "/session/new", Some(&new_session_body())).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body["sessionId"].as_str().unwrap().to_owned()
}

/// The phone's answer: `user` encrypted for `browser_public_key` with the phone's key.
pub fn answer_for(phone: &Client, browser_public_key: &str, user: &Value) -> Value {
    let shared = phone.keys().shared_key_with(browser_public_key).unwrap();
    json!({
        "data": shared.encrypt(&user.to_string()).unwrap(),
        "publicKey": phone.keys().public_base64(),
        "did": user["did"],
        "appid": "com.onekosmos.blockid",
        "ial": "IAL2",
        "eventData": "push-accepted",
    })
}

/// The phone reads the session, encrypts `user` for its creator and answers it (SDK-style headers).
pub async fn phone_answers(url: &str, phone: &Client, session_id: &str, user: &Value) -> Reply {
    let info: Value = reqwest::get(format!("{url}/session/{session_id}")).await.unwrap().json().await.unwrap();
    let body = answer_for(phone, info["publicKey"].as_str().unwrap(), user);
    plain(phone, url, Method::POST, &format!("/session/{session_id}/authenticate"), Some(&body)).await
}

/// Polls as `browser`; `with_info` sets `addsessioninfo`.
pub async fn poll(url: &str, browser: &Client, session_id: &str, with_info: bool) -> (u16, Value) {
    let peer: Peer = browser.peer(url).await.unwrap();
    let headers = browser.headers(&peer).unwrap();
    let mut req = reqwest::Client::new().get(format!("{url}/session/{session_id}/response"));
    for (k, v) in headers.pairs() {
        req = req.header(k, v);
    }
    if with_info {
        req = req.header("addsessioninfo", "true");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

/// Asserts the `{statusCode, error, message}` shape with `status`, and that `message` mentions `needle`.
pub fn assert_error(status: u16, body: &Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["statusCode"].as_u64(), Some(u64::from(expected)), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.to_lowercase().contains(&needle.to_lowercase()), "message {message:?} lacks {needle:?}");
}
