//! The in-process replay guard of a single instance: which `requestid` headers were seen in the
//! replay window, bounded by time and by memory.
//!
//! Each fingerprint is kept as 16 bytes (half the SHA-256 the envelope computes) with its expiry,
//! in buckets of expiry time; a bucket is dropped whole once everything in it has expired, so
//! memory follows the traffic of the last window and comes back when the traffic stops. Beyond
//! [`ReplayWindow::max_entries`] fingerprints a new request is refused (the envelope answers 503
//! and logs at ERROR), never accepted unchecked: that would let a replay through.
//!
//! A fingerprint is refused from the moment it is recorded until its `ttl` has passed, and
//! accepted again from then on: exactly the window of the shared stores (see
//! [`crate::ephemeral::Ephemeral::put_if_absent`]). Replicas keep using the shared store
//! ([`guard_for`]) so they refuse each other's replays.

use std::collections::VecDeque;
use std::hash::BuildHasher as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use envelope::ReplayGuard;
use hashbrown::HashTable;
use sha2::Digest as _;

use crate::config::{ConfigError, Settings};
use crate::ephemeral::{Ephemeral, ReplayCache};

/// Default of `REPLAY_CACHE_MAX_ENTRIES`: about 30,000 requests/s sustained with fresh `ts`
/// (each remembered 65 s with the default span); about 24 to 48 bytes an entry, so 50 to 100 MiB
/// when full.
pub const DEFAULT_MAX_ENTRIES: usize = 2_000_000;

/// How many buckets one window is cut into: memory overshoots the window by at most one bucket.
const BUCKETS_PER_WINDOW: u32 = 8;

/// The replay guard of the envelope: this in-process window when the shared ephemeral store is
/// the process's memory (single-instance SQLite deployments), else the shared store itself.
pub fn guard_for(settings: &Settings, shared: &Arc<dyn Ephemeral>) -> Result<Arc<dyn ReplayGuard>, ConfigError> {
    if shared.backend() != "memory" {
        return Ok(Arc::new(ReplayCache(shared.clone())));
    }
    let max_entries = settings.parse_var("REPLAY_CACHE_MAX_ENTRIES", DEFAULT_MAX_ENTRIES)?;
    if max_entries == 0 {
        return Err(ConfigError("REPLAY_CACHE_MAX_ENTRIES must be at least 1".into()));
    }
    // The envelope remembers a requestid for at most twice the allowed span plus the clock margin
    // (`envelope::server::replay_ttl`).
    let window = settings.allowed_time_span * 2 + envelope::server::CLOCK_SKEW_MARGIN;
    let guard =
        Arc::new(ReplayWindow::new(window / BUCKETS_PER_WINDOW, max_entries, Arc::new(MonotonicClock::default())));
    spawn_sweeper(&guard);
    Ok(guard)
}

/// Drops expired buckets every bucket width, so memory comes back when the traffic stops (the
/// requests themselves drop them too), until the guard is dropped.
fn spawn_sweeper(guard: &Arc<ReplayWindow>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    let weak = Arc::downgrade(guard);
    let period = Duration::from_millis(guard.width_ms);
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(guard) = weak.upgrade() else { return };
            guard.sweep();
        }
    });
}

/// Milliseconds on a monotonic clock; injected so tests can move time by hand.
pub trait Clock: Send + Sync {
    /// Milliseconds since an arbitrary fixed start.
    fn now_ms(&self) -> u64;
}

/// The process's monotonic clock.
#[derive(Debug)]
pub struct MonotonicClock(Instant);

impl Default for MonotonicClock {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Clock for MonotonicClock {
    fn now_ms(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// One remembered fingerprint: 16 bytes and its expiry, as an offset from its bucket's start.
#[derive(Debug, Clone, Copy)]
struct Entry {
    fingerprint: [u8; 16],
    expires_offset_ms: u32,
}

/// The fingerprints expiring in `[start_ms, start_ms + width)`.
struct Bucket {
    start_ms: u64,
    table: HashTable<Entry>,
}

struct Window {
    /// Ordered by `start_ms`, oldest first.
    buckets: VecDeque<Bucket>,
    entries: usize,
    last_full_log_ms: Option<u64>,
}

/// Recently seen fingerprints, bounded by time and by count.
pub struct ReplayWindow {
    window: Mutex<Window>,
    width_ms: u64,
    max_entries: usize,
    clock: Arc<dyn Clock>,
    /// Keyed per process (SipHash), so nobody can pick fingerprints that collide in the tables.
    hasher: std::hash::RandomState,
}

impl std::fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayWindow")
            .field("bucket_ms", &self.width_ms)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

/// Why a fingerprint could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// The guard holds `max_entries` live fingerprints: new requests are refused until some expire.
    #[error("the replay cache is full ({0} requestids in the window); raise REPLAY_CACHE_MAX_ENTRIES")]
    Full(usize),
    /// A panic poisoned the guard.
    #[error("the replay cache is unusable")]
    Poisoned,
}

impl ReplayWindow {
    /// A guard whose buckets each span `bucket` (at least 1 ms, at most an hour) holding at most
    /// `max_entries` fingerprints, on `clock`.
    pub fn new(bucket: Duration, max_entries: usize, clock: Arc<dyn Clock>) -> Self {
        let width_ms = u64::try_from(bucket.as_millis()).unwrap_or(u64::MAX).clamp(1, 3_600_000);
        Self {
            window: Mutex::new(Window { buckets: VecDeque::new(), entries: 0, last_full_log_ms: None }),
            width_ms,
            max_entries,
            clock,
            hasher: std::hash::RandomState::new(),
        }
    }

    /// The most fingerprints held at once.
    pub fn max_entries(&self) -> usize {
        self.max_entries
    }

    /// Fingerprints held now (expired ones count until their bucket is dropped).
    pub fn len(&self) -> usize {
        self.window.lock().map_or(0, |w| w.entries)
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records `fingerprint` for `ttl`: `Ok(true)` the first time within the window, `Ok(false)`
    /// for a replay, `Err` when the guard is full (the request must then be refused).
    pub fn check(&self, fingerprint: &[u8; 16], ttl: Duration) -> Result<bool, ReplayError> {
        let now = self.clock.now_ms();
        let expires = now.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
        let hash = self.hasher.hash_one(fingerprint);
        let mut w = self.window.lock().map_err(|_| ReplayError::Poisoned)?;
        self.drop_expired(&mut w, now);
        let seen = w.buckets.iter().any(|b| {
            b.table
                .find(hash, |e| e.fingerprint == *fingerprint)
                .is_some_and(|e| b.start_ms + u64::from(e.expires_offset_ms) > now)
        });
        if seen {
            return Ok(false);
        }
        if w.entries >= self.max_entries {
            // The envelope logs every refusal; this says why, at most once per bucket width.
            if w.last_full_log_ms.is_none_or(|t| now.saturating_sub(t) >= self.width_ms) {
                w.last_full_log_ms = Some(now);
                tracing::error!(max_entries = self.max_entries, "replay cache full: refusing new requests with 503");
            }
            return Err(ReplayError::Full(self.max_entries));
        }
        let start_ms = expires - expires % self.width_ms;
        let entry =
            Entry { fingerprint: *fingerprint, expires_offset_ms: u32::try_from(expires - start_ms).unwrap_or(0) };
        let bucket = self.bucket_at(&mut w.buckets, start_ms);
        // At most one entry per fingerprint and bucket: an expired one is renewed in place.
        if let Some(expired) = bucket.find_mut(hash, |e| e.fingerprint == *fingerprint) {
            *expired = entry;
            return Ok(true);
        }
        bucket.insert_unique(hash, entry, |e| self.hasher.hash_one(e.fingerprint));
        w.entries += 1;
        Ok(true)
    }

    /// Drops the buckets whose every entry has expired.
    pub fn sweep(&self) {
        let now = self.clock.now_ms();
        if let Ok(mut w) = self.window.lock() {
            self.drop_expired(&mut w, now);
        }
    }

    /// Whole buckets whose every entry has expired leave, oldest first.
    fn drop_expired(&self, w: &mut Window, now: u64) {
        while w.buckets.front().is_some_and(|b| b.start_ms.saturating_add(self.width_ms) <= now) {
            if let Some(gone) = w.buckets.pop_front() {
                w.entries -= gone.table.len();
            }
        }
    }

    /// The bucket starting at `start_ms`, created in order if missing.
    fn bucket_at<'a>(&self, buckets: &'a mut VecDeque<Bucket>, start_ms: u64) -> &'a mut HashTable<Entry> {
        // Expiries mostly grow with time (one ttl for every request): search from the back.
        let at = buckets.iter().rposition(|b| b.start_ms <= start_ms).map_or(0, |i| i + 1);
        if at == 0 || buckets[at - 1].start_ms != start_ms {
            buckets.insert(at, Bucket { start_ms, table: HashTable::new() });
            return &mut buckets[at].table;
        }
        &mut buckets[at - 1].table
    }
}

/// The first 16 bytes of the envelope's fingerprint key (`replay:<64 hex digits>`); any other key
/// is hashed here.
fn fingerprint_of(key: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    let hex = key.rsplit(':').next().unwrap_or(key);
    if hex.len() == 64 && hex::decode_to_slice(&hex[..32], &mut out).is_ok() {
        return out;
    }
    let digest = sha2::Sha256::digest(key.as_bytes());
    out.copy_from_slice(&digest[..16]);
    out
}

#[async_trait::async_trait]
impl ReplayGuard for ReplayWindow {
    async fn first_use(&self, fingerprint: &str, ttl: Duration) -> Result<bool, String> {
        self.check(&fingerprint_of(fingerprint), ttl).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
