//! [`TenancyStore`] over the kit's sqlx `Any` pool: portable SQL for SQLite and PostgreSQL.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;
use kit::license::{KeyType, Level, LicenseRecord, secret_hash};

use super::{Community, TenancyStore, Tenant};

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

type TenantRow = (String, String, String, String);
type CommunityRow = (String, String, String);
type LicenseRow = (String, String, String, String, String, i64, i64, Option<String>);

const LICENSE_COLUMNS: &str = "key_id, key_secret, key_type, auth_level, tag, expiry, disabled, communities";

fn tenant((id, dns, tag, name): TenantRow) -> Tenant {
    Tenant { id, dns, tag, name }
}

fn community((id, name, tenant_id): CommunityRow) -> Community {
    Community { id, name, tenant_id }
}

fn license(row: LicenseRow) -> Result<LicenseRecord, StoreError> {
    let (key_id, key_secret, key_type, auth_level, tag, expiry, disabled, communities) = row;
    let bad = |what: &str| StoreError::Unavailable(format!("license {key_id:.12}…: stored {what} is unreadable"));
    Ok(LicenseRecord {
        key_type: KeyType::from_name(&key_type).ok_or_else(|| bad("type"))?,
        auth_level: Level::from_name(&auth_level).ok_or_else(|| bad("authLevel"))?,
        communities: communities.map(|c| serde_json::from_str(&c)).transpose().map_err(|_| bad("communities"))?,
        key_id,
        key_secret,
        tag,
        expiry,
        disabled: disabled != 0,
        is_authorized: None,
    })
}

fn communities_json(l: &LicenseRecord) -> Result<Option<String>, StoreError> {
    l.communities.as_ref().map(serde_json::to_string).transpose().map_err(|e| StoreError::Unavailable(e.to_string()))
}

async fn insert_license_on<'e, E>(executor: E, l: &LicenseRecord) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    sqlx::query(
        "INSERT INTO licenses (key_id, secret_hash, key_secret, key_type, auth_level, tag, expiry, disabled, \
         communities, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&l.key_id)
    .bind(secret_hash(&l.key_secret))
    .bind(&l.key_secret)
    .bind(l.key_type.name())
    .bind(l.auth_level.name())
    .bind(&l.tag)
    .bind(l.expiry)
    .bind(i64::from(l.disabled))
    .bind(communities_json(l)?)
    .bind(envelope::wire::now_epoch())
    .execute(executor)
    .await?;
    Ok(())
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
        Ok(row.map(tenant))
    }

    async fn tenant_by_dns(&self, dns: &str) -> Result<Option<Tenant>, StoreError> {
        let row: Option<TenantRow> = sqlx::query_as("SELECT id, dns, tag, name FROM tenants WHERE dns = $1")
            .bind(dns)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(tenant))
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
        Ok(row.map(community))
    }

    async fn community_by_name(&self, tenant_id: &str, name: &str) -> Result<Option<Community>, StoreError> {
        let row: Option<CommunityRow> =
            sqlx::query_as("SELECT id, name, tenant_id FROM communities WHERE tenant_id = $1 AND name = $2")
                .bind(tenant_id)
                .bind(name)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map(community))
    }

    #[tracing::instrument(skip_all, fields(level = %l.auth_level))]
    async fn insert_license(&self, l: &LicenseRecord) -> Result<(), StoreError> {
        insert_license_on(self.db.pool(), l).await
    }

    async fn license_by_secret_hash(&self, hash: &str) -> Result<Option<LicenseRecord>, StoreError> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses WHERE secret_hash = $1");
        let row: Option<LicenseRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(hash).fetch_optional(self.db.pool()).await?;
        row.map(license).transpose()
    }

    async fn license(&self, key_id: &str) -> Result<Option<LicenseRecord>, StoreError> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses WHERE key_id = $1");
        let row: Option<LicenseRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(key_id).fetch_optional(self.db.pool()).await?;
        row.map(license).transpose()
    }

    async fn licenses(&self) -> Result<Vec<LicenseRecord>, StoreError> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses ORDER BY created_at, key_id");
        let rows: Vec<LicenseRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(self.db.pool()).await?;
        rows.into_iter().map(license).collect()
    }

    #[tracing::instrument(skip_all, fields(disabled))]
    async fn set_disabled(&self, key_id: &str, disabled: bool) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE licenses SET disabled = $1 WHERE key_id = $2")
            .bind(i64::from(disabled))
            .bind(key_id)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    #[tracing::instrument(skip_all)]
    async fn replace_license(&self, old_key_id: &str, fresh: &LicenseRecord) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query("DELETE FROM licenses WHERE key_id = $1").bind(old_key_id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        insert_license_on(&mut *tx, fresh).await?;
        tx.commit().await?;
        Ok(())
    }
}
