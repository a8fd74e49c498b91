//! Ephemeral state behind one trait: short-lived keys with a time to live, one-time reads and
//! counters. Three implementations:
//! - [`MemoryStore`]: in-process, for caches and replay protection of a single instance;
//! - [`SqlStore`]: a table of the service database, survives a restart (the embedded default);
//! - [`RedisStore`]: shared by every replica when `REDIS_URL` is set.
//!
//! Expired entries are never returned, whether or not anything has swept them yet.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::db::Db;
use crate::error::StoreError;

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
    /// Removes `key`; `true` when a live value was removed.
    async fn delete(&self, key: &str) -> Result<bool, StoreError>;
    /// Adds one to the counter at `key` (created at 1 with `ttl`; the ttl is not extended).
    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError>;
    /// Checks the backend answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// A short name for health reports: `memory`, `sqlite`, `postgres` or `redis`.
    fn backend(&self) -> &'static str;
}

/// Lets the envelope extractor keep its replay cache in any ephemeral store.
pub struct ReplayCache(pub std::sync::Arc<dyn Ephemeral>);

#[async_trait]
impl envelope::ReplayGuard for ReplayCache {
    async fn first_use(&self, fingerprint: &str, ttl: Duration) -> Result<bool, String> {
        self.0.put_if_absent(fingerprint, "1", ttl).await.map_err(|e| e.to_string())
    }
}

/// In-process state. Expired entries are dropped when read and swept as the map grows.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, (String, Instant)>>,
}

const SWEEP_EVERY: usize = 4096;

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (String, Instant)>, Instant) -> T) -> Result<T, StoreError> {
        let mut map = self.map.lock().map_err(|_| StoreError::Unavailable("memory store poisoned".into()))?;
        let now = Instant::now();
        if map.len() >= SWEEP_EVERY && map.len().is_power_of_two() {
            map.retain(|_, (_, exp)| *exp > now);
        }
        Ok(f(&mut map, now))
    }
}

fn live(entry: Option<&(String, Instant)>, now: Instant) -> Option<&String> {
    entry.filter(|(_, exp)| *exp > now).map(|(v, _)| v)
}

#[async_trait]
impl Ephemeral for MemoryStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        self.with(|m, now| {
            m.insert(key.to_owned(), (value.to_owned(), now + ttl));
        })
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.with(|m, now| {
            if live(m.get(key), now).is_some() {
                return false;
            }
            m.insert(key.to_owned(), (value.to_owned(), now + ttl));
            true
        })
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|m, now| live(m.get(key), now).cloned())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with(|m, now| m.remove(key).filter(|(_, exp)| *exp > now).map(|(v, _)| v))
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        self.with(|m, now| m.remove(key).is_some_and(|(_, exp)| exp > now))
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError> {
        self.with(|m, now| {
            let current = live(m.get(key), now).and_then(|v| v.parse::<i64>().ok());
            let (next, exp) = match (current, m.get(key)) {
                (Some(n), Some((_, exp))) => (n.saturating_add(1), *exp),
                _ => (1, now + ttl),
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

fn epoch_ms() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis())
        .unwrap_or(i64::MAX)
}

fn expiry(ttl: Duration) -> i64 {
    epoch_ms().saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

/// State in the `ephemeral` table of the service database (SQLite or PostgreSQL).
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
}

impl SqlStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Deletes expired rows; correctness never depends on it, it only bounds the table.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM ephemeral WHERE expires_at <= $1")
            .bind(epoch_ms())
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Sweeps every `period` in the background.
    pub fn spawn_sweeper(&self, period: Duration) {
        let store = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(period);
            loop {
                tick.tick().await;
                if let Err(e) = store.sweep().await {
                    tracing::warn!(error = %e, "ephemeral sweep failed");
                }
            }
        });
    }
}

#[async_trait]
impl Ephemeral for SqlStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ephemeral (k, v, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(value)
        .bind(expiry(ttl))
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        // One statement: insert, or replace a row that has expired; a live row is left alone.
        let done = sqlx::query(
            "INSERT INTO ephemeral (k, v, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at \
             WHERE ephemeral.expires_at <= $4",
        )
        .bind(key)
        .bind(value)
        .bind(expiry(ttl))
        .bind(epoch_ms())
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT v FROM ephemeral WHERE k = $1 AND expires_at > $2")
            .bind(key)
            .bind(epoch_ms())
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(|(v,)| v))
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String, i64)> = sqlx::query_as("DELETE FROM ephemeral WHERE k = $1 RETURNING v, expires_at")
            .bind(key)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.filter(|(_, exp)| *exp > epoch_ms()).map(|(v, _)| v))
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.take(key).await?.is_some())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError> {
        let (v,): (String,) = sqlx::query_as(
            "INSERT INTO ephemeral (k, v, expires_at) VALUES ($1, '1', $2) \
             ON CONFLICT (k) DO UPDATE SET \
               v = CASE WHEN ephemeral.expires_at <= $3 THEN '1' \
                        ELSE CAST(CAST(ephemeral.v AS BIGINT) + 1 AS TEXT) END, \
               expires_at = CASE WHEN ephemeral.expires_at <= $3 THEN excluded.expires_at \
                                 ELSE ephemeral.expires_at END \
             RETURNING v",
        )
        .bind(key)
        .bind(expiry(ttl))
        .bind(epoch_ms())
        .fetch_one(self.db.pool())
        .await?;
        v.parse().map_err(|_| StoreError::Unavailable(format!("counter {key} is not a number")))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await
    }

    fn backend(&self) -> &'static str {
        self.db.backend().name()
    }
}

/// State in Redis, shared by all replicas. Keys carry the configured prefix.
#[derive(Clone)]
pub struct RedisStore {
    conn: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisStore {
    /// Connects (with automatic reconnection) to `url`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let conn = tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager_with_config(config))
            .await
            .map_err(|_| StoreError::Unavailable("redis did not answer within 5 s".into()))??;
        Ok(Self { conn, prefix: prefix.to_owned() })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl Ephemeral for RedisStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        redis::cmd("SET").arg(self.key(key)).arg(value).arg("PX").arg(ttl_ms(ttl)).query_async::<()>(&mut c).await?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async(&mut c)
            .await?;
        Ok(set.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("GET").arg(self.key(key)).query_async(&mut c).await?)
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut c).await?)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let n: i64 = redis::cmd("DEL").arg(self.key(key)).query_async(&mut c).await?;
        Ok(n > 0)
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        let (n, _): (i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&k)
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(ttl_ms(ttl))
            .arg("NX")
            .query_async(&mut c)
            .await?;
        Ok(n)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut c).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
