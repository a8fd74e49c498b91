//! [`ModuleScriptStore`] in the `module_scripts` table, each write recorded in `config_changes` in
//! the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::insert_change;
use crate::domain::audit::Change;
use crate::domain::module_scripts::{ModuleScript, ModuleScriptStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlModuleScripts {
    db: Db,
}

impl SqlModuleScripts {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    module_id: String,
    script: String,
    updated_by: String,
    updated_at: i64,
}

#[async_trait]
impl ModuleScriptStore for SqlModuleScripts {
    async fn get(&self, module_id: &str) -> Result<Option<ModuleScript>, StoreError> {
        let row: Option<Row> =
            sqlx::query_as("SELECT module_id, script, updated_by, updated_at FROM module_scripts WHERE module_id = $1")
                .bind(module_id)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(row.map(|r| ModuleScript {
            module_id: r.module_id,
            script_b64: r.script,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn put(&self, s: &ModuleScript, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO module_scripts (module_id, community_id, tenant_id, script, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (module_id) DO UPDATE SET \
             script = excluded.script, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        )
        .bind(&s.module_id)
        .bind(&change.community_id)
        .bind(&change.tenant_id)
        .bind(&s.script_b64)
        .bind(&s.updated_by)
        .bind(s.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }
}
