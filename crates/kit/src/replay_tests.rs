//! The replay window on a hand-driven clock.

use std::sync::atomic::{AtomicU64, Ordering};

use super::*;

#[derive(Default)]
struct ManualClock(AtomicU64);

impl ManualClock {
    fn set(&self, ms: u64) {
        self.0.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The envelope's window with the default `ALLOWED_TIME_SPAN` of 60 s.
const TTL: Duration = Duration::from_secs(121);
const T0: u64 = 1_000_000;

fn window(max_entries: usize) -> (ReplayWindow, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    clock.set(T0);
    (ReplayWindow::new(TTL / BUCKETS_PER_WINDOW, max_entries, clock.clone()), clock)
}

fn fp(n: u32) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..4].copy_from_slice(&n.to_be_bytes());
    out
}

#[test]
fn a_replay_is_refused_until_the_ttl_has_passed_and_accepted_from_then_on() {
    let (w, clock) = window(100);
    assert_eq!(w.check(&fp(1), TTL), Ok(true));
    assert_eq!(w.check(&fp(1), TTL), Ok(false), "an immediate replay");
    assert_eq!(w.check(&fp(2), TTL), Ok(true), "another request");
    clock.set(T0 + 121_000 - 1);
    assert_eq!(w.check(&fp(1), TTL), Ok(false), "the last millisecond of the window");
    clock.set(T0 + 121_000);
    assert_eq!(w.check(&fp(1), TTL), Ok(true), "the window has passed");
    assert_eq!(w.check(&fp(1), TTL), Ok(false), "and starts again");
}

#[test]
fn the_window_is_the_ttl_whatever_the_bucket_boundaries() {
    let (w, clock) = window(1000);
    // Start at every offset inside a bucket, so entries land at both ends of their buckets.
    let width = TTL.as_millis() as u64 / u64::from(BUCKETS_PER_WINDOW);
    for (i, start) in (0..width).step_by(997).enumerate() {
        let at = T0 + 10 * 121_000 * i as u64 + start;
        let f = fp(1000 + i as u32);
        clock.set(at);
        assert_eq!(w.check(&f, TTL), Ok(true));
        clock.set(at + 121_000 - 1);
        assert_eq!(w.check(&f, TTL), Ok(false), "offset {start}");
        clock.set(at + 121_000);
        assert_eq!(w.check(&f, TTL), Ok(true), "offset {start}");
    }
}

#[test]
fn a_ttl_shorter_than_a_bucket_renews_the_expired_entry() {
    let (w, clock) = window(100);
    let short = Duration::from_millis(10);
    assert_eq!(w.check(&fp(7), short), Ok(true));
    clock.set(T0 + 10);
    assert_eq!(w.check(&fp(7), short), Ok(true), "expired, in the same bucket");
    clock.set(T0 + 19);
    assert_eq!(w.check(&fp(7), short), Ok(false), "the renewed entry is the one looked up");
    assert_eq!(w.len(), 1);
}

#[test]
fn buckets_leave_whole_once_expired_so_memory_comes_back() {
    let (w, clock) = window(1_000_000);
    for n in 0..10_000 {
        clock.set(T0 + u64::from(n) * 10); // 100 s of traffic
        assert_eq!(w.check(&fp(n), TTL), Ok(true));
    }
    assert_eq!(w.len(), 10_000);
    clock.set(T0 + 100_000 + 121_000 - 1);
    w.sweep();
    assert!(!w.is_empty(), "the newest entries are still in the window");
    clock.set(T0 + 100_000 + 121_000 + 121_000 / u64::from(BUCKETS_PER_WINDOW));
    w.sweep();
    assert!(w.is_empty(), "a sweep without traffic drops every expired bucket");
    assert_eq!(w.window.lock().unwrap().buckets.len(), 0);
    assert_eq!(w.check(&fp(u32::MAX), TTL), Ok(true));
    assert_eq!(w.len(), 1, "only the new entry is left");
}

#[test]
fn a_full_guard_refuses_new_requests_but_still_knows_replays() {
    let (w, clock) = window(3);
    for n in 0..3 {
        assert_eq!(w.check(&fp(n), TTL), Ok(true));
    }
    assert_eq!(w.check(&fp(9), TTL), Err(ReplayError::Full(3)), "never accepted unchecked");
    assert_eq!(w.check(&fp(0), TTL), Ok(false), "a replay is still a replay");
    assert_eq!(w.len(), 3);
    // Once the old entries' bucket has gone, there is room again.
    clock.set(T0 + 121_000 + 121_000 / u64::from(BUCKETS_PER_WINDOW));
    assert_eq!(w.check(&fp(9), TTL), Ok(true));
}

#[test]
fn envelope_keys_keep_half_their_sha256_and_other_keys_are_hashed() {
    let hex = "00112233445566778899aabbccddeeff".repeat(2);
    let key = format!("replay:{hex}");
    assert_eq!(
        fingerprint_of(&key),
        [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
    );
    assert_ne!(fingerprint_of("replay:short"), fingerprint_of("replay:other"));
    assert_ne!(fingerprint_of(&key), fingerprint_of("replay:short"));
}

#[tokio::test]
async fn replicas_keep_the_shared_store_and_a_single_process_the_window() {
    let settings = Settings::from_source(&std::collections::BTreeMap::new(), "sessions", 0).unwrap();
    let key = format!("replay:{}", "ab".repeat(32));

    let memory = Arc::new(crate::ephemeral::MemoryStore::new());
    let shared: Arc<dyn Ephemeral> = memory.clone();
    let guard = guard_for(&settings, &shared).unwrap();
    assert_eq!(guard.first_use(&key, TTL).await, Ok(true));
    assert_eq!(guard.first_use(&key, TTL).await, Ok(false));
    assert_eq!(memory.get(&key).await.unwrap(), None, "a single process keeps replays in the window");

    let dir = std::env::temp_dir().join(format!("kit-replay-{}", uuid::Uuid::new_v4().simple()));
    let db = crate::db::Db::connect(&format!("sqlite://{}/r.db", dir.display())).await.unwrap();
    db.migrate(&[&crate::db::KIT_MIGRATIONS]).await.unwrap();
    let sql: Arc<dyn Ephemeral> = Arc::new(crate::ephemeral::SqlStore::new(db));
    let guard = guard_for(&settings, &sql).unwrap();
    assert_eq!(guard.first_use(&key, TTL).await, Ok(true));
    assert_eq!(sql.get(&key).await.unwrap().as_deref(), Some("1"), "replicas share the store");
    assert_eq!(guard.first_use(&key, TTL).await, Ok(false));

    let zero = [("REPLAY_CACHE_MAX_ENTRIES".to_owned(), "0".to_owned())].into();
    assert!(guard_for(&Settings::from_source(&zero, "sessions", 0).unwrap(), &shared).is_err());
}

#[test]
fn the_monotonic_clock_runs_and_the_guard_shows_its_bounds_not_its_fingerprints() {
    let clock = MonotonicClock::default();
    let start = clock.now_ms();
    std::thread::sleep(Duration::from_millis(20));
    assert!(clock.now_ms() >= start + 20, "{start} {}", clock.now_ms());

    let (w, _) = window(7);
    assert_eq!(w.max_entries(), 7);
    assert_eq!(w.check(&fp(1), TTL), Ok(true));
    let shown = format!("{w:?}");
    assert!(shown.starts_with("ReplayWindow { bucket_ms: 15125, max_entries: 7"), "{shown}");
    assert!(!shown.contains("fingerprint"), "{shown}");
}
