//! [`SecretStore`] in the `secrets` table (sealed values), each write recorded in
//! `config_changes` in the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::secrets::{SecretInfo, SecretStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlSecrets {
    db: Db,
}

impl SqlSecrets {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    tag: String,
    created_by: String,
    created_ts: i64,
    tenant_id: String,
    community_id: String,
}

#[async_trait]
impl SecretStore for SqlSecrets {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, info: &SecretInfo, sealed: &str, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO secrets (community_id, tag, tenant_id, sealed, created_by, created_ts) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&info.community_id)
        .bind(&info.tag)
        .bind(&info.tenant_id)
        .bind(sealed)
        .bind(&info.created_by)
        .bind(info.created_ts)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list(&self, community_id: &str) -> Result<Vec<SecretInfo>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT tag, created_by, created_ts, tenant_id, community_id FROM secrets \
             WHERE community_id = $1 ORDER BY tag",
        )
        .bind(community_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SecretInfo {
                tag: r.tag,
                created_by: r.created_by,
                created_ts: r.created_ts,
                tenant_id: r.tenant_id,
                community_id: r.community_id,
            })
            .collect())
    }

    #[tracing::instrument(skip_all)]
    async fn sealed(&self, community_id: &str, tag: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("SELECT sealed FROM secrets WHERE community_id = $1 AND tag = $2")
            .bind(community_id)
            .bind(tag)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(|(s,)| s))
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, tag: &str, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query("DELETE FROM secrets WHERE community_id = $1 AND tag = $2")
            .bind(community_id.to_owned())
            .bind(tag.to_owned());
        execute_recorded(&self.db, statement, change).await
    }
}
