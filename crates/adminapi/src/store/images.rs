//! [`ImageStore`] in the `images` table.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::audit::Change;
use crate::domain::images::{Image, ImageStore, known_type};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlImages {
    db: Db,
}

impl SqlImages {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    sha256: String,
    content_type: String,
    content: Vec<u8>,
    created_at: i64,
}

#[async_trait]
impl ImageStore for SqlImages {
    #[tracing::instrument(skip_all)]
    async fn put(&self, image: &Image, change: &Change) -> Result<(), StoreError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO images (sha256, content_type, content, size, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(&image.sha256)
        .bind(image.content_type)
        .bind(&image.content)
        .bind(i64::try_from(image.content.len()).unwrap_or(i64::MAX))
        .bind(image.created_at)
        .execute(&mut *tx)
        .await?;
        super::audit::insert_change(&mut tx, change).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get(&self, sha256: &str) -> Result<Option<Image>, StoreError> {
        let row: Option<Row> =
            sqlx::query_as("SELECT sha256, content_type, content, created_at FROM images WHERE sha256 = $1")
                .bind(sha256)
                .fetch_optional(self.db.pool())
                .await?;
        row.map(|r| {
            let content_type = known_type(&r.content_type)
                .ok_or_else(|| StoreError::Corrupt("images.content_type: not an accepted type".into()))?;
            Ok(Image { sha256: r.sha256, content_type, content: r.content, created_at: r.created_at })
        })
        .transpose()
    }
}
