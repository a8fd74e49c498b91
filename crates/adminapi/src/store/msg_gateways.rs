//! [`GatewayStore`] in the `msg_gateways` table (settings as JSON, credentials sealed), each
//! write recorded in `config_changes` in the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::msg_gateway::{GatewayStore, StoredGateway};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlGateways {
    db: Db,
}

impl SqlGateways {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    settings: String,
    sealed: String,
}

impl Row {
    fn read(self) -> Result<StoredGateway, StoreError> {
        let gateway = serde_json::from_str(&self.settings)
            .map_err(|e| StoreError::Corrupt(format!("msg_gateways.settings: {e}")))?;
        let sealed =
            serde_json::from_str(&self.sealed).map_err(|e| StoreError::Corrupt(format!("msg_gateways.sealed: {e}")))?;
        Ok(StoredGateway { gateway, sealed })
    }
}

fn json(g: &StoredGateway) -> Result<(String, String), StoreError> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(e.to_string());
    Ok((serde_json::to_string(&g.gateway).map_err(corrupt)?, serde_json::to_string(&g.sealed).map_err(corrupt)?))
}

#[async_trait]
impl GatewayStore for SqlGateways {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, g: &StoredGateway, change: &Change) -> Result<(), StoreError> {
        let (settings, sealed) = json(g)?;
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO msg_gateways (id, tenant_id, community_id, settings, sealed, created_ts) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&g.gateway.id)
        .bind(&g.gateway.tenant_id)
        .bind(&g.gateway.community_id)
        .bind(settings)
        .bind(sealed)
        .bind(g.gateway.created_ts)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, g: &StoredGateway, change: &Change) -> Result<bool, StoreError> {
        let (settings, sealed) = json(g)?;
        let statement =
            sqlx::query("UPDATE msg_gateways SET settings = $1, sealed = $2 WHERE id = $3 AND community_id = $4")
                .bind(settings)
                .bind(sealed)
                .bind(g.gateway.id.clone())
                .bind(g.gateway.community_id.clone());
        execute_recorded(&self.db, statement, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn list(&self, community_id: &str) -> Result<Vec<StoredGateway>, StoreError> {
        let rows: Vec<Row> =
            sqlx::query_as("SELECT settings, sealed FROM msg_gateways WHERE community_id = $1 ORDER BY created_ts, id")
                .bind(community_id)
                .fetch_all(self.db.pool())
                .await?;
        rows.into_iter().map(Row::read).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<StoredGateway>, StoreError> {
        let row: Option<Row> =
            sqlx::query_as("SELECT settings, sealed FROM msg_gateways WHERE community_id = $1 AND id = $2")
                .bind(community_id)
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?;
        row.map(Row::read).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query("DELETE FROM msg_gateways WHERE community_id = $1 AND id = $2")
            .bind(community_id.to_owned())
            .bind(id.to_owned());
        execute_recorded(&self.db, statement, change).await
    }
}
