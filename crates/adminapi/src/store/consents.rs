//! [`ConsentStore`] in the `consent_versions` table (the document as its hashed JSON).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::audit::Change;
use crate::domain::consents::{ConsentStore, ConsentVersion};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlConsents {
    db: Db,
}

impl SqlConsents {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    tenant_id: String,
    community_id: String,
    ipfs_hash: String,
    document: String,
    updated_by: String,
    updated_at: i64,
}

impl TryFrom<Row> for ConsentVersion {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let document = serde_json::from_str(&r.document)
            .map_err(|e| StoreError::Corrupt(format!("consent_versions.document: {e}")))?;
        Ok(Self {
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            ipfs_hash: r.ipfs_hash,
            document,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        })
    }
}

#[async_trait]
impl ConsentStore for SqlConsents {
    #[tracing::instrument(skip_all)]
    async fn put(&self, v: &ConsentVersion, change: &Change) -> Result<(), StoreError> {
        let document = serde_json::to_string(&v.document).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO consent_versions (tenant_id, community_id, consent_type, ipfs_hash, document, updated_by, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&v.tenant_id)
        .bind(&v.community_id)
        .bind(&v.document.consent_type)
        .bind(&v.ipfs_hash)
        .bind(document)
        .bind(&v.updated_by)
        .bind(v.updated_at)
        .execute(&mut *tx)
        .await?;
        super::audit::insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn history(
        &self,
        community_id: &str,
        consent_type: &str,
        limit: u32,
    ) -> Result<Vec<ConsentVersion>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT tenant_id, community_id, ipfs_hash, document, updated_by, updated_at FROM consent_versions \
             WHERE community_id = $1 AND consent_type = $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(community_id)
        .bind(consent_type)
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(ConsentVersion::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn by_hash(&self, community_id: &str, ipfs_hash: &str) -> Result<Option<ConsentVersion>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT tenant_id, community_id, ipfs_hash, document, updated_by, updated_at FROM consent_versions \
             WHERE community_id = $1 AND ipfs_hash = $2 ORDER BY id DESC LIMIT 1",
        )
        .bind(community_id)
        .bind(ipfs_hash)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(ConsentVersion::try_from).transpose()
    }
}
