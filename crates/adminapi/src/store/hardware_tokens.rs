//! [`TokenStore`] in the `hardware_tokens` table (seeds sealed), each administrator's write
//! recorded in `config_changes` in the same transaction; code use moves the counter by a
//! conditional update.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::hardware_tokens::{Token, TokenStore, TokenType};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlHardwareTokens {
    db: Db,
}

impl SqlHardwareTokens {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "id, tenant_id, community_id, serial_number, token_type, sealed_seed, digits, period, counter, \
                       drift, username, user_uid, created_at, updated_at, last_used_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    community_id: String,
    serial_number: String,
    token_type: String,
    sealed_seed: String,
    digits: i64,
    period: i64,
    counter: i64,
    drift: i64,
    username: Option<String>,
    user_uid: Option<String>,
    created_at: i64,
    updated_at: i64,
    last_used_at: Option<i64>,
}

fn corrupt(column: &str) -> StoreError {
    StoreError::Corrupt(format!("hardware_tokens.{column}: out of range"))
}

impl TryFrom<Row> for Token {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            serial_number: r.serial_number,
            token_type: TokenType::parse(&r.token_type).ok_or_else(|| corrupt("token_type"))?,
            sealed_seed: r.sealed_seed,
            digits: u32::try_from(r.digits).map_err(|_| corrupt("digits"))?,
            period: u64::try_from(r.period).map_err(|_| corrupt("period"))?,
            counter: u64::try_from(r.counter).map_err(|_| corrupt("counter"))?,
            drift: r.drift,
            username: r.username,
            user_uid: r.user_uid,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_used_at: r.last_used_at,
        })
    }
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SqlHardwareTokens {
    /// Tokens by a statement of [`COLUMNS`] built from constants only (no request value).
    async fn many(&self, sql: String, a: &str, b: Option<&str>) -> Result<Vec<Token>, StoreError> {
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(a.to_owned());
        if let Some(b) = b {
            q = q.bind(b.to_owned());
        }
        q.fetch_all(self.db.pool()).await?.into_iter().map(Token::try_from).collect()
    }
}

#[async_trait]
impl TokenStore for SqlHardwareTokens {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, t: &Token, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO hardware_tokens ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(&t.id)
        .bind(&t.tenant_id)
        .bind(&t.community_id)
        .bind(&t.serial_number)
        .bind(t.token_type.as_str())
        .bind(&t.sealed_seed)
        .bind(i64::from(t.digits))
        .bind(signed(t.period))
        .bind(signed(t.counter))
        .bind(t.drift)
        .bind(t.username.clone())
        .bind(t.user_uid.clone())
        .bind(t.created_at)
        .bind(t.updated_at)
        .bind(t.last_used_at)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list(&self, community_id: &str) -> Result<Vec<Token>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM hardware_tokens WHERE community_id = $1 ORDER BY serial_number");
        self.many(sql, community_id, None).await
    }

    #[tracing::instrument(skip_all)]
    async fn by_id(&self, community_id: &str, id: &str) -> Result<Option<Token>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM hardware_tokens WHERE community_id = $1 AND id = $2");
        Ok(self.many(sql, community_id, Some(id)).await?.into_iter().next())
    }

    #[tracing::instrument(skip_all)]
    async fn by_serial(&self, community_id: &str, serial: &str) -> Result<Option<Token>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM hardware_tokens WHERE community_id = $1 AND serial_number = $2");
        Ok(self.many(sql, community_id, Some(serial)).await?.into_iter().next())
    }

    #[tracing::instrument(skip_all)]
    async fn by_user(&self, community_id: &str, username: &str) -> Result<Vec<Token>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM hardware_tokens WHERE community_id = $1 AND username = $2 ORDER BY serial_number"
        );
        self.many(sql, community_id, Some(username)).await
    }

    #[tracing::instrument(skip_all)]
    async fn save(&self, t: &Token, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query(
            "UPDATE hardware_tokens SET sealed_seed = $1, counter = $2, drift = $3, username = $4, user_uid = $5, \
             updated_at = $6, last_used_at = $7 WHERE id = $8 AND community_id = $9",
        )
        .bind(t.sealed_seed.clone())
        .bind(signed(t.counter))
        .bind(t.drift)
        .bind(t.username.clone())
        .bind(t.user_uid.clone())
        .bind(t.updated_at)
        .bind(t.last_used_at)
        .bind(t.id.clone())
        .bind(t.community_id.clone());
        execute_recorded(&self.db, statement, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn advance(&self, id: &str, from: u64, to: u64, drift: i64, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE hardware_tokens SET counter = $1, drift = $2, last_used_at = $3 WHERE id = $4 AND counter = $5",
        )
        .bind(signed(to))
        .bind(drift)
        .bind(now)
        .bind(id.to_owned())
        .bind(signed(from))
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query("DELETE FROM hardware_tokens WHERE community_id = $1 AND id = $2")
            .bind(community_id.to_owned())
            .bind(id.to_owned());
        execute_recorded(&self.db, statement, change).await
    }
}
