//! [`AuditLog`] in the `config_changes` table; [`insert_change`] and [`execute_recorded`] let
//! another store record a change in the transaction that makes it.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::audit::{AuditLog, Change, ChangeQuery};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlAudit {
    db: Db,
}

impl SqlAudit {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Records `c` on `conn` (inside the caller's transaction).
pub(crate) async fn insert_change(conn: &mut sqlx::AnyConnection, c: &Change) -> Result<(), StoreError> {
    let fields = serde_json::to_string(&c.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO config_changes (tenant_id, community_id, kind, record, action, fields, actor, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&c.tenant_id)
    .bind(&c.community_id)
    .bind(&c.kind)
    .bind(&c.record)
    .bind(&c.action)
    .bind(fields)
    .bind(&c.actor)
    .bind(c.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Runs `statement` and, when it touched a row, records `change`, both in one transaction:
/// whether it touched one.
pub(crate) async fn execute_recorded<'q>(
    db: &Db,
    statement: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    change: &Change,
) -> Result<bool, StoreError> {
    let mut tx = db.pool().begin().await?;
    if statement.execute(&mut *tx).await?.rows_affected() == 0 {
        return Ok(false);
    }
    insert_change(&mut tx, change).await?;
    tx.commit().await?;
    Ok(true)
}

#[derive(sqlx::FromRow)]
struct Row {
    tenant_id: String,
    community_id: String,
    kind: String,
    record: String,
    action: String,
    fields: String,
    actor: String,
    at: i64,
}

#[async_trait]
impl AuditLog for SqlAudit {
    #[tracing::instrument(skip_all)]
    async fn record(&self, change: &Change) -> Result<(), StoreError> {
        let mut conn = self.db.pool().acquire().await?;
        insert_change(&mut conn, change).await
    }

    async fn changes(&self, community_id: &str, limit: u32) -> Result<Vec<Change>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT tenant_id, community_id, kind, record, action, fields, actor, at FROM config_changes \
             WHERE community_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(community_id)
        .bind(i64::from(limit))
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Row::change).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn page(&self, q: &ChangeQuery<'_>, offset: u64, limit: u64) -> Result<(u64, Vec<Change>), StoreError> {
        let by_actor = if q.actor.is_some() { " AND actor = $4" } else { "" };
        let filter = format!("WHERE community_id = $1 AND at >= $2 AND at <= $3{by_actor}");
        let count_sql = format!("SELECT COUNT(*) AS n FROM config_changes {filter}");
        let mut count =
            sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql)).bind(q.community_id).bind(q.from).bind(q.to);
        let (l, o) = if q.actor.is_some() { ("$5", "$6") } else { ("$4", "$5") };
        let sql = format!(
            "SELECT tenant_id, community_id, kind, record, action, fields, actor, at FROM config_changes {filter} \
             ORDER BY at DESC, id DESC LIMIT {l} OFFSET {o}"
        );
        let mut page = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(q.community_id).bind(q.from).bind(q.to);
        if let Some(actor) = q.actor {
            count = count.bind(actor);
            page = page.bind(actor);
        }
        let (n,) = count.fetch_one(self.db.pool()).await?;
        let rows = page
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(self.db.pool())
            .await?;
        let changes = rows.into_iter().map(Row::change).collect::<Result<_, _>>()?;
        Ok((u64::try_from(n).unwrap_or_default(), changes))
    }
}

impl Row {
    fn change(self) -> Result<Change, StoreError> {
        let r = self;
        let fields =
            serde_json::from_str(&r.fields).map_err(|e| StoreError::Corrupt(format!("config_changes.fields: {e}")))?;
        Ok(Change {
            tenant_id: r.tenant_id,
            community_id: r.community_id,
            kind: r.kind,
            record: r.record,
            action: r.action,
            fields,
            actor: r.actor,
            at: r.at,
        })
    }
}
