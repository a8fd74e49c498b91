//! [`SamlKeyStore`] in the `saml_idp_keys` table: one credential per community (its primary
//! key), so two instances making the first one at once cannot both keep theirs.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::saml::keys::{CredentialRecord, SamlKeyStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlSamlKeys {
    db: Db,
}

impl SqlSamlKeys {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    community_id: String,
    tenant_id: String,
    private_sealed: String,
    certificate_pem: String,
    created_at: i64,
}

#[async_trait]
impl SamlKeyStore for SqlSamlKeys {
    #[tracing::instrument(skip_all)]
    async fn get(&self, community_id: &str) -> Result<Option<CredentialRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT community_id, tenant_id, private_sealed, certificate_pem, created_at \
             FROM saml_idp_keys WHERE community_id = $1",
        )
        .bind(community_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(|r| CredentialRecord {
            community_id: r.community_id,
            tenant_id: r.tenant_id,
            private_sealed: r.private_sealed,
            certificate_pem: r.certificate_pem,
            created_at: r.created_at,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn insert(&self, record: &CredentialRecord) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO saml_idp_keys (community_id, tenant_id, private_sealed, certificate_pem, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&record.community_id)
        .bind(&record.tenant_id)
        .bind(&record.private_sealed)
        .bind(&record.certificate_pem)
        .bind(record.created_at)
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) => match StoreError::from(e) {
                StoreError::Conflict(_) => Ok(false),
                other => Err(other),
            },
        }
    }
}
