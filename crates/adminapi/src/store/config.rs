//! [`ConfigStore`] in the `community_settings` table, each write recorded in `config_changes` in
//! the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;
use serde_json::Value;

use super::audit::insert_change;
use crate::domain::audit::Change;
use crate::domain::config::{ConfigStore, Stored};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlConfigs {
    db: Db,
}

impl SqlConfigs {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    value: String,
    updated_by: String,
    updated_at: i64,
}

#[async_trait]
impl ConfigStore for SqlConfigs {
    async fn get(&self, community_id: &str, kind: &str) -> Result<Option<Stored>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT value, updated_by, updated_at FROM community_settings WHERE community_id = $1 AND kind = $2",
        )
        .bind(community_id)
        .bind(kind)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let value = serde_json::from_str(&r.value)
                .map_err(|e| StoreError::Corrupt(format!("community_settings.value: {e}")))?;
            Ok(Stored { value, updated_by: r.updated_by, updated_at: r.updated_at })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn put(&self, value: &Value, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO community_settings (community_id, kind, tenant_id, value, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (community_id, kind) DO UPDATE SET \
             value = excluded.value, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&change.community_id)
        .bind(&change.kind)
        .bind(&change.tenant_id)
        .bind(value.to_string())
        .bind(&change.actor)
        .bind(change.at)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }
}
