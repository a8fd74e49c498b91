//! [`SigningKeyStore`] in the `oidc_signing_keys` table. The partial unique index on
//! `(community_id, alg) WHERE retired_at IS NULL` keeps one signing key per community and
//! algorithm, so two instances rotating at once cannot both win.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::oidc::keys::{KeyRecord, SigningKeyStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlOidcKeys {
    db: Db,
}

impl SqlOidcKeys {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str =
    "kid, tenant_id, community_id, alg, private_sealed, public_jwk, created_at, retired_at, publish_until";

#[derive(sqlx::FromRow)]
struct Row {
    kid: String,
    tenant_id: String,
    community_id: String,
    alg: String,
    private_sealed: String,
    public_jwk: String,
    created_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
}

impl From<Row> for KeyRecord {
    fn from(r: Row) -> Self {
        Self {
            kid: r.kid,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            alg: r.alg,
            private_sealed: r.private_sealed,
            public_jwk: r.public_jwk,
            created_at: r.created_at,
            retired_at: r.retired_at,
            publish_until: r.publish_until,
        }
    }
}

#[async_trait]
impl SigningKeyStore for SqlOidcKeys {
    #[tracing::instrument(skip_all)]
    async fn current(&self, community_id: &str, alg: &str) -> Result<Option<KeyRecord>, StoreError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM oidc_signing_keys WHERE community_id = $1 AND alg = $2 AND retired_at IS NULL"
        )))
        .bind(community_id)
        .bind(alg)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(KeyRecord::from))
    }

    #[tracing::instrument(skip_all)]
    async fn replace(
        &self,
        old: Option<&str>,
        retired_at: i64,
        publish_until: i64,
        new: &KeyRecord,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.pool().begin().await?;
        if let Some(old) = old {
            let retired = sqlx::query(
                "UPDATE oidc_signing_keys SET retired_at = $1, publish_until = $2 \
                 WHERE kid = $3 AND community_id = $4 AND retired_at IS NULL",
            )
            .bind(retired_at)
            .bind(publish_until)
            .bind(old)
            .bind(&new.community_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if retired != 1 {
                return Ok(false);
            }
        }
        let inserted = sqlx::query(
            "INSERT INTO oidc_signing_keys (kid, tenant_id, community_id, alg, private_sealed, public_jwk, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&new.kid)
        .bind(&new.tenant_id)
        .bind(&new.community_id)
        .bind(&new.alg)
        .bind(&new.private_sealed)
        .bind(&new.public_jwk)
        .bind(new.created_at)
        .execute(&mut *tx)
        .await;
        match inserted {
            Ok(_) => {}
            Err(e) => match StoreError::from(e) {
                StoreError::Conflict(_) => return Ok(false),
                other => return Err(other),
            },
        }
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(skip_all)]
    async fn published(&self, community_id: &str, now: i64) -> Result<Vec<KeyRecord>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM oidc_signing_keys WHERE community_id = $1 \
             AND (retired_at IS NULL OR publish_until > $2) \
             ORDER BY CASE WHEN retired_at IS NULL THEN 0 ELSE 1 END, created_at DESC, kid"
        )))
        .bind(community_id)
        .bind(now)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(KeyRecord::from).collect())
    }
}
