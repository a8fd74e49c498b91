//! What each step of a login costs the session store, counted over HTTP on every storage: a
//! pending poll and a create are one round trip each (one SQL statement, one Redis command).
//! (On Redis the replay check of the signed headers is one more command, in the shared store.)

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use kit::StoreError;
use kit::app::Platform;
use kit::ephemeral::Ephemeral;
use kit::testing::test_env;
use serde_json::json;

use crate::helpers::*;

/// The platform's durable store, with every call counted.
struct Counting {
    inner: Arc<dyn Ephemeral>,
    calls: AtomicUsize,
}

impl Counting {
    fn take(&self) -> usize {
        self.calls.swap(0, Ordering::SeqCst)
    }
    fn count(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl Ephemeral for Counting {
    async fn put(&self, k: &str, v: &str, ttl: Duration) -> Result<(), StoreError> {
        self.count();
        self.inner.put(k, v, ttl).await
    }
    async fn put_if_absent(&self, k: &str, v: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.count();
        self.inner.put_if_absent(k, v, ttl).await
    }
    async fn get(&self, k: &str) -> Result<Option<String>, StoreError> {
        self.count();
        self.inner.get(k).await
    }
    async fn take(&self, k: &str) -> Result<Option<String>, StoreError> {
        self.count();
        self.inner.take(k).await
    }
    async fn compare_and_swap(&self, k: &str, old: &str, new: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.count();
        self.inner.compare_and_swap(k, old, new, ttl).await
    }
    async fn delete(&self, k: &str) -> Result<bool, StoreError> {
        self.count();
        self.inner.delete(k).await
    }
    async fn incr(&self, k: &str, ttl: Duration) -> Result<i64, StoreError> {
        self.count();
        self.inner.incr(k, ttl).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }
}

/// `sessions` as `sessions::build` makes it, over a counted session store.
async fn spawn_counted(storage: kit::testing::Storage) -> Option<(String, Arc<Counting>)> {
    let mut env = test_env(storage, "round trips").await?;
    env.insert("LICENSE_KEYS".into(), format!("app:{APP_KEY}"));
    let settings = kit::Settings::from_source(&env, sessions::SERVICE, 0).unwrap();
    let config = sessions::config::SessionSettings::from_settings(&settings).unwrap();
    let mut platform = Platform::start(settings, &[]).await.unwrap();
    let counted = Arc::new(Counting { inner: platform.durable.clone(), calls: AtomicUsize::new(0) });
    platform.durable = counted.clone();
    let app = sessions::bind(platform, config, Arc::new(kit::clock::SystemClock)).unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some((url, counted))
}

#[tokio::test]
async fn a_pending_poll_and_a_create_are_one_store_round_trip_each() {
    for storage in STORAGES {
        let Some((url, store)) = spawn_counted(storage).await else { continue };
        let url = url.as_str();
        let browser = browser(APP_KEY);
        let phone = phone();
        browser.peer(url).await.unwrap();
        store.take();

        let session_id = create_session(url, &browser).await;
        assert_eq!(store.take(), 1, "{storage:?}: create");
        let (status, _) = poll(url, &browser, &session_id, false).await;
        assert_eq!((status, store.take()), (404, 1), "{storage:?}: pending poll");

        let info = reqwest::get(format!("{url}/session/{session_id}")).await.unwrap();
        assert_eq!((info.status().as_u16(), store.take()), (200, 1), "{storage:?}: read");
        let body = answer_for(&phone, browser.keys().public_base64(), &json!({"did": "d"}));
        let path = format!("/session/{session_id}/authenticate");
        let answered = plain(&phone, url, reqwest::Method::POST, &path, Some(&body)).await;
        assert_eq!((answered.status, store.take()), (200, 2), "{storage:?}: answer (read, swap)");
        let (status, _) = poll(url, &browser, &session_id, false).await;
        assert_eq!((status, store.take()), (200, 2), "{storage:?}: fetch (read, swap)");
        let (status, _) = poll(url, &browser, &session_id, false).await;
        assert_eq!((status, store.take()), (410, 1), "{storage:?}: poll after the fetch");
    }
}
