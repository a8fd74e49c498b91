//! Ephemeral state behind one trait: short-lived keys with a time to live, one-time reads,
//! compare-and-swap and counters. Three implementations:
//! - [`MemoryStore`]: in-process, for caches of a single instance;
//! - [`SqlStore`]: a table of the service database, survives a restart (the embedded default);
//! - [`RedisStore`]: shared by every replica when `REDIS_URL` is set.
//!
//! Expired entries are never returned, whether or not anything has swept them yet. Every
//! operation is one round trip to the backend (one SQL statement, one Redis command or script).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{SystemClock, WallClock, after};
use crate::error::StoreError;

mod redis_store;
mod sql_store;

pub use redis_store::RedisStore;
pub use sql_store::SqlStore;

/// Short-lived key/value state.
#[async_trait]
pub trait Ephemeral: Send + Sync {
    /// Sets `key` to `value` for `ttl`, replacing any value.
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError>;
    /// Sets `key` only if it holds no live value; `true` when it was set.
    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError>;
    /// The live value of `key`.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Removes `key` and returns its live value, atomically: of concurrent takers one gets it.
    async fn take(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets `key` to `new` for `ttl` only if its live value is exactly `expected`, atomically:
    /// of concurrent swaps from the same value exactly one succeeds. `true` when it was replaced;
    /// a missing or expired key is never replaced.
    async fn compare_and_swap(&self, key: &str, expected: &str, new: &str, ttl: Duration) -> Result<bool, StoreError>;
    /// Removes `key`; `true` when a live value was removed.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;
    /// Adds one to the counter at `key` (created at 1 with `ttl`; the ttl is not extended).
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError>;
    /// Checks the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// A short name for health reports: `memory`, `sqlite`, `postgres` or `redis`.
    fn backend(&self) -> &'static str;
}

/// Lets the envelope extractor keep its replay cache in any ephemeral store (the shared one of
/// replicas; a single process uses [`crate::replay::ReplayWindow`] instead).
pub struct ReplayCache(pub std::sync::Arc<dyn Ephemeral>);

#[async_trait]
impl envelope::ReplayGuard for ReplayCache {
    async fn first_use(&self, fingerprint: &str, ttl: Duration) -> Result<bool, String> {
        self.0.put_if_absent(fingerprint, "1", ttl).await.map_err(|e| e.to_string())
    }
}

/// In-process state. Expired entries are dropped when read and swept as the map grows.
pub struct MemoryStore {
    /// Each value with its expiry (epoch milliseconds).
    map: Mutex<HashMap<String, (String, i64)>>,
    clock: Arc<dyn WallClock>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self { map: Mutex::default(), clock: Arc::new(SystemClock) }
    }
}

const SWEEP_EVERY: usize = 4096;

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The store reckoning expiries by `clock` instead of the system's (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (String, i64)>, i64) -> T) -> Result<T, StoreError> {
        let mut map = self.map.lock().map_err(|_| StoreError::Unavailable("memory store poisoned".into()))?;
        let now = self.clock.epoch_ms();
        if map.len() >= SWEEP_EVERY && map.len().is_power_of_two() {
            map.retain(|_, (_, exp)| *exp > now);
        }
        Ok(f(&mut map, now))
    }
}

fn live(entry: Option<&(String, i64)>, now: i64) -> Option<&String> {
    entry.filter(|(_, exp)| *exp > now).map(|(v, _)| v)
}

#[async_trait]
impl Ephemeral for MemoryStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.with(|m, now| {
            m.insert(key.to_owned(), (value.to_owned(), after(now, ttl)));
        })
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.with(|m, now| {
            if live(m.get(key), now).is_some() {
                return false;
            }
            m.insert(key.to_owned(), (value.to_owned(), after(now, ttl)));
            true
        })
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|m, now| live(m.get(key), now).cloned())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|m, now| m.remove(key).filter(|(_, exp)| *exp > now).map(|(v, _)| v))
    }

    async fn compare_and_swap(&self, key: &str, expected: &str, new: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.with(|m, now| match m.get_mut(key) {
            Some(entry) if entry.1 > now && entry.0 == expected => {
                *entry = (new.to_owned(), after(now, ttl));
                true
            }
            _ => false,
        })
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.with(|m, now| m.remove(key).is_some_and(|(_, exp)| exp > now))
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError> {
        self.with(|m, now| {
            let current = live(m.get(key), now).and_then(|v| v.parse::<i64>().ok());
            let (next, exp) = match (current, m.get(key)) {
                (Some(n), Some((_, exp))) => (n.saturating_add(1), *exp),
                _ => (1, after(now, ttl)),
            };
            m.insert(key.to_owned(), (next.to_string(), exp));
            next
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.with(|_, _| ())
    }

    fn backend(&self) -> &'static str {
        "memory"
    }
}
