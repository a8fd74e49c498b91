//! [`CredentialStore`] and [`VendorStore`] in the `webauthn_credentials` and
//! `webauthn_vendor_metadata` tables. A signature counter moves by a conditional update; each
//! administrator's write of vendor metadata is recorded in `config_changes` in its transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::{execute_recorded, insert_change};
use crate::domain::audit::Change;
use crate::domain::webauthn::vendors::{Vendor, VendorStore};
use crate::domain::webauthn::{Credential, CredentialStore, Kind};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlWebauthn {
    db: Db,
}

impl SqlWebauthn {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "id, tenant_id, community_id, uid, username, module_id, credential_id, aaguid, kind, name, \
                       key_type, passkey, counter, created_at, last_used_at";

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    community_id: String,
    uid: String,
    username: String,
    module_id: String,
    credential_id: String,
    aaguid: String,
    kind: String,
    name: String,
    key_type: String,
    passkey: String,
    counter: i64,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<Row> for Credential {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |column: &str| StoreError::Corrupt(format!("webauthn_credentials.{column}: out of range"));
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            uid: r.uid,
            username: r.username,
            module_id: r.module_id,
            credential_id: r.credential_id,
            aaguid: r.aaguid,
            kind: Kind::parse(&r.kind).ok_or_else(|| corrupt("kind"))?,
            name: r.name,
            key_type: r.key_type,
            passkey: r.passkey,
            counter: u32::try_from(r.counter).map_err(|_| corrupt("counter"))?,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
    }
}

#[async_trait]
impl CredentialStore for SqlWebauthn {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, c: &Credential) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO webauthn_credentials ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        )))
        .bind(&c.id)
        .bind(&c.tenant_id)
        .bind(&c.community_id)
        .bind(&c.uid)
        .bind(&c.username)
        .bind(&c.module_id)
        .bind(&c.credential_id)
        .bind(&c.aaguid)
        .bind(c.kind.as_str())
        .bind(&c.name)
        .bind(&c.key_type)
        .bind(&c.passkey)
        .bind(i64::from(c.counter))
        .bind(c.created_at)
        .bind(c.last_used_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn by_user(&self, community_id: &str, username: &str) -> Result<Vec<Credential>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM webauthn_credentials WHERE community_id = $1 AND username = $2 \
             ORDER BY created_at, id"
        );
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(community_id.to_owned())
            .bind(username.to_owned())
            .fetch_all(self.db.pool())
            .await?
            .into_iter()
            .map(Credential::try_from)
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn by_credential_id(
        &self,
        community_id: &str,
        credential_id: &str,
    ) -> Result<Option<Credential>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM webauthn_credentials WHERE community_id = $1 AND credential_id = $2");
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(community_id.to_owned())
            .bind(credential_id.to_owned())
            .fetch_optional(self.db.pool())
            .await?
            .map(Credential::try_from)
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn advance(&self, id: &str, from: u32, to: u32, passkey: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE webauthn_credentials SET counter = $1, passkey = $2, last_used_at = $3 WHERE id = $4 AND counter = $5",
        )
        .bind(i64::from(to))
        .bind(passkey.to_owned())
        .bind(now)
        .bind(id.to_owned())
        .bind(i64::from(from))
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[derive(sqlx::FromRow)]
struct VendorRow {
    id: String,
    tenant_id: String,
    community_id: String,
    aaguid: String,
    metadata: String,
    name: String,
    disabled: i64,
    updated_by: String,
    updated_at: i64,
}

impl From<VendorRow> for Vendor {
    fn from(r: VendorRow) -> Self {
        Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            aaguid: r.aaguid,
            metadata: r.metadata,
            name: r.name,
            disabled: r.disabled != 0,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        }
    }
}

#[async_trait]
impl VendorStore for SqlWebauthn {
    #[tracing::instrument(skip_all)]
    async fn insert_vendor(&self, v: &Vendor, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO webauthn_vendor_metadata \
             (id, tenant_id, community_id, aaguid, metadata, name, disabled, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&v.id)
        .bind(&v.tenant_id)
        .bind(&v.community_id)
        .bind(&v.aaguid)
        .bind(&v.metadata)
        .bind(&v.name)
        .bind(i64::from(v.disabled))
        .bind(&v.updated_by)
        .bind(v.updated_at)
        .execute(&mut *tx)
        .await?;
        insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn update_vendor(&self, v: &Vendor, change: &Change) -> Result<bool, StoreError> {
        let statement = sqlx::query(
            "UPDATE webauthn_vendor_metadata SET metadata = $1, name = $2, disabled = $3, updated_by = $4, \
             updated_at = $5 WHERE id = $6 AND community_id = $7",
        )
        .bind(v.metadata.clone())
        .bind(v.name.clone())
        .bind(i64::from(v.disabled))
        .bind(v.updated_by.clone())
        .bind(v.updated_at)
        .bind(v.id.clone())
        .bind(v.community_id.clone());
        execute_recorded(&self.db, statement, change).await
    }

    #[tracing::instrument(skip_all)]
    async fn vendors(&self, community_id: &str) -> Result<Vec<Vendor>, StoreError> {
        let rows: Vec<VendorRow> = sqlx::query_as(
            "SELECT id, tenant_id, community_id, aaguid, metadata, name, disabled, updated_by, updated_at \
             FROM webauthn_vendor_metadata WHERE community_id = $1 ORDER BY aaguid",
        )
        .bind(community_id.to_owned())
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(Vendor::from).collect())
    }
}
