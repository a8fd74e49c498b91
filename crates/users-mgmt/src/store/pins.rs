//! [`PinStore`] in the `user_pins` table (one row per user, the SHA-512 digest only).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::pins::PinStore;

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlPins {
    db: Db,
}

impl SqlPins {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl PinStore for SqlPins {
    async fn get(&self, uid: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT pin_hash FROM user_pins WHERE uid = $1")
            .bind(uid)
            .fetch_optional(self.db.pool())
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn set(&self, uid: &str, digest: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO user_pins (uid, pin_hash, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (uid) DO UPDATE SET pin_hash = excluded.pin_hash, updated_at = excluded.updated_at",
        )
        .bind(uid)
        .bind(digest)
        .bind(envelope::wire::now_epoch())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, uid: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM user_pins WHERE uid = $1").bind(uid).execute(self.db.pool()).await?;
        Ok(done.rows_affected() > 0)
    }
}
