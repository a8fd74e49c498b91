//! [`TemplateStore`] in the `templates` table, each write's changes recorded in `config_changes`
//! in the same transaction.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use super::audit::insert_change;
use crate::domain::templates::{Channel, Purpose, Template, TemplateStore, Write};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlTemplates {
    db: Db,
}

impl SqlTemplates {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    purpose: String,
    channel: String,
    id: String,
    name: String,
    subject: Option<String>,
    data: String,
    is_default: i64,
    updated_by: String,
    updated_at: i64,
}

impl TryFrom<Row> for Template {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self, StoreError> {
        let corrupt = |field: &str| StoreError::Corrupt(format!("templates.{field}"));
        Ok(Template {
            purpose: Purpose::parse("purpose", &r.purpose).map_err(|_| corrupt("purpose"))?,
            channel: Channel::parse("channel", &r.channel).map_err(|_| corrupt("channel"))?,
            id: r.id,
            name: r.name,
            subject: r.subject,
            data: r.data,
            is_default: r.is_default != 0,
            updated_by: r.updated_by,
            updated_at: r.updated_at,
        })
    }
}

#[async_trait]
impl TemplateStore for SqlTemplates {
    async fn list(&self, community_id: &str) -> Result<Vec<Template>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT purpose, channel, id, name, subject, data, is_default, updated_by, updated_at FROM templates \
             WHERE community_id = $1 ORDER BY purpose, channel, id",
        )
        .bind(community_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.into_iter().map(Template::try_from).collect()
    }

    async fn default_of(
        &self,
        community_id: &str,
        purpose: Purpose,
        channel: Channel,
    ) -> Result<Option<Template>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT purpose, channel, id, name, subject, data, is_default, updated_by, updated_at FROM templates \
             WHERE community_id = $1 AND purpose = $2 AND channel = $3 AND is_default = 1",
        )
        .bind(community_id)
        .bind(purpose.name())
        .bind(channel.name())
        .fetch_optional(self.db.pool())
        .await?;
        row.map(Template::try_from).transpose()
    }

    #[tracing::instrument(skip_all, fields(upserts = w.upserts.len(), deletes = w.deletes.len()))]
    async fn write(&self, w: &Write) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        for t in &w.deletes {
            sqlx::query("DELETE FROM templates WHERE community_id = $1 AND purpose = $2 AND channel = $3 AND id = $4")
                .bind(&w.community_id)
                .bind(t.purpose.name())
                .bind(t.channel.name())
                .bind(&t.id)
                .execute(&mut *tx)
                .await?;
        }
        for t in &w.upserts {
            sqlx::query(
                "INSERT INTO templates (community_id, purpose, channel, id, tenant_id, name, subject, data, \
                 is_default, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (community_id, purpose, channel, id) DO UPDATE SET name = excluded.name, \
                 subject = excluded.subject, data = excluded.data, is_default = excluded.is_default, \
                 updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(&w.community_id)
            .bind(t.purpose.name())
            .bind(t.channel.name())
            .bind(&t.id)
            .bind(&w.tenant_id)
            .bind(&t.name)
            .bind(t.subject.as_deref())
            .bind(&t.data)
            .bind(i64::from(t.is_default))
            .bind(&t.updated_by)
            .bind(t.updated_at)
            .execute(&mut *tx)
            .await?;
        }
        for change in &w.changes {
            insert_change(&mut tx, change).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
