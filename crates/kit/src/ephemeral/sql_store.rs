//! [`SqlStore`]: ephemeral state in the `ephemeral` table of the service database (SQLite or
//! PostgreSQL). Every operation is one statement, so it is atomic on both backends.
//!
//! On SQLite the store keeps one connection of its own instead of taking one from the pool for
//! each statement: sqlx pings a pooled connection whenever it is given back (one more round trip
//! to the connection's thread per statement), and a statement on another connection than the
//! last one finds its page cache dropped by the writes in between. A single autocommit
//! statement leaves nothing behind when its future is dropped, so the connection stays usable;
//! it is replaced after a failure of the connection itself. PostgreSQL keeps the pool: one
//! connection would serialise the network round trips.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use sqlx::AnyConnection;
use sqlx::pool::PoolConnection;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

use super::Ephemeral;
use crate::clock::{SystemClock, WallClock, after};
use crate::db::{Backend, Db};
use crate::error::StoreError;

/// State in the `ephemeral` table of the service database (SQLite or PostgreSQL).
#[derive(Clone)]
pub struct SqlStore {
    db: Db,
    /// SQLite: the store's own connection, shared by its clones.
    own: Option<Arc<Own>>,
    /// The time expiries are reckoned by.
    clock: Arc<dyn WallClock>,
}

/// The store's own connection, taken from the pool when first needed.
#[derive(Default)]
struct Own {
    conn: Mutex<Option<AnyConnection>>,
    /// Set when the connection failed: the next statement takes a fresh one.
    broken: AtomicBool,
}

/// The connection of one statement: the store's own (locked), or one from the pool.
enum Conn<'a> {
    Own(MappedMutexGuard<'a, AnyConnection>, &'a AtomicBool),
    Pooled(PoolConnection<sqlx::Any>),
}

impl Deref for Conn<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Own(c, _) => c,
            Conn::Pooled(c) => c,
        }
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Own(c, _) => c,
            Conn::Pooled(c) => c,
        }
    }
}

impl Conn<'_> {
    /// Passes `result` on, marking the store's own connection broken when the connection (not
    /// the statement) failed.
    fn checked<T>(&self, result: Result<T, sqlx::Error>) -> Result<T, StoreError> {
        if let (Conn::Own(_, broken), Err(e)) = (self, &result)
            && !matches!(
                e,
                sqlx::Error::Database(_)
                    | sqlx::Error::RowNotFound
                    | sqlx::Error::ColumnDecode { .. }
                    | sqlx::Error::Decode(_)
                    | sqlx::Error::ColumnNotFound(_)
                    | sqlx::Error::ColumnIndexOutOfBounds { .. }
            )
        {
            broken.store(true, Ordering::Release);
        }
        Ok(result?)
    }
}

impl SqlStore {
    /// A store over a migrated database.
    pub fn new(db: Db) -> Self {
        let own = (db.backend() == Backend::Sqlite).then(Arc::default);
        Self { db, own, clock: Arc::new(SystemClock) }
    }

    /// The store reckoning expiries by `clock` instead of the system's (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// The connection for the next statement.
    async fn conn(&self) -> Result<Conn<'_>, StoreError> {
        let Some(own) = &self.own else { return Ok(Conn::Pooled(self.db.pool().acquire().await?)) };
        let mut guard = own.conn.lock().await;
        if own.broken.swap(false, Ordering::AcqRel) {
            *guard = None;
        }
        if guard.is_none() {
            *guard = Some(self.db.pool().acquire().await?.detach());
        }
        let conn = MutexGuard::try_map(guard, Option::as_mut)
            .map_err(|_| StoreError::Unavailable("no SQLite connection".into()))?;
        Ok(Conn::Own(conn, &own.broken))
    }

    /// Deletes expired rows; correctness never depends on it, it only bounds the table.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM ephemeral WHERE expires_at <= $1")
            .bind(self.clock.epoch_ms())
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
        let mut c = self.conn().await?;
        let done = sqlx::query(
            "INSERT INTO ephemeral (k, v, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(value)
        .bind(after(self.clock.epoch_ms(), ttl))
        .execute(&mut *c)
        .await;
        c.checked(done)?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        // One statement: insert, or replace a row that has expired; a live row is left alone.
        let mut c = self.conn().await?;
        let done = sqlx::query(
            "INSERT INTO ephemeral (k, v, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (k) DO UPDATE SET v = excluded.v, expires_at = excluded.expires_at \
             WHERE ephemeral.expires_at <= $4",
        )
        .bind(key)
        .bind(value)
        .bind(after(self.clock.epoch_ms(), ttl))
        .bind(self.clock.epoch_ms())
        .execute(&mut *c)
        .await;
        Ok(c.checked(done)?.rows_affected() == 1)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.conn().await?;
        let row: Result<Option<(String,)>, _> =
            sqlx::query_as("SELECT v FROM ephemeral WHERE k = $1 AND expires_at > $2")
                .bind(key)
                .bind(self.clock.epoch_ms())
                .fetch_optional(&mut *c)
                .await;
        Ok(c.checked(row)?.map(|(v,)| v))
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.conn().await?;
        let row: Result<Option<(String, i64)>, _> =
            sqlx::query_as("DELETE FROM ephemeral WHERE k = $1 RETURNING v, expires_at")
                .bind(key)
                .fetch_optional(&mut *c)
                .await;
        Ok(c.checked(row)?.filter(|(_, exp)| *exp > self.clock.epoch_ms()).map(|(v, _)| v))
    }

    async fn compare_and_swap(&self, key: &str, expected: &str, new: &str, ttl: Duration) -> Result<bool, StoreError> {
        // One conditional UPDATE: the row lock serialises concurrent swaps, and a swap that
        // waited re-reads the row (PostgreSQL re-checks the WHERE on the new version), so of
        // swaps from the same value only the first matches.
        let mut c = self.conn().await?;
        let done =
            sqlx::query("UPDATE ephemeral SET v = $1, expires_at = $2 WHERE k = $3 AND v = $4 AND expires_at > $5")
                .bind(new)
                .bind(after(self.clock.epoch_ms(), ttl))
                .bind(key)
                .bind(expected)
                .bind(self.clock.epoch_ms())
                .execute(&mut *c)
                .await;
        Ok(c.checked(done)?.rows_affected() == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.take(key).await?.is_some())
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError> {
        let mut c = self.conn().await?;
        let row: Result<(String,), _> = sqlx::query_as(
            "INSERT INTO ephemeral (k, v, expires_at) VALUES ($1, '1', $2) \
             ON CONFLICT (k) DO UPDATE SET \
               v = CASE WHEN ephemeral.expires_at <= $3 THEN '1' \
                        ELSE CAST(CAST(ephemeral.v AS BIGINT) + 1 AS TEXT) END, \
               expires_at = CASE WHEN ephemeral.expires_at <= $3 THEN excluded.expires_at \
                                 ELSE ephemeral.expires_at END \
             RETURNING v",
        )
        .bind(key)
        .bind(after(self.clock.epoch_ms(), ttl))
        .bind(self.clock.epoch_ms())
        .fetch_one(&mut *c)
        .await;
        let (v,) = c.checked(row)?;
        v.parse().map_err(|_| StoreError::Unavailable(format!("counter {key} is not a number")))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await
    }

    fn backend(&self) -> &'static str {
        self.db.backend().name()
    }
}
