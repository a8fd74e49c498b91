//! [`ProxyConfigStore`] in one table per kind (`radius_configs`, `authproxy_configs`: settings
//! as JSON, the shared secret sealed), each write recorded in `config_changes` in the same
//! transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;
// The table name comes from `Kind`, never from a request.
use sqlx::AssertSqlSafe;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::radius::{Kind, ProxyConfigStore, StoredConfig};

/// The SQL implementation, over the table of one kind.
#[derive(Debug, Clone)]
pub struct SqlProxyConfigs {
    db: Db,
    table: &'static str,
}

impl SqlProxyConfigs {
    /// The configurations of `kind` in a migrated database.
    pub fn new(db: Db, kind: Kind) -> Self {
        let table = match kind {
            Kind::Radius => "radius_configs",
            Kind::AuthProxy => "authproxy_configs",
        };
        Self { db, table }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    settings: String,
    sealed_secret: String,
}

impl Row {
    fn read(self, table: &str) -> Result<StoredConfig, StoreError> {
        let config =
            serde_json::from_str(&self.settings).map_err(|e| StoreError::Corrupt(format!("{table}.settings: {e}")))?;
        Ok(StoredConfig { config, sealed_secret: self.sealed_secret })
    }
}

fn settings(c: &StoredConfig) -> Result<String, StoreError> {
    serde_json::to_string(&c.config).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl ProxyConfigStore for SqlProxyConfigs {
    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn insert(&self, c: &StoredConfig, change: &Change) -> Result<(), StoreError> {
        let settings = settings(c)?;
        let mut tx = self.db.pool().begin().await?;
        let sql = format!(
            "INSERT INTO {} (community_id, id, tenant_id, settings, sealed_secret, created_ts) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            self.table
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(&c.config.community_id)
            .bind(&c.config.id)
            .bind(&c.config.tenant_id)
            .bind(settings)
            .bind(&c.sealed_secret)
            .bind(c.config.created_ts)
            .execute(&mut *tx)
            .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn update(&self, c: &StoredConfig, change: &Change) -> Result<bool, StoreError> {
        let sql =
            format!("UPDATE {} SET settings = $1, sealed_secret = $2 WHERE community_id = $3 AND id = $4", self.table);
        let statement = sqlx::query(AssertSqlSafe(sql))
            .bind(settings(c)?)
            .bind(c.sealed_secret.clone())
            .bind(c.config.community_id.clone())
            .bind(c.config.id.clone());
        execute_recorded(&self.db, statement, change).await
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn list(&self, community_id: &str) -> Result<Vec<StoredConfig>, StoreError> {
        let sql = format!(
            "SELECT settings, sealed_secret FROM {} WHERE community_id = $1 ORDER BY created_ts, id",
            self.table
        );
        let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql)).bind(community_id).fetch_all(self.db.pool()).await?;
        rows.into_iter().map(|r| r.read(self.table)).collect()
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<StoredConfig>, StoreError> {
        let sql = format!("SELECT settings, sealed_secret FROM {} WHERE community_id = $1 AND id = $2", self.table);
        let row: Option<Row> =
            sqlx::query_as(AssertSqlSafe(sql)).bind(community_id).bind(id).fetch_optional(self.db.pool()).await?;
        row.map(|r| r.read(self.table)).transpose()
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError> {
        let sql = format!("DELETE FROM {} WHERE community_id = $1 AND id = $2", self.table);
        let statement = sqlx::query(AssertSqlSafe(sql)).bind(community_id.to_owned()).bind(id.to_owned());
        execute_recorded(&self.db, statement, change).await
    }
}
