//! [`JourneyStore`] in the `auth_journeys` table: the name, category and enabled flag in columns,
//! the conditions and decision as one JSON text ([`Policy`]); each administrator's write recorded
//! in `config_changes` in the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::journeys::{Draft, Journey, JourneyStore, Policy};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlJourneys {
    db: Db,
}

impl SqlJourneys {
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
    name: String,
    category: Option<String>,
    enabled: i64,
    policy: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Journey {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let policy: Policy =
            serde_json::from_str(&r.policy).map_err(|e| StoreError::Corrupt(format!("auth_journeys.policy: {e}")))?;
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            draft: Draft {
                name: r.name,
                category: r.category,
                enabled: r.enabled != 0,
                conditions: policy.conditions,
                decision: policy.decision,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn policy_of(j: &Journey) -> Result<String, StoreError> {
    let policy = Policy { conditions: j.draft.conditions.clone(), decision: j.draft.decision.clone() };
    serde_json::to_string(&policy).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl JourneyStore for SqlJourneys {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, j: &Journey, change: &Change) -> Result<(), StoreError> {
        let policy = policy_of(j)?;
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO auth_journeys (id, tenant_id, community_id, name, category, enabled, policy, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&j.id)
        .bind(&j.tenant_id)
        .bind(&j.community_id)
        .bind(&j.draft.name)
        .bind(j.draft.category.clone())
        .bind(i64::from(j.draft.enabled))
        .bind(policy)
        .bind(j.created_at)
        .bind(j.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list(&self, community_id: &str) -> Result<Vec<Journey>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, tenant_id, community_id, name, category, enabled, policy, created_at, updated_at \
             FROM auth_journeys WHERE community_id = $1 ORDER BY created_at, id",
        )
        .bind(community_id.to_owned())
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Journey::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn save(&self, j: &Journey, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query(
            "UPDATE auth_journeys SET name = $1, category = $2, enabled = $3, policy = $4, updated_at = $5 \
             WHERE id = $6 AND community_id = $7",
        )
        .bind(j.draft.name.clone())
        .bind(j.draft.category.clone())
        .bind(i64::from(j.draft.enabled))
        .bind(policy_of(j)?)
        .bind(j.updated_at)
        .bind(j.id.clone())
        .bind(j.community_id.clone());
        execute_recorded(&self.db, statement, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query("DELETE FROM auth_journeys WHERE community_id = $1 AND id = $2")
            .bind(community_id.to_owned())
            .bind(id.to_owned());
        execute_recorded(&self.db, statement, change).await
    }
}
