//! [`BrokerStore`] in the `broker_connections` table.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::brokers::{Broker, BrokerStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlBrokers {
    db: Db,
}

impl SqlBrokers {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

const COLUMNS: &str = "uid, tenant_id, community_id, module_id, name, enabled, authorized, connected, version, \
     connected_at, last_ping_at, last_disconnected_at, last_notification_sent_at, ip, port, key_hash";

#[derive(sqlx::FromRow)]
struct Row {
    uid: String,
    tenant_id: String,
    community_id: String,
    module_id: String,
    name: String,
    enabled: i64,
    authorized: i64,
    connected: i64,
    version: String,
    connected_at: Option<i64>,
    last_ping_at: Option<i64>,
    last_disconnected_at: Option<i64>,
    last_notification_sent_at: Option<i64>,
    ip: String,
    port: String,
    key_hash: String,
}

impl From<Row> for Broker {
    fn from(r: Row) -> Self {
        Self {
            uid: r.uid,
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            module_id: r.module_id,
            name: r.name,
            enabled: r.enabled != 0,
            authorized: r.authorized != 0,
            connected: r.connected != 0,
            version: r.version,
            connected_at: r.connected_at,
            last_ping_at: r.last_ping_at,
            last_disconnected_at: r.last_disconnected_at,
            last_notification_sent_at: r.last_notification_sent_at,
            ip: r.ip,
            port: r.port,
            key_hash: r.key_hash,
        }
    }
}

#[async_trait]
impl BrokerStore for SqlBrokers {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, b: &Broker) -> Result<(), StoreError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO broker_connections ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        )))
        .bind(&b.uid)
        .bind(&b.tenant_id)
        .bind(&b.community_id)
        .bind(&b.module_id)
        .bind(&b.name)
        .bind(i64::from(b.enabled))
        .bind(i64::from(b.authorized))
        .bind(i64::from(b.connected))
        .bind(&b.version)
        .bind(b.connected_at)
        .bind(b.last_ping_at)
        .bind(b.last_disconnected_at)
        .bind(b.last_notification_sent_at)
        .bind(&b.ip)
        .bind(&b.port)
        .bind(&b.key_hash)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get(&self, community_id: &str, module_id: &str, uid: &str) -> Result<Option<Broker>, StoreError> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM broker_connections WHERE community_id = $1 AND module_id = $2 AND uid = $3"
        )))
        .bind(community_id)
        .bind(module_id)
        .bind(uid)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(Broker::from))
    }

    #[tracing::instrument(skip_all)]
    async fn list(&self, community_id: &str, module_id: &str) -> Result<Vec<Broker>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM broker_connections WHERE community_id = $1 AND module_id = $2 ORDER BY uid"
        )))
        .bind(community_id)
        .bind(module_id)
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(Broker::from).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn watched(&self) -> Result<Vec<Broker>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM broker_connections WHERE connected = 1 \
             OR (last_disconnected_at IS NOT NULL AND (last_notification_sent_at IS NULL \
                 OR last_notification_sent_at < last_disconnected_at)) ORDER BY uid"
        )))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.into_iter().map(Broker::from).collect())
    }

    #[tracing::instrument(skip_all)]
    async fn update(&self, b: &Broker) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE broker_connections SET name = $1, enabled = $2, authorized = $3, connected = $4, version = $5, \
             connected_at = $6, last_ping_at = $7, last_disconnected_at = $8, last_notification_sent_at = $9, \
             ip = $10, port = $11 WHERE community_id = $12 AND module_id = $13 AND uid = $14",
        )
        .bind(&b.name)
        .bind(i64::from(b.enabled))
        .bind(i64::from(b.authorized))
        .bind(i64::from(b.connected))
        .bind(&b.version)
        .bind(b.connected_at)
        .bind(b.last_ping_at)
        .bind(b.last_disconnected_at)
        .bind(b.last_notification_sent_at)
        .bind(&b.ip)
        .bind(&b.port)
        .bind(&b.community_id)
        .bind(&b.module_id)
        .bind(&b.uid)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self, community_id: &str, uid: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE broker_connections SET connected = 1, last_ping_at = $1 WHERE community_id = $2 AND uid = $3",
        )
        .bind(at)
        .bind(community_id)
        .bind(uid)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, community_id: &str, module_id: &str, uid: &str) -> Result<bool, StoreError> {
        let done =
            sqlx::query("DELETE FROM broker_connections WHERE community_id = $1 AND module_id = $2 AND uid = $3")
                .bind(community_id)
                .bind(module_id)
                .bind(uid)
                .execute(self.db.pool())
                .await?;
        Ok(done.rows_affected() > 0)
    }
}
