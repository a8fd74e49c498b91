//! [`PasskeyStore`] in the `passkeys` table (private keys sealed).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::passkeys::{Passkey, PasskeyStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlPasskeys {
    db: Db,
}

impl SqlPasskeys {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "community_id, credential_id, tenant_id, uid, username, user_handle, user_display_name, rp_id, \
                       entra_auth_method_id, sealed_private_key, sign_count, created_at, registered_at";

#[derive(sqlx::FromRow)]
struct Row {
    community_id: String,
    credential_id: String,
    tenant_id: String,
    uid: String,
    username: String,
    user_handle: String,
    user_display_name: Option<String>,
    rp_id: String,
    entra_auth_method_id: Option<String>,
    sealed_private_key: String,
    sign_count: i64,
    created_at: String,
    registered_at: i64,
}

impl TryFrom<Row> for Passkey {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        Ok(Self {
            community_id: r.community_id,
            credential_id: r.credential_id,
            tenant_id: r.tenant_id,
            uid: r.uid,
            username: r.username,
            user_handle: r.user_handle,
            user_display_name: r.user_display_name,
            rp_id: r.rp_id,
            entra_auth_method_id: r.entra_auth_method_id,
            sealed_private_key: r.sealed_private_key,
            sign_count: u32::try_from(r.sign_count)
                .map_err(|_| StoreError::Corrupt("passkeys.sign_count: out of range".into()))?,
            created_at: r.created_at,
            registered_at: r.registered_at,
        })
    }
}

#[async_trait]
impl PasskeyStore for SqlPasskeys {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, p: &Passkey) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO passkeys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        )))
        .bind(&p.community_id)
        .bind(&p.credential_id)
        .bind(&p.tenant_id)
        .bind(&p.uid)
        .bind(&p.username)
        .bind(&p.user_handle)
        .bind(p.user_display_name.clone())
        .bind(&p.rp_id)
        .bind(p.entra_auth_method_id.clone())
        .bind(&p.sealed_private_key)
        .bind(i64::from(p.sign_count))
        .bind(&p.created_at)
        .bind(p.registered_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn latest(&self, community_id: &str, uid: &str) -> Result<Option<Passkey>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM passkeys WHERE community_id = $1 AND uid = $2 \
             ORDER BY registered_at DESC, credential_id DESC LIMIT 1"
        );
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(community_id.to_owned())
            .bind(uid.to_owned())
            .fetch_optional(self.db.pool())
            .await?
            .map(Passkey::try_from)
            .transpose()
    }
}
