//! [`TenancyStore`] in the `tenants` and `communities` tables.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::tenancy::{Community, TenancyStore, Tenant};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlTenancy {
    db: Db,
}

impl SqlTenancy {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    dns: String,
    tag: String,
    name: String,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Self { id: r.id, dns: r.dns, tag: r.tag, name: r.name }
    }
}

#[derive(sqlx::FromRow)]
struct CommunityRow {
    id: String,
    name: String,
    tenant_id: String,
}

impl From<CommunityRow> for Community {
    fn from(r: CommunityRow) -> Self {
        Self { id: r.id, name: r.name, tenant_id: r.tenant_id }
    }
}

#[async_trait]
impl TenancyStore for SqlTenancy {
    #[tracing::instrument(skip_all)]
    async fn insert_tenant(&self, t: &Tenant) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tenants (id, dns, tag, name, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&t.id)
            .bind(&t.dns)
            .bind(&t.tag)
            .bind(&t.name)
            .bind(envelope::wire::now_epoch())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as("SELECT id, dns, tag, name FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(Tenant::from))
    }

    async fn tenant_by_dns(&self, dns: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as("SELECT id, dns, tag, name FROM tenants WHERE dns = $1")
            .bind(dns)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(Tenant::from))
    }

    async fn tenants_by_tag(&self, tag: &str) -> Result<Vec<Tenant>, StoreError> {
        let rows: Vec<TenantRow> = sqlx::query_as("SELECT id, dns, tag, name FROM tenants WHERE tag = $1 ORDER BY id")
            .bind(tag)
            .fetch_all(self.db.pool())
            .await?;
        Ok(rows.into_iter().map(Tenant::from).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn insert_community(&self, c: &Community) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO communities (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&c.id)
            .bind(&c.tenant_id)
            .bind(&c.name)
            .bind(envelope::wire::now_epoch())
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    async fn community(&self, id: &str) -> Result<Option<Community>, StoreError> {
        let row: Option<CommunityRow> = sqlx::query_as("SELECT id, name, tenant_id FROM communities WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(Community::from))
    }

    async fn community_by_name(&self, tenant_id: &str, name: &str) -> Result<Option<Community>, StoreError> {
        let row: Option<CommunityRow> =
            sqlx::query_as("SELECT id, name, tenant_id FROM communities WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(name)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map(Community::from))
    }
}
