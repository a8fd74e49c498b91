//! [`AuthSchemeStore`] in the `auth_schemes` table.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::auth_scheme::{AuthScheme, AuthSchemeStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlAuthSchemes {
    db: Db,
}

impl SqlAuthSchemes {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    community_id: String,
    tenant_id: String,
    default_modules: String,
    updated_by: String,
    updated_at: i64,
}

#[async_trait]
impl AuthSchemeStore for SqlAuthSchemes {
    async fn get(&self, community_id: &str) -> Result<Option<AuthScheme>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT community_id, tenant_id, default_modules, updated_by, updated_at FROM auth_schemes WHERE community_id = $1",
        )
        .bind(community_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| {
            let default_modules = serde_json::from_str(&r.default_modules)
                .map_err(|e| StoreError::Corrupt(format!("auth_schemes.default_modules: {e}")))?;
            Ok(AuthScheme {
                community_id: r.community_id,
                tenant_id: r.tenant_id,
                default_modules,
                updated_by: r.updated_by,
                updated_at: r.updated_at,
            })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn put(&self, s: &AuthScheme) -> Result<(), StoreError> {
        let modules = serde_json::to_string(&s.default_modules).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO auth_schemes (community_id, tenant_id, default_modules, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id) DO UPDATE SET \
             default_modules = excluded.default_modules, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&s.community_id)
        .bind(&s.tenant_id)
        .bind(modules)
        .bind(&s.updated_by)
        .bind(s.updated_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }
}
