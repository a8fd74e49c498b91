//! Starting `users-mgmt` for a test.

use kit::testing::{Storage, TestService};

pub use kit::testing::SYSTEM_KEY;

/// `users-mgmt` on `storage` with local license keys of each level; `None` when the storage is unreachable.
pub async fn spawn(storage: Storage, test: &str, extra: &[(&str, &str)]) -> Option<TestService> {
    kit::testing::spawn_with_keys(users_mgmt::SERVICE, users_mgmt::build, storage, test, extra).await
}

use std::sync::Arc;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::Value;

pub use kit::testing::{
    APP_KEY, COMMUNITY_ID, OTHER_COMMUNITY_ID, OTHER_TENANT_ID, SERVICE_EXT_KEY, SERVICE_KEY, TENANT_ID,
};

/// Every storage a behaviour is checked on (unreachable ones are skipped with a line).
pub const STORAGES: [Storage; 3] = [Storage::Embedded, Storage::Postgres, Storage::Redis];

/// A caller with its own key pair and `license`.
pub fn caller(license: &str) -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(license).app_id("tests")
}

/// `/tenant/{TENANT_ID}/community/{COMMUNITY_ID}{rest}`.
pub fn community_path(rest: &str) -> String {
    format!("/tenant/{TENANT_ID}/community/{COMMUNITY_ID}{rest}")
}

/// A sealed call (body and reply encrypted): the status and the opened reply.
pub async fn sealed(client: &Client, url: &str, method: Method, path: &str, body: Option<&Value>) -> (u16, Value) {
    let reply = client.call(method, url, path, body).await.unwrap();
    (reply.status, reply.body)
}

/// A signed call with a plain JSON body (the reference's preview): the status, the reply and
/// whether the reply was sealed.
pub async fn plain(client: &Client, url: &str, method: Method, path: &str, body: Option<&Value>) -> (u16, Value, bool) {
    let peer = client.peer(url).await.unwrap();
    let headers = client.headers(&peer).unwrap();
    let reply = client.send(method, url, path, &headers, body, &peer).await.unwrap();
    (reply.status, reply.body, reply.sealed)
}

/// Asserts an error reply: its status and a piece of its message.
pub fn assert_error(status: u16, body: &Value, expected: u16, needle: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["statusCode"].as_u64(), Some(u64::from(expected)), "{body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.to_lowercase().contains(&needle.to_lowercase()), "message {message:?} lacks {needle:?}");
}
