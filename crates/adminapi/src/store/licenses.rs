//! [`LicenseStore`] in the `licenses` table.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;
use kit::license::{KeyType, Level, LicenseRecord, secret_hash};

use crate::domain::licenses::LicenseStore;

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlLicenses {
    db: Db,
}

impl SqlLicenses {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct LicenseRow {
    key_id: String,
    key_secret: String,
    key_type: String,
    auth_level: String,
    tag: String,
    expiry: i64,
    disabled: i64,
    communities: Option<String>,
}

const LICENSE_COLUMNS: &str = "key_id, key_secret, key_type, auth_level, tag, expiry, disabled, communities";

impl TryFrom<LicenseRow> for LicenseRecord {
    type Error = StoreError;

    /// A row this version cannot read is corrupt (a 500 with its cause logged), not a store outage.
    fn try_from(row: LicenseRow) -> Result<Self, StoreError> {
        let bad = |what: &str| StoreError::Corrupt(format!("license {:.12}…: stored {what} is unreadable", row.key_id));
        Ok(LicenseRecord {
            key_type: KeyType::from_name(&row.key_type).ok_or_else(|| bad("type"))?,
            auth_level: Level::from_name(&row.auth_level).ok_or_else(|| bad("authLevel"))?,
            communities: row
                .communities
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| bad("communities"))?,
            disabled: row.disabled != 0,
            is_authorized: None,
            key_id: row.key_id,
            key_secret: row.key_secret,
            tag: row.tag,
            expiry: row.expiry,
        })
    }
}

fn communities_json(l: &LicenseRecord) -> Result<Option<String>, StoreError> {
    l.communities.as_ref().map(serde_json::to_string).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))
}

async fn insert_on<'e, E>(executor: E, l: &LicenseRecord) -> Result<(), StoreError>
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

impl SqlLicenses {
    async fn one(&self, condition: &str, value: &str) -> Result<Option<LicenseRecord>, StoreError> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses WHERE {condition} = $1");
        let row: Option<LicenseRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(value).fetch_optional(self.db.pool()).await?;
        row.map(LicenseRecord::try_from).transpose()
    }
}

#[async_trait]
impl LicenseStore for SqlLicenses {
    #[tracing::instrument(skip_all, fields(level = %l.auth_level))]
    async fn insert_license(&self, l: &LicenseRecord) -> Result<(), StoreError> {
        insert_on(self.db.pool(), l).await
    }

    async fn license_by_secret_hash(&self, hash: &str) -> Result<Option<LicenseRecord>, StoreError> {
        self.one("secret_hash", hash).await
    }

    async fn license(&self, key_id: &str) -> Result<Option<LicenseRecord>, StoreError> {
        self.one("key_id", key_id).await
    }

    async fn licenses(&self) -> Result<Vec<LicenseRecord>, StoreError> {
        let sql = format!("SELECT {LICENSE_COLUMNS} FROM licenses ORDER BY created_at, key_id");
        let rows: Vec<LicenseRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(self.db.pool()).await?;
        rows.into_iter().map(LicenseRecord::try_from).collect()
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
        insert_on(&mut *tx, fresh).await?;
        tx.commit().await?;
        Ok(())
    }
}
