//! `/healthz` reports the stores as they really are: truthful from the first probe, then from a
//! status refreshed in the background about once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use kit::StoreError;
use kit::app::{Application, Platform};
use kit::ephemeral::{Ephemeral, MemoryStore};
use kit::testing::{Storage, test_env};
use serde_json::Value;

/// A Redis-like store that can go away: every call fails while `down` is set; pings are counted.
#[derive(Default)]
struct Switch {
    inner: MemoryStore,
    down: AtomicBool,
    pings: AtomicUsize,
}

impl Switch {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) { Err(StoreError::Unavailable("down".into())) } else { Ok(()) }
    }
}

#[async_trait]
impl Ephemeral for Switch {
    async fn put(&self, k: &str, v: &str, ttl: Duration) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put(k, v, ttl).await
    }
    async fn put_if_absent(&self, k: &str, v: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.put_if_absent(k, v, ttl).await
    }
    async fn get(&self, k: &str) -> Result<Option<String>, StoreError> {
        self.check()?;
        self.inner.get(k).await
    }
    async fn take(&self, k: &str) -> Result<Option<String>, StoreError> {
        self.check()?;
        self.inner.take(k).await
    }
    async fn compare_and_swap(&self, k: &str, old: &str, new: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.compare_and_swap(k, old, new, ttl).await
    }
    async fn delete(&self, k: &str) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.delete(k).await
    }
    async fn incr(&self, k: &str, ttl: Duration) -> Result<i64, StoreError> {
        self.check()?;
        self.inner.incr(k, ttl).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.pings.fetch_add(1, Ordering::SeqCst);
        self.check()
    }
    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// A service whose durable store is `store`; returns the `/healthz` URL.
async fn serve_with(store: Arc<Switch>) -> String {
    let env = test_env(Storage::Embedded, "health").await.unwrap();
    let settings = kit::Settings::from_source(&env, "sessions", 0).unwrap();
    let mut platform = Platform::start(settings, &[]).await.unwrap();
    platform.durable = store;
    let app = Application::bind(platform, (), |cfg, _: &()| {
        kit::Table::new("sessions", "").with(kit::common::endpoints()).mount(cfg);
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}/healthz", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

async fn probe(url: &str) -> (u16, Value) {
    let resp = reqwest::get(url).await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// Probes until `/healthz` answers `status`, for at most ten refresh periods.
async fn until_status(url: &str, status: u16) -> Value {
    for _ in 0..100 {
        let (s, body) = probe(url).await;
        if s == status {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("/healthz never answered {status}");
}

#[tokio::test]
async fn healthz_answers_503_when_the_ephemeral_store_is_down() {
    let store = Arc::new(Switch::default());
    store.down.store(true, Ordering::SeqCst);
    let url = serve_with(store).await;
    // The very first probe is already truthful: the status is checked before it is answered.
    let (status, body) = probe(&url).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["code"], "503");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["database"], "sqlite: ok");
    assert_eq!(body["cache"], "redis: unavailable");
}

#[tokio::test]
async fn healthz_follows_the_store_going_down_and_coming_back() {
    let store = Arc::new(Switch::default());
    let url = serve_with(store.clone()).await;
    assert_eq!(probe(&url).await.0, 200);
    store.down.store(true, Ordering::SeqCst);
    let body = until_status(&url, 503).await;
    assert_eq!((body["database"].as_str(), body["cache"].as_str()), (Some("sqlite: ok"), Some("redis: unavailable")));
    store.down.store(false, Ordering::SeqCst);
    let body = until_status(&url, 200).await;
    assert_eq!(body["cache"], "redis: ok");
}

#[tokio::test]
async fn probes_read_the_background_status_instead_of_pinging() {
    let store = Arc::new(Switch::default());
    let url = serve_with(store.clone()).await;
    let probes = 100;
    for _ in 0..probes {
        assert_eq!(probe(&url).await.0, 200);
    }
    // About one ping a second, whatever the number of probes.
    let pings = store.pings.load(Ordering::SeqCst);
    assert!((1..probes / 2).contains(&pings), "{pings} pings for {probes} probes");
}
