//! One contract for every ephemeral store: memory, SQLite, PostgreSQL (when reachable), Redis
//! (when reachable).

use std::sync::Arc;
use std::time::Duration;

use kit::clock::ManualClock;
use kit::db::{Db, KIT_MIGRATIONS};
use kit::ephemeral::{Ephemeral, MemoryStore, RedisStore, SqlStore};
use kit::testing::{fresh_postgres, reachable_redis};

async fn sql(url: &str, clock: &Arc<ManualClock>) -> Arc<dyn Ephemeral> {
    let db = Db::connect(url).await.unwrap();
    db.migrate(&[&KIT_MIGRATIONS]).await.unwrap();
    Arc::new(SqlStore::new(db).with_clock(clock.clone()))
}

/// A store under test and how time passes for it: memory, SQLite and PostgreSQL reckon expiry by
/// a hand-driven clock (the test moves it, so a loaded machine cannot make it fail); Redis
/// expires keys by its own clock, so its test waits, with a margin.
#[derive(Clone)]
struct Store {
    store: Arc<dyn Ephemeral>,
    clock: Option<Arc<ManualClock>>,
}

impl std::ops::Deref for Store {
    type Target = dyn Ephemeral;
    fn deref(&self) -> &Self::Target {
        &*self.store
    }
}

impl Store {
    /// A short time to live.
    fn short(&self) -> Duration {
        if self.clock.is_some() { Duration::from_secs(10) } else { Duration::from_secs(1) }
    }

    /// Lets `by` pass.
    async fn pass(&self, by: Duration) {
        match &self.clock {
            Some(clock) => clock.advance(by),
            None => tokio::time::sleep(by + Duration::from_millis(500)).await,
        }
    }

    /// Lets [`Self::short`] pass but one millisecond, on a hand-driven clock (`false` on Redis).
    fn almost_short(&self) -> bool {
        let Some(clock) = &self.clock else { return false };
        clock.advance(self.short() - Duration::from_millis(1));
        true
    }
}

async fn stores() -> Vec<Store> {
    let clock = || Arc::new(ManualClock::now());
    let manual = |store: Arc<dyn Ephemeral>, clock: Arc<ManualClock>| Store { store, clock: Some(clock) };
    let dir = std::env::temp_dir().join(format!("kit-eph-{}", uuid::Uuid::new_v4().simple()));
    let (c1, c2) = (clock(), clock());
    let mut out = vec![
        manual(Arc::new(MemoryStore::new().with_clock(c1.clone())), c1),
        manual(sql(&format!("sqlite://{}/e.db", dir.display()), &c2).await, c2),
    ];
    if let Some(url) = fresh_postgres("ephemeral contract").await {
        let c = clock();
        out.push(manual(sql(&url, &c).await, c));
    }
    if let Some(url) = reachable_redis("ephemeral contract").await {
        let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
        out.push(Store { store: Arc::new(RedisStore::connect(&url, &prefix).await.unwrap()), clock: None });
    }
    out
}

const LONG: Duration = Duration::from_secs(60);

#[tokio::test]
async fn put_get_take_delete() {
    for s in stores().await {
        let b = s.backend();
        assert_eq!(s.get("a").await.unwrap(), None, "{b}");
        s.put("a", "1", LONG).await.unwrap();
        s.put("a", "2", LONG).await.unwrap();
        assert_eq!(s.get("a").await.unwrap().as_deref(), Some("2"), "{b}");
        assert_eq!(s.take("a").await.unwrap().as_deref(), Some("2"), "{b}");
        assert_eq!(s.take("a").await.unwrap(), None, "{b}: take is one-time");
        s.put("d", "x", LONG).await.unwrap();
        assert!(s.delete("d").await.unwrap(), "{b}");
        assert!(!s.delete("d").await.unwrap(), "{b}");
        s.ping().await.unwrap();
    }
}

#[tokio::test]
async fn entries_expire_without_a_sweeper() {
    for s in stores().await {
        let b = s.backend();
        let short = s.short();
        s.put("t", "v", short).await.unwrap();
        assert!(s.put_if_absent("n", "v", short).await.unwrap(), "{b}");
        assert!(!s.put_if_absent("n", "w", short).await.unwrap(), "{b}: live key kept");
        assert_eq!(s.incr("c", short).await.unwrap(), 1, "{b}");
        assert_eq!(s.incr("c", short).await.unwrap(), 2, "{b}");
        if s.almost_short() {
            // A millisecond before the end everything is still there.
            assert_eq!(s.get("t").await.unwrap().as_deref(), Some("v"), "{b}: live until the end");
            assert!(!s.put_if_absent("n", "w", LONG).await.unwrap(), "{b}: live until the end");
            assert_eq!(s.incr("c", short).await.unwrap(), 3, "{b}: live until the end");
            s.pass(Duration::from_millis(1)).await;
        } else {
            s.pass(short).await;
        }
        assert_eq!(s.get("t").await.unwrap(), None, "{b}");
        assert_eq!(s.take("t").await.unwrap(), None, "{b}");
        assert!(s.put_if_absent("n", "w", LONG).await.unwrap(), "{b}: expired key replaced");
        assert_eq!(s.get("n").await.unwrap().as_deref(), Some("w"), "{b}");
        assert_eq!(s.incr("c", LONG).await.unwrap(), 1, "{b}: counter restarts after expiry");
    }
}

#[tokio::test]
async fn one_of_many_concurrent_takers_wins() {
    for s in stores().await {
        s.put("once", "prize", LONG).await.unwrap();
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.take("once").await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for t in tasks {
            winners += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(winners, 1, "{}", s.backend());

        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let s = s.clone();
                tokio::spawn(async move { s.put_if_absent("first", &i.to_string(), LONG).await.unwrap() })
            })
            .collect();
        let mut firsts = 0;
        for t in tasks {
            firsts += usize::from(t.await.unwrap());
        }
        assert_eq!(firsts, 1, "{}", s.backend());
    }
}

#[tokio::test]
async fn compare_and_swap_replaces_only_the_expected_live_value() {
    for s in stores().await {
        let b = s.backend();
        assert!(!s.compare_and_swap("cas", "", "x", LONG).await.unwrap(), "{b}: a missing key is never created");
        assert_eq!(s.get("cas").await.unwrap(), None, "{b}");
        s.put("cas", "v1", LONG).await.unwrap();
        assert!(!s.compare_and_swap("cas", "v0", "v2", LONG).await.unwrap(), "{b}: another value is kept");
        assert!(!s.compare_and_swap("cas", "v", "v2", LONG).await.unwrap(), "{b}: a prefix is not the value");
        assert_eq!(s.get("cas").await.unwrap().as_deref(), Some("v1"), "{b}");
        assert!(s.compare_and_swap("cas", "v1", "v2", LONG).await.unwrap(), "{b}");
        assert_eq!(s.get("cas").await.unwrap().as_deref(), Some("v2"), "{b}");
        assert!(!s.compare_and_swap("cas", "v1", "v3", LONG).await.unwrap(), "{b}: the old value is gone");

        // The swap sets the new ttl; an expired value is never swapped (nor revived).
        assert!(s.compare_and_swap("cas", "v2", "short", s.short()).await.unwrap(), "{b}");
        s.put("gone", "old", s.short()).await.unwrap();
        s.pass(s.short()).await;
        assert_eq!(s.get("cas").await.unwrap(), None, "{b}: the swapped value took the new ttl");
        assert!(!s.compare_and_swap("gone", "old", "new", LONG).await.unwrap(), "{b}: expired");
        assert_eq!(s.get("gone").await.unwrap(), None, "{b}");

        // Long JSON-ish values with quotes and non-ASCII text compare exactly.
        let long = format!("{{\"state\":\"answered\",\"data\":\"{}\",\"name\":\"Zoë\"}}", "x".repeat(8192));
        s.put("json", &long, LONG).await.unwrap();
        assert!(s.compare_and_swap("json", &long, "{\"state\":\"fetched\"}", LONG).await.unwrap(), "{b}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_concurrent_swaps_from_one_value_exactly_one_wins() {
    for s in stores().await {
        let b = s.backend();
        for round in 0..3 {
            let key = format!("race{round}");
            s.put(&key, "answered", LONG).await.unwrap();
            // All tasks start together (a barrier), on the multi-threaded runtime.
            let start = Arc::new(tokio::sync::Barrier::new(16));
            let tasks: Vec<_> = (0..16)
                .map(|i| {
                    let (s, key, start) = (s.clone(), key.clone(), start.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        s.compare_and_swap(&key, "answered", &format!("fetched by {i}"), LONG).await.unwrap()
                    })
                })
                .collect();
            let won: Vec<bool> = futures_util::future::join_all(tasks).await.into_iter().map(Result::unwrap).collect();
            let winner = won.iter().position(|w| *w);
            assert_eq!(won.iter().filter(|w| **w).count(), 1, "{b}: {won:?}");
            let value = s.get(&key).await.unwrap();
            assert_eq!(value, winner.map(|i| format!("fetched by {i}")), "{b}: the winner's value is the one kept");
        }
    }
}
