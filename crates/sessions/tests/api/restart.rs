//! Sessions on the embedded default live in the SQLite database: a new process on the same data
//! folder (same service key, same records) carries on where the old one stopped: the first is
//! stopped before the second starts.

use kit::testing::{Storage, spawn_service, test_env};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn sessions_survive_a_restart_on_the_embedded_default() {
    let mut env = test_env(Storage::Embedded, "restart").await.unwrap();
    env.insert("LICENSE_KEYS".into(), format!("app:{APP_KEY}"));
    let before = spawn_service(sessions::SERVICE, &env, sessions::build).await;
    let browser = browser(APP_KEY);
    let phone = phone();
    let session_id = create_session(&before.url, &browser).await;
    assert_eq!(phone_answers(&before.url, &phone, &session_id, &json!({"did": "d"})).await.status, 200);

    let old_url = before.url.clone();
    before.stop().await;
    assert!(reqwest::get(format!("{old_url}/healthz")).await.is_err(), "the first process is gone");
    let after = spawn_service(sessions::SERVICE, &env, sessions::build).await;
    assert_ne!(old_url, after.url);
    let (status, reply) = poll(&after.url, &browser, &session_id, false).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["did"], "d");
}
