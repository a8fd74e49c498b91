//! [`UserPropertiesStore`] in the `user_properties` table (the lists and aliases as JSON) and
//! `user_aliases` (one row per alias, unique per module, for the lookup by alias).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::user_properties::{UserProperties, UserPropertiesStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlUserProperties {
    db: Db,
}

impl SqlUserProperties {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct PropertiesRow {
    id: String,
    uid: String,
    tenant_id: String,
    community_id: String,
    module_id: String,
    username: String,
    mobiles: String,
    landlines: String,
    aliases: String,
}

impl TryFrom<PropertiesRow> for UserProperties {
    type Error = StoreError;

    fn try_from(r: PropertiesRow) -> Result<Self, StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("user properties {}: unreadable {what}", r.id));
        Ok(Self {
            mobiles: serde_json::from_str(&r.mobiles).map_err(|_| bad("mobiles"))?,
            landlines: serde_json::from_str(&r.landlines).map_err(|_| bad("landlines"))?,
            aliases: serde_json::from_str(&r.aliases).map_err(|_| bad("aliases"))?,
            id: r.id,
            uid: r.uid,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            module_id: r.module_id,
            username: r.username,
        })
    }
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl UserPropertiesStore for SqlUserProperties {
    async fn get(&self, uid: &str) -> Result<Option<UserProperties>, StoreError> {
        let row: Option<PropertiesRow> = sqlx::query_as(
            "SELECT id, uid, tenant_id, community_id, module_id, username, mobiles, landlines, aliases \
             FROM user_properties WHERE uid = $1",
        )
        .bind(uid)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(UserProperties::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn put(&self, p: &UserProperties) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO user_properties (id, uid, tenant_id, community_id, module_id, username, mobiles, landlines, \
             aliases, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (uid) DO UPDATE SET mobiles = excluded.mobiles, landlines = excluded.landlines, \
             aliases = excluded.aliases, updated_at = excluded.updated_at",
        )
        .bind(&p.id)
        .bind(&p.uid)
        .bind(&p.tenant_id)
        .bind(&p.community_id)
        .bind(&p.module_id)
        .bind(&p.username)
        .bind(json(&p.mobiles)?)
        .bind(json(&p.landlines)?)
        .bind(json(&p.aliases)?)
        .bind(envelope::wire::now_epoch())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM user_aliases WHERE uid = $1").bind(&p.uid).execute(&mut *tx).await?;
        for alias in p.alias_values() {
            sqlx::query("INSERT INTO user_aliases (community_id, module_id, alias_key, uid) VALUES ($1, $2, $3, $4)")
                .bind(&p.community_id)
                .bind(&p.module_id)
                .bind(alias.to_lowercase())
                .bind(&p.uid)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn username_by_alias(
        &self,
        community_id: &str,
        module_id: &str,
        alias: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT p.username FROM user_aliases a JOIN user_properties p ON p.uid = a.uid \
             WHERE a.community_id = $1 AND a.module_id = $2 AND a.alias_key = $3",
        )
        .bind(community_id)
        .bind(module_id)
        .bind(alias.trim().to_lowercase())
        .fetch_optional(self.db.pool())
        .await?)
    }
}
