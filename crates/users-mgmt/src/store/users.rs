//! [`UserStore`] in the `users` table: the queryable fields as columns, the rest of the profile
//! as JSON, the password hash in its own column that only [`UserStore::password_hash`] reads.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::users::{Profile, Query, User, UserStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlUsers {
    db: Db,
}

impl SqlUsers {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "uid, tenant_id, community_id, module_id, username, dguid, status, disabled, profile, urn";
/// What a read selects: the columns, and whether the user has a PIN (`user_pins`).
const SELECTED: &str = "uid, tenant_id, community_id, module_id, username, dguid, status, disabled, profile, urn, \
     (SELECT COUNT(*) FROM user_pins p WHERE p.uid = users.uid) AS pin_count";

#[derive(sqlx::FromRow)]
struct UserRow {
    uid: String,
    tenant_id: String,
    community_id: String,
    module_id: String,
    username: String,
    dguid: String,
    status: String,
    disabled: i64,
    profile: String,
    urn: String,
    pin_count: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        let profile: Profile = serde_json::from_str(&r.profile)
            .map_err(|_| StoreError::Corrupt(format!("user {}: unreadable profile", r.uid)))?;
        Ok(Self {
            uid: r.uid,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            module_id: r.module_id,
            username: r.username,
            dguid: r.dguid,
            urn: r.urn,
            status: r.status,
            disabled: r.disabled != 0,
            pin_enrolled: r.pin_count > 0,
            profile,
        })
    }
}

fn profile(u: &User) -> Result<String, StoreError> {
    serde_json::to_string(&u.profile).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The column a query field filters on (`username` compares case-insensitively).
fn column(field: &str) -> &'static str {
    match field {
        "username" => "username_key",
        "uid" => "uid",
        "dguid" => "dguid",
        "status" => "status",
        "email1" => "email1",
        "phone1" => "phone1",
        "firstname" => "firstname",
        _ => "lastname",
    }
}

/// `AND col = $n …` for a query, placeholders from `$first`.
fn filter(query: &Query, first: usize) -> String {
    query.0.iter().enumerate().map(|(i, (field, _))| format!(" AND {} = ${}", column(field), first + i)).collect()
}

#[async_trait]
impl UserStore for SqlUsers {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, u: &User, password_hash: Option<&str>) -> Result<(), StoreError> {
        let now = envelope::wire::now_epoch();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO users ({COLUMNS}, username_key, email1, phone1, firstname, lastname, password_hash, \
             idp_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)"
        )))
        .bind(&u.uid)
        .bind(&u.tenant_id)
        .bind(&u.community_id)
        .bind(&u.module_id)
        .bind(&u.username)
        .bind(&u.dguid)
        .bind(&u.status)
        .bind(i64::from(u.disabled))
        .bind(profile(u)?)
        .bind(&u.urn)
        .bind(u.username.to_lowercase())
        .bind(&u.profile.email1)
        .bind(&u.profile.phone1)
        .bind(&u.profile.firstname)
        .bind(&u.profile.lastname)
        .bind(password_hash)
        .bind(u.profile.idp_id.as_ref().map(|id| id.to_lowercase()))
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn by_username(
        &self,
        community_id: &str,
        module_id: &str,
        username: &str,
    ) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SELECTED} FROM users WHERE community_id = $1 AND module_id = $2 AND username_key = $3"
        )))
        .bind(community_id)
        .bind(module_id)
        .bind(username.trim().to_lowercase())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(User::try_from).transpose()
    }

    async fn page(
        &self,
        community_id: &str,
        module_id: &str,
        query: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<User>, u64), StoreError> {
        let total = self.count(community_id, module_id, query).await?;
        let n = query.0.len();
        let sql = format!(
            "SELECT {SELECTED} FROM users WHERE community_id = $1 AND module_id = $2{} \
             ORDER BY username_key LIMIT ${} OFFSET ${}",
            filter(query, 3),
            n + 3,
            n + 4
        );
        let mut q = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql)).bind(community_id).bind(module_id);
        for (_, value) in &query.0 {
            q = q.bind(value);
        }
        let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let rows = q.bind(clamp(limit)).bind(clamp(offset)).fetch_all(self.db.pool()).await?;
        Ok((rows.into_iter().map(User::try_from).collect::<Result<_, _>>()?, total))
    }

    async fn count(&self, community_id: &str, module_id: &str, query: &Query) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM users WHERE community_id = $1 AND module_id = $2{}", filter(query, 3));
        let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(community_id).bind(module_id);
        for (_, value) in &query.0 {
            q = q.bind(value);
        }
        Ok(u64::try_from(q.fetch_one(self.db.pool()).await?).unwrap_or(0))
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, u: &User) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE users SET status = $1, disabled = $2, profile = $3, email1 = $4, phone1 = $5, firstname = $6, \
             lastname = $7, idp_id = $8, updated_at = $9 WHERE uid = $10",
        )
        .bind(&u.status)
        .bind(i64::from(u.disabled))
        .bind(profile(u)?)
        .bind(&u.profile.email1)
        .bind(&u.profile.phone1)
        .bind(&u.profile.firstname)
        .bind(&u.profile.lastname)
        .bind(u.profile.idp_id.as_ref().map(|id| id.to_lowercase()))
        .bind(envelope::wire::now_epoch())
        .bind(&u.uid)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn password_hash(&self, uid: &str) -> Result<Option<String>, StoreError> {
        let hash: Option<Option<String>> = sqlx::query_scalar("SELECT password_hash FROM users WHERE uid = $1")
            .bind(uid)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(hash.flatten())
    }

    async fn by_idp_id(&self, community_id: &str, idp_id: &str) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SELECTED} FROM users WHERE community_id = $1 AND idp_id = $2 ORDER BY username_key"
        )))
        .bind(community_id)
        .bind(idp_id.trim().to_lowercase())
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(User::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn set_password_hash(&self, uid: &str, hash: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE uid = $3")
            .bind(hash)
            .bind(envelope::wire::now_epoch())
            .bind(uid)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    async fn by_uid(&self, community_id: &str, uid: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SELECTED} FROM users WHERE community_id = $1 AND uid = $2"
        )))
        .bind(community_id)
        .bind(uid)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(User::try_from).transpose()
    }

    async fn by_community_username(&self, community_id: &str, username: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SELECTED} FROM users WHERE community_id = $1 AND username_key = $2"
        )))
        .bind(community_id)
        .bind(username.trim().to_lowercase())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(User::try_from).transpose()
    }
}
