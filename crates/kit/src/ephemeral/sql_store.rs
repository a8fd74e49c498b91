//! [`SqlStore`]: ephemeral state in the `ephemeral` table of the service database (SQLite or
//! PostgreSQL). Every operation is one statement, so it is atomic on both backends.

use std::time::Duration;

use async_trait::async_trait;

use super::Ephemeral;
use crate::db::Db;
use crate::error::StoreError;

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

    async fn compare_and_swap(&self, key: &str, expected: &str, new: &str, ttl: Duration) -> Result<bool, StoreError> {
        // One conditional UPDATE: the row lock serialises concurrent swaps, and a swap that
        // waited re-reads the row (PostgreSQL re-checks the WHERE on the new version), so of
        // swaps from the same value only the first matches.
        let done =
            sqlx::query("UPDATE ephemeral SET v = $1, expires_at = $2 WHERE k = $3 AND v = $4 AND expires_at > $5")
                .bind(new)
                .bind(expiry(ttl))
                .bind(key)
                .bind(expected)
                .bind(epoch_ms())
                .execute(self.db.pool())
                .await?;
        Ok(done.rows_affected() == 1)
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
