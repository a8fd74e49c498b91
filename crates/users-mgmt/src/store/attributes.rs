//! [`AttributeStore`] in the `user_attributes` table.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::attributes::{Attribute, AttributeStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlAttributes {
    db: Db,
}

impl SqlAttributes {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "id, tenant_id, community_id, module_id, name, attribute";

#[derive(sqlx::FromRow)]
struct AttributeRow {
    id: String,
    tenant_id: String,
    community_id: String,
    module_id: String,
    name: String,
    attribute: String,
}

impl From<AttributeRow> for Attribute {
    fn from(r: AttributeRow) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            module_id: r.module_id,
            name: r.name,
            attribute: r.attribute,
        }
    }
}

#[async_trait]
impl AttributeStore for SqlAttributes {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, a: &Attribute) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO user_attributes ({COLUMNS}, name_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
        )))
        .bind(&a.id)
        .bind(&a.tenant_id)
        .bind(&a.community_id)
        .bind(&a.module_id)
        .bind(&a.name)
        .bind(&a.attribute)
        .bind(a.name.to_lowercase())
        .bind(envelope::wire::now_epoch())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn get(&self, community_id: &str, id: &str) -> Result<Option<Attribute>, StoreError> {
        let row: Option<AttributeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM user_attributes WHERE community_id = $1 AND id = $2"
        )))
        .bind(community_id)
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(Attribute::from))
    }

    async fn list(&self, community_id: &str, module_id: &str) -> Result<Vec<Attribute>, StoreError> {
        let rows: Vec<AttributeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM user_attributes WHERE community_id = $1 AND module_id = $2 ORDER BY name_key"
        )))
        .bind(community_id)
        .bind(module_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(Attribute::from).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, a: &Attribute) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE user_attributes SET name = $1, name_key = $2, attribute = $3, updated_at = $4 \
             WHERE community_id = $5 AND id = $6",
        )
        .bind(&a.name)
        .bind(a.name.to_lowercase())
        .bind(&a.attribute)
        .bind(envelope::wire::now_epoch())
        .bind(&a.community_id)
        .bind(&a.id)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, id: &str) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM user_attributes WHERE community_id = $1 AND id = $2")
            .bind(community_id)
            .bind(id)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
