//! [`BehaviorStore`] in the `behavior_enrollments` table (one row per user key; the samples'
//! features as a JSON array).

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::behavior::{BehaviorStore, Enrollment};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlBehavior {
    db: Db,
}

impl SqlBehavior {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(sqlx::FromRow)]
struct EnrollmentRow {
    phrase: String,
    samples: String,
    complete: i64,
}

fn json(samples: &[Vec<f64>]) -> Result<String, StoreError> {
    serde_json::to_string(samples).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn count(samples: &[Vec<f64>]) -> i64 {
    i64::try_from(samples.len()).unwrap_or(i64::MAX)
}

#[async_trait]
impl BehaviorStore for SqlBehavior {
    #[tracing::instrument(skip_all)]
    async fn get(&self, user_key: &str) -> Result<Option<Enrollment>, StoreError> {
        let row: Option<EnrollmentRow> =
            sqlx::query_as("SELECT phrase, samples, complete FROM behavior_enrollments WHERE user_key = $1")
                .bind(user_key)
                .fetch_optional(self.db.pool())
                .await?;
        row.map(|r| {
            let samples = serde_json::from_str(&r.samples)
                .map_err(|_| StoreError::Corrupt("behavior enrollment: unreadable samples".into()))?;
            Ok(Enrollment { phrase: r.phrase, samples, complete: r.complete != 0 })
        })
        .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn start(
        &self,
        user_key: &str,
        phrase: &str,
        first: &[f64],
        complete: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let samples = [first.to_vec()];
        let done = sqlx::query(
            "INSERT INTO behavior_enrollments (user_key, phrase, samples, sample_count, complete, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_key) DO UPDATE SET phrase = excluded.phrase, samples = excluded.samples, \
             sample_count = excluded.sample_count, complete = excluded.complete, updated_at = excluded.updated_at \
             WHERE behavior_enrollments.complete = 0",
        )
        .bind(user_key)
        .bind(phrase)
        .bind(json(&samples)?)
        .bind(count(&samples))
        .bind(i64::from(complete))
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(skip_all)]
    async fn advance(
        &self,
        user_key: &str,
        count_before: usize,
        samples: &[Vec<f64>],
        complete: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE behavior_enrollments SET samples = $1, sample_count = $2, complete = $3, updated_at = $4 \
             WHERE user_key = $5 AND sample_count = $6 AND complete = 0",
        )
        .bind(json(samples)?)
        .bind(count(samples))
        .bind(i64::from(complete))
        .bind(now)
        .bind(user_key)
        .bind(i64::try_from(count_before).unwrap_or(i64::MAX))
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(skip_all)]
    async fn delete(&self, user_key: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM behavior_enrollments WHERE user_key = $1")
            .bind(user_key)
            .execute(self.db.pool())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
