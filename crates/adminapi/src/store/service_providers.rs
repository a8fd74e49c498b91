//! [`ServiceProviderStore`] in the `service_providers` table (the configuration as JSON, the
//! OIDC client id, the SAML entity id and the IdP-initiated flag as columns for lookups).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::audit::Change;
use crate::domain::service_providers::{ServiceProvider, ServiceProviderStore, SpType};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlServiceProviders {
    db: Db,
}

impl SqlServiceProviders {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str =
    "id, tenant_id, community_id, client_secret_mac, document, version, created_by, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    community_id: String,
    client_secret_mac: Option<String>,
    document: String,
    version: i64,
    created_by: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for ServiceProvider {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let document = serde_json::from_str(&r.document)
            .map_err(|e| StoreError::Corrupt(format!("service_providers.document: {e}")))?;
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            document,
            client_secret_mac: r.client_secret_mac,
            version: r.version,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn document(sp: &ServiceProvider) -> Result<String, StoreError> {
    serde_json::to_string(&sp.document).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl ServiceProviderStore for SqlServiceProviders {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, sp: &ServiceProvider, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO service_providers (id, tenant_id, community_id, sp_type, name, client_id, client_secret_mac, \
             entity_id, idp_initiated, document, version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(&sp.id)
        .bind(&sp.tenant_id)
        .bind(&sp.community_id)
        .bind(sp.document.sp_type.as_str())
        .bind(&sp.document.name)
        .bind(sp.client_id())
        .bind(&sp.client_secret_mac)
        .bind(sp.entity_id())
        .bind(i64::from(sp.idp_initiated()))
        .bind(document(sp)?)
        .bind(sp.version)
        .bind(&sp.created_by)
        .bind(sp.created_at)
        .bind(sp.updated_at)
        .execute(&mut *tx)
        .await?;
        super::audit::insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<ServiceProvider>, StoreError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM service_providers WHERE community_id = $1 AND id = $2"
        )))
        .bind(community_id)
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(ServiceProvider::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn list(
        &self,
        community_id: &str,
        sp_type: Option<SpType>,
        limit: u32,
    ) -> Result<Vec<ServiceProvider>, StoreError> {
        let rows: Vec<Row> =
            match sp_type {
                Some(t) => {
                    sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {COLUMNS} FROM service_providers WHERE community_id = $1 AND sp_type = $2 \
                     ORDER BY created_at, id LIMIT $3"
                    )))
                    .bind(community_id)
                    .bind(t.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(self.db.pool())
                    .await?
                }
                None => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM service_providers WHERE community_id = $1 ORDER BY created_at, id LIMIT $2"
                )))
                .bind(community_id)
                .bind(i64::from(limit))
                .fetch_all(self.db.pool())
                .await?,
            };
        rows.into_iter().map(ServiceProvider::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn idp_initiated(&self, community_id: &str) -> Result<Vec<ServiceProvider>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM service_providers WHERE community_id = $1 AND sp_type = 'saml' \
             AND idp_initiated = 1 ORDER BY created_at, id"
        )))
        .bind(community_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(ServiceProvider::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn by_client_id(&self, client_id: &str) -> Result<Option<ServiceProvider>, StoreError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM service_providers WHERE client_id = $1"
        )))
        .bind(client_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(ServiceProvider::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn by_entity_id(
        &self,
        entity_id: &str,
        sp_type: SpType,
        limit: u32,
    ) -> Result<Vec<ServiceProvider>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM service_providers WHERE entity_id = $1 AND sp_type = $2 \
             ORDER BY created_at, id LIMIT $3"
        )))
        .bind(entity_id)
        .bind(sp_type.as_str())
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(ServiceProvider::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, sp: &ServiceProvider, expected_version: i64, change: &Change) -> Result<bool, StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE service_providers SET name = $1, entity_id = $2, idp_initiated = $3, document = $4, version = $5, \
             updated_at = $6 WHERE community_id = $7 AND id = $8 AND version = $9",
        )
        .bind(&sp.document.name)
        .bind(sp.entity_id())
        .bind(i64::from(sp.idp_initiated()))
        .bind(document(sp)?)
        .bind(sp.version)
        .bind(sp.updated_at)
        .bind(&sp.community_id)
        .bind(&sp.id)
        .bind(expected_version)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            super::audit::insert_change(&mut tx, change).await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query("DELETE FROM service_providers WHERE community_id = $1 AND id = $2")
            .bind(community_id)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if done {
            super::audit::insert_change(&mut tx, change).await?;
        }
        tx.commit().await?;
        Ok(done)
    }
}
