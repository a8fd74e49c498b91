//! [`ModuleStore`] in the `auth_modules` table (and, to delete a module, its users with their
//! properties, and its attributes).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::modules::{Module, ModuleStore, ModuleType};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlModules {
    db: Db,
}

impl SqlModules {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str =
    "id, tenant_id, community_id, module_type, name, enabled, mode, enhanced_security_on, last_enabled_at, config";

#[derive(sqlx::FromRow)]
struct ModuleRow {
    id: String,
    tenant_id: String,
    community_id: String,
    module_type: String,
    name: String,
    enabled: i64,
    mode: String,
    enhanced_security_on: i64,
    last_enabled_at: Option<i64>,
    config: String,
}

impl TryFrom<ModuleRow> for Module {
    type Error = StoreError;

    fn try_from(r: ModuleRow) -> Result<Self, StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("auth module {}: unreadable {what}", r.id));
        Ok(Self {
            module_type: ModuleType::from_name(&r.module_type).ok_or_else(|| bad("type"))?,
            config: serde_json::from_str(&r.config).map_err(|_| bad("config"))?,
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            name: r.name,
            enabled: r.enabled != 0,
            mode: r.mode,
            enhanced_security_on: r.enhanced_security_on != 0,
            last_enabled_at: r.last_enabled_at,
        })
    }
}

fn config(m: &Module) -> Result<String, StoreError> {
    serde_json::to_string(&m.config).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl ModuleStore for SqlModules {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, m: &Module) -> Result<(), StoreError> {
        let now = envelope::wire::now_epoch();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO auth_modules ({COLUMNS}, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
        )))
        .bind(&m.id)
        .bind(&m.tenant_id)
        .bind(&m.community_id)
        .bind(m.module_type.name())
        .bind(&m.name)
        .bind(i64::from(m.enabled))
        .bind(&m.mode)
        .bind(i64::from(m.enhanced_security_on))
        .bind(m.last_enabled_at)
        .bind(config(m)?)
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn get(&self, community_id: &str, id: &str) -> Result<Option<Module>, StoreError> {
        let row: Option<ModuleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM auth_modules WHERE community_id = $1 AND id = $2"
        )))
        .bind(community_id)
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(Module::try_from).transpose()
    }

    async fn list(&self, community_id: &str) -> Result<Vec<Module>, StoreError> {
        let rows: Vec<ModuleRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM auth_modules WHERE community_id = $1 ORDER BY id"
        )))
        .bind(community_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Module::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, m: &Module) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE auth_modules SET name = $1, enabled = $2, mode = $3, enhanced_security_on = $4, \
             last_enabled_at = $5, config = $6, updated_at = $7 WHERE community_id = $8 AND id = $9",
        )
        .bind(&m.name)
        .bind(i64::from(m.enabled))
        .bind(&m.mode)
        .bind(i64::from(m.enhanced_security_on))
        .bind(m.last_enabled_at)
        .bind(config(m)?)
        .bind(envelope::wire::now_epoch())
        .bind(&m.community_id)
        .bind(&m.id)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, m: &Module) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query("DELETE FROM auth_modules WHERE community_id = $1 AND id = $2")
            .bind(&m.community_id)
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // The reference: deleting the db module deletes every user of the community; the
        // properties and aliases of the users go with them, the attributes with their module.
        for table in ["users", "user_properties", "user_aliases"] {
            if m.module_type == ModuleType::Db {
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE community_id = $1")))
                    .bind(&m.community_id)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM {table} WHERE community_id = $1 AND module_id = $2"
                )))
                .bind(&m.community_id)
                .bind(&m.id)
                .execute(&mut *tx)
                .await?;
            }
        }
        sqlx::query("DELETE FROM user_attributes WHERE community_id = $1 AND module_id = $2")
            .bind(&m.community_id)
            .bind(&m.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
