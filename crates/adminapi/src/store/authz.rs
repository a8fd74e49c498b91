//! [`AuthzStore`] in the `authz_assignments` table.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::authz::{Assignment, AuthzStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlAuthz {
    db: Db,
}

impl SqlAuthz {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    community_id: String,
    uid: String,
    role: String,
    created_by: String,
    created_at: i64,
}

#[async_trait]
impl AuthzStore for SqlAuthz {
    #[tracing::instrument(skip_all)]
    async fn assign(&self, a: &Assignment) -> Result<(), StoreError> {
        // One statement on both backends: the (community_id, uid) key keeps one role a user.
        sqlx::query(
            "INSERT INTO authz_assignments (id, tenant_id, community_id, uid, role, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (community_id, uid) DO UPDATE SET role = excluded.role, created_by = excluded.created_by, \
             created_at = excluded.created_at",
        )
        .bind(&a.id)
        .bind(&a.tenant_id)
        .bind(&a.community_id)
        .bind(&a.uid)
        .bind(&a.role)
        .bind(&a.created_by)
        .bind(a.created_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn assignment(&self, community_id: &str, uid: &str) -> Result<Option<Assignment>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, tenant_id, community_id, uid, role, created_by, created_at FROM authz_assignments \
             WHERE community_id = $1 AND uid = $2",
        )
        .bind(community_id)
        .bind(uid)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(Assignment::from))
    }

    async fn list(&self, community_id: &str) -> Result<Vec<Assignment>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, tenant_id, community_id, uid, role, created_by, created_at FROM authz_assignments \
             WHERE community_id = $1 ORDER BY created_at, id",
        )
        .bind(community_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(Assignment::from).collect())
    }
}

impl From<Row> for Assignment {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            uid: r.uid,
            role: r.role,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}
