//! [`SystemUserStore`] in the `system_users` table: the queryable fields as columns, the rest of
//! the profile as JSON, the password hash in its own column that only the authentication reads.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::system_users::{Query, SystemUser, SystemUserStore};
use crate::domain::users::Profile;

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlSystemUsers {
    db: Db,
}

impl SqlSystemUsers {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "uid, tenant_id, username, status, disabled, profile";

#[derive(sqlx::FromRow)]
struct SystemUserRow {
    uid: String,
    tenant_id: String,
    username: String,
    status: String,
    disabled: i64,
    profile: String,
}

#[derive(sqlx::FromRow)]
struct WithHash {
    #[sqlx(flatten)]
    user: SystemUserRow,
    password_hash: String,
}

impl TryFrom<SystemUserRow> for SystemUser {
    type Error = StoreError;

    fn try_from(r: SystemUserRow) -> Result<Self, StoreError> {
        let profile: Profile = serde_json::from_str(&r.profile)
            .map_err(|_| StoreError::Corrupt(format!("system user {}: unreadable profile", r.uid)))?;
        Ok(Self {
            uid: r.uid,
            tenant_id: r.tenant_id,
            username: r.username,
            status: r.status,
            disabled: r.disabled != 0,
            profile,
        })
    }
}

fn profile(u: &SystemUser) -> Result<String, StoreError> {
    serde_json::to_string(&u.profile).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The column a query field filters on (`username` compares case-insensitively).
fn column(field: &str) -> &'static str {
    match field {
        "username" => "username_key",
        "uid" => "uid",
        "tenantId" => "tenant_id",
        "status" => "status",
        "email1" => "email1",
        "firstname" => "firstname",
        _ => "lastname",
    }
}

/// ` WHERE col = $1 AND …` for a query (empty for none).
fn filter(query: &Query) -> String {
    let parts: Vec<String> =
        query.0.iter().enumerate().map(|(i, (field, _))| format!("{} = ${}", column(field), i + 1)).collect();
    if parts.is_empty() { String::new() } else { format!(" WHERE {}", parts.join(" AND ")) }
}

#[async_trait]
impl SystemUserStore for SqlSystemUsers {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, u: &SystemUser, password_hash: &str) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO system_users ({COLUMNS}, username_key, email1, firstname, lastname, password_hash, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)"
        )))
        .bind(&u.uid)
        .bind(&u.tenant_id)
        .bind(&u.username)
        .bind(&u.status)
        .bind(i64::from(u.disabled))
        .bind(profile(u)?)
        .bind(u.username.to_lowercase())
        .bind(&u.profile.email1)
        .bind(&u.profile.firstname)
        .bind(&u.profile.lastname)
        .bind(password_hash)
        .bind(envelope::wire::now_epoch())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn get(&self, uid: &str) -> Result<Option<SystemUser>, StoreError> {
        let row: Option<SystemUserRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM system_users WHERE uid = $1")))
                .bind(uid)
                .fetch_optional(self.db.pool())
                .await?;
        row.map(SystemUser::try_from).transpose()
    }

    async fn by_username(&self, username: &str) -> Result<Option<(SystemUser, String)>, StoreError> {
        let row: Option<WithHash> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, password_hash FROM system_users WHERE username_key = $1"
        )))
        .bind(username.trim().to_lowercase())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|r| Ok((SystemUser::try_from(r.user)?, r.password_hash))).transpose()
    }

    async fn page(&self, query: &Query, offset: u64, limit: u64) -> Result<(Vec<SystemUser>, u64), StoreError> {
        let n = query.0.len();
        let where_ = filter(query);
        let mut count =
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM system_users{where_}")));
        for (_, value) in &query.0 {
            count = count.bind(value);
        }
        let total = u64::try_from(count.fetch_one(self.db.pool()).await?).unwrap_or(0);
        let sql = format!(
            "SELECT {COLUMNS} FROM system_users{where_} ORDER BY username_key LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query_as::<_, SystemUserRow>(sqlx::AssertSqlSafe(sql));
        for (_, value) in &query.0 {
            q = q.bind(value);
        }
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let rows = q.bind(clamp(limit)).bind(clamp(offset)).fetch_all(self.db.pool()).await?;
        Ok((rows.into_iter().map(SystemUser::try_from).collect::<Result<_, _>>()?, total))
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, u: &SystemUser) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE system_users SET tenant_id = $1, status = $2, disabled = $3, profile = $4, email1 = $5, \
             firstname = $6, lastname = $7, updated_at = $8 WHERE uid = $9",
        )
        .bind(&u.tenant_id)
        .bind(&u.status)
        .bind(i64::from(u.disabled))
        .bind(profile(u)?)
        .bind(&u.profile.email1)
        .bind(&u.profile.firstname)
        .bind(&u.profile.lastname)
        .bind(envelope::wire::now_epoch())
        .bind(&u.uid)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    #[tracing::instrument(skip_all)]
    async fn set_password_hash(&self, uid: &str, password_hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE system_users SET password_hash = $1, updated_at = $2 WHERE uid = $3")
            .bind(password_hash)
            .bind(envelope::wire::now_epoch())
            .bind(uid)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
