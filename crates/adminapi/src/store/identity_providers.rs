//! [`ProviderStore`] in one table per kind (`identity_providers`, `external_idps`: the provider
//! as JSON, the client secret sealed, `UNIQUE (community_id, idp_type)`), each write recorded in
//! `config_changes` in the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;
// The table name comes from `Kind`, never from a request.
use sqlx::AssertSqlSafe;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::identity_providers::{Kind, ProviderStore, StoredProvider};

/// The SQL implementation, over the table of one kind.
#[derive(Debug, Clone)]
pub struct SqlProviders {
    db: Db,
    table: &'static str,
}

impl SqlProviders {
    /// The providers of `kind` in a migrated database.
    pub fn new(db: Db, kind: Kind) -> Self {
        let table = match kind {
            Kind::Idp => "identity_providers",
            Kind::External => "external_idps",
        };
        Self { db, table }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    document: String,
    sealed_secret: String,
}

impl Row {
    fn read(self, table: &str) -> Result<StoredProvider, StoreError> {
        let provider =
            serde_json::from_str(&self.document).map_err(|e| StoreError::Corrupt(format!("{table}.document: {e}")))?;
        Ok(StoredProvider { provider, sealed_secret: self.sealed_secret })
    }
}

fn document(p: &StoredProvider) -> Result<String, StoreError> {
    serde_json::to_string(&p.provider).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl ProviderStore for SqlProviders {
    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn insert(&self, p: &StoredProvider, change: &Change) -> Result<(), StoreError> {
        let document = document(p)?;
        let mut tx = self.db.pool().begin().await?;
        let sql = format!(
            "INSERT INTO {} (id, community_id, tenant_id, idp_type, document, sealed_secret, created_ts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            self.table
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(&p.provider.id)
            .bind(&p.provider.community_id)
            .bind(&p.provider.tenant_id)
            .bind(&p.provider.kind)
            .bind(document)
            .bind(&p.sealed_secret)
            .bind(p.provider.created_ts)
            .execute(&mut *tx)
            .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn update(&self, p: &StoredProvider, change: &Change) -> Result<bool, StoreError> {
        let sql = format!(
            "UPDATE {} SET idp_type = $1, document = $2, sealed_secret = $3 WHERE community_id = $4 AND id = $5",
            self.table
        );
        let statement = sqlx::query(AssertSqlSafe(sql))
            .bind(p.provider.kind.clone())
            .bind(document(p)?)
            .bind(p.sealed_secret.clone())
            .bind(p.provider.community_id.clone())
            .bind(p.provider.id.clone());
        execute_recorded(&self.db, statement, change).await
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn list(&self, community_id: &str) -> Result<Vec<StoredProvider>, StoreError> {
        let sql = format!(
            "SELECT document, sealed_secret FROM {} WHERE community_id = $1 ORDER BY created_ts, id",
            self.table
        );
        let rows: Vec<Row> = sqlx::query_as(AssertSqlSafe(sql)).bind(community_id).fetch_all(self.db.pool()).await?;
        rows.into_iter().map(|r| r.read(self.table)).collect()
    }

    #[tracing::instrument(skip_all, fields(table = self.table))]
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<StoredProvider>, StoreError> {
        let sql = format!("SELECT document, sealed_secret FROM {} WHERE community_id = $1 AND id = $2", self.table);
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
