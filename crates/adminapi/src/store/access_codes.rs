//! [`AccessCodeStore`] in the `access_codes` table (codes kept as their MAC only); creations,
//! resends and deletions recorded in `config_changes` in the same transaction; a redeem is one
//! conditional update of an active, unexpired code.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::{execute_recorded, insert_change};
use crate::domain::access_codes::{AccessCode, AccessCodeStore, Status};
use crate::domain::audit::Change;

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlAccessCodes {
    db: Db,
}

impl SqlAccessCodes {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "id, code_hash, tenant_id, community_id, purpose, uid, username, module_id, email_to, sms_to, \
                       template_key, created_by, created_by_uid, created_at, expires_at, status, updated_at, \
                       redeemed_at, redeem_result";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    code_hash: String,
    tenant_id: String,
    community_id: String,
    purpose: String,
    uid: String,
    username: String,
    module_id: String,
    email_to: Option<String>,
    sms_to: Option<String>,
    template_key: String,
    created_by: String,
    created_by_uid: String,
    created_at: i64,
    expires_at: i64,
    status: String,
    updated_at: i64,
    redeemed_at: Option<i64>,
    redeem_result: Option<String>,
}

impl TryFrom<Row> for AccessCode {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let (purpose, status) = AccessCode::parse_names(&r.purpose, &r.status)
            .ok_or_else(|| StoreError::Corrupt("access_codes: unknown purpose or status".into()))?;
        Ok(Self {
            id: r.id,
            code_hash: r.code_hash,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            purpose,
            uid: r.uid,
            username: r.username,
            module_id: r.module_id,
            email_to: r.email_to,
            sms_to: r.sms_to,
            template_key: r.template_key,
            created_by: r.created_by,
            created_by_uid: r.created_by_uid,
            created_at: r.created_at,
            expires_at: r.expires_at,
            status,
            updated_at: r.updated_at,
            redeemed_at: r.redeemed_at,
            redeem_result: r.redeem_result,
        })
    }
}

/// Inserts `c` on `conn`.
async fn insert_row(conn: &mut sqlx::AnyConnection, c: &AccessCode) -> Result<(), StoreError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO access_codes ({COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
    )))
    .bind(&c.id)
    .bind(&c.code_hash)
    .bind(&c.tenant_id)
    .bind(&c.community_id)
    .bind(c.purpose.as_str())
    .bind(&c.uid)
    .bind(&c.username)
    .bind(&c.module_id)
    .bind(c.email_to.clone())
    .bind(c.sms_to.clone())
    .bind(&c.template_key)
    .bind(&c.created_by)
    .bind(&c.created_by_uid)
    .bind(c.created_at)
    .bind(c.expires_at)
    .bind(c.status.as_str())
    .bind(c.updated_at)
    .bind(c.redeemed_at)
    .bind(c.redeem_result.clone())
    .execute(conn)
    .await?;
    Ok(())
}

impl SqlAccessCodes {
    /// The one code a statement of [`COLUMNS`] built from constants finds by `value`.
    async fn one(&self, sql: String, value: &str) -> Result<Option<AccessCode>, StoreError> {
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(value.to_owned())
            .fetch_optional(self.db.pool())
            .await?;
        row.map(AccessCode::try_from).transpose()
    }
}

#[async_trait]
impl AccessCodeStore for SqlAccessCodes {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, code: &AccessCode, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        insert_row(&mut tx, code).await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn by_hash(&self, code_hash: &str) -> Result<Option<AccessCode>, StoreError> {
        self.one(format!("SELECT {COLUMNS} FROM access_codes WHERE code_hash = $1"), code_hash).await
    }

    #[tracing::instrument(skip_all)]
    async fn by_id(&self, id: &str) -> Result<Option<AccessCode>, StoreError> {
        self.one(format!("SELECT {COLUMNS} FROM access_codes WHERE id = $1"), id).await
    }

    #[tracing::instrument(skip_all)]
    async fn list(&self, community_id: &str, uids: Option<&[String]>) -> Result<Vec<AccessCode>, StoreError> {
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM access_codes WHERE community_id = $1 ORDER BY created_at DESC, id DESC"
        )))
        .bind(community_id.to_owned())
        .fetch_all(self.db.pool())
        .await?;
        // The filter is applied here: a list of uids is short, and the statement stays constant.
        let wanted = |r: &Row| uids.is_none_or(|u| u.contains(&r.uid));
        rows.into_iter().filter(wanted).map(AccessCode::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn replace(&self, old_id: &str, new: &AccessCode, change: &Change) -> Result<bool, StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query("UPDATE access_codes SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(Status::Revoked.as_str())
            .bind(new.created_at)
            .bind(old_id.to_owned())
            .bind(Status::Active.as_str())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_row(&mut tx, new).await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(true)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE access_codes SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(Status::Revoked.as_str())
            .bind(now)
            .bind(id.to_owned())
            .bind(Status::Active.as_str())
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn redeem(&self, id: &str, now: i64, result: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE access_codes SET status = $1, redeemed_at = $2, updated_at = $2, redeem_result = $3 \
             WHERE id = $4 AND status = $5 AND expires_at > $2",
        )
        .bind(Status::Redeemed.as_str())
        .bind(now)
        .bind(result.to_owned())
        .bind(id.to_owned())
        .bind(Status::Active.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn release(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE access_codes SET status = $1, redeemed_at = NULL, updated_at = $2, redeem_result = NULL \
             WHERE id = $3 AND status = $4",
        )
        .bind(Status::Active.as_str())
        .bind(now)
        .bind(id.to_owned())
        .bind(Status::Redeemed.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, id: &str, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query("DELETE FROM access_codes WHERE id = $1").bind(id.to_owned());
        execute_recorded(&self.db, statement, change).await
    }
}
