//! [`DeviceStore`] in the `linked_devices` table (the details as JSON).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::devices::{Device, DeviceStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlDevices {
    db: Db,
}

impl SqlDevices {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// The columns, in [`Row`]'s order (a macro, so statements stay literals).
macro_rules! columns {
    () => {
        "id, tenant_id, community_id, uid, username, module_id, did, public_key, app_id, ial, details, created_at, \
         updated_at"
    };
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    tenant_id: String,
    community_id: String,
    uid: String,
    username: String,
    module_id: String,
    did: String,
    public_key: String,
    app_id: String,
    ial: Option<String>,
    details: String,
    created_at: i64,
    updated_at: i64,
}

impl TryFrom<Row> for Device {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let details = serde_json::from_str(&r.details)
            .map_err(|e| StoreError::Corrupt(format!("linked_devices.details: {e}")))?;
        Ok(Self {
            id: r.id,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            uid: r.uid,
            username: r.username,
            module_id: r.module_id,
            did: r.did,
            public_key: r.public_key,
            app_id: r.app_id,
            ial: r.ial,
            details,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn details(d: &Device) -> Result<String, StoreError> {
    serde_json::to_string(&d.details).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl DeviceStore for SqlDevices {
    #[tracing::instrument(skip_all)]
    async fn by_did(&self, community_id: &str, did: &str) -> Result<Option<Device>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM linked_devices WHERE community_id = $1 AND did = $2");
        let row: Option<Row> = sqlx::query_as(sql).bind(community_id).bind(did).fetch_optional(self.db.pool()).await?;
        row.map(Device::try_from).transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn of_user(&self, community_id: &str, uid: &str) -> Result<Vec<Device>, StoreError> {
        let sql = concat!(
            "SELECT ",
            columns!(),
            " FROM linked_devices WHERE community_id = $1 AND uid = $2 ORDER BY created_at, id"
        );
        let rows: Vec<Row> = sqlx::query_as(sql).bind(community_id).bind(uid).fetch_all(self.db.pool()).await?;
        rows.into_iter().map(Device::try_from).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn insert(&self, d: &Device) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO linked_devices (",
            columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        sqlx::query(sql)
            .bind(&d.id)
            .bind(&d.tenant_id)
            .bind(&d.community_id)
            .bind(&d.uid)
            .bind(&d.username)
            .bind(&d.module_id)
            .bind(&d.did)
            .bind(&d.public_key)
            .bind(&d.app_id)
            .bind(&d.ial)
            .bind(details(d)?)
            .bind(d.created_at)
            .bind(d.updated_at)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn refresh(&self, d: &Device) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE linked_devices SET username = $1, module_id = $2, public_key = $3, app_id = $4, ial = $5, \
             details = $6, updated_at = $7 WHERE id = $8",
        )
        .bind(&d.username)
        .bind(&d.module_id)
        .bind(&d.public_key)
        .bind(&d.app_id)
        .bind(&d.ial)
        .bind(details(d)?)
        .bind(d.updated_at)
        .bind(&d.id)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    #[tracing::instrument(skip_all)]
    async fn unlink(&self, community_id: &str, uid: &str, did: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM linked_devices WHERE community_id = $1 AND uid = $2 AND did = $3")
            .bind(community_id)
            .bind(uid)
            .bind(did)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
