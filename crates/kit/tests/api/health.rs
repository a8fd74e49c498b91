//! `/healthz` reports the stores as they really are.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use kit::StoreError;
use kit::app::{Application, Platform};
use kit::ephemeral::Ephemeral;
use kit::testing::{Storage, test_env};
use serde_json::Value;

/// A store whose backend has gone away.
struct Down;

#[async_trait]
impl Ephemeral for Down {
    async fn put(&self, _: &str, _: &str, _: Duration) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn put_if_absent(&self, _: &str, _: &str, _: Duration) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn get(&self, _: &str) -> Result<Option<String>, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn take(&self, _: &str) -> Result<Option<String>, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn delete(&self, _: &str) -> Result<bool, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn incr(&self, _: &str, _: Duration) -> Result<i64, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    fn backend(&self) -> &'static str {
        "redis"
    }
}

#[tokio::test]
async fn healthz_answers_503_when_the_ephemeral_store_is_down() {
    let env = test_env(Storage::Embedded, "health").await.unwrap();
    let settings = kit::Settings::from_source(&env, "sessions", 0).unwrap();
    let mut platform = Platform::start(settings, &[]).await.unwrap();
    platform.durable = Arc::new(Down);
    let app = Application::bind(platform, (), |cfg, _: &()| {
        kit::Table::new("sessions", "").with(kit::common::endpoints()).mount(cfg);
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}/healthz", app.port());
    tokio::spawn(app.run_until_stopped());
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status().as_u16(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "503");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "sqlite: ok");
    assert_eq!(body["cache"], "redis: unavailable");
}
