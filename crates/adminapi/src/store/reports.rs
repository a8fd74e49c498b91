//! [`EventStore`] and [`JobStore`] in the `report_events` and `report_jobs` tables. Filters are
//! built from the query with numbered placeholders, never from its values.

use async_trait::async_trait;
use kit::StoreError;
use kit::db::Db;

use crate::domain::reports::jobs::{JobField, Viewer};
use crate::domain::reports::window::Window;
use crate::domain::reports::{Event, EventQuery, EventStore, Job, JobSort, JobStatus, JobStore};

/// The SQL implementation.
#[derive(Debug, Clone)]
pub struct SqlReports {
    db: Db,
}

impl SqlReports {
    /// Over a migrated database.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// A value to bind.
#[derive(Debug, Clone)]
enum Arg {
    Text(String),
    Int(i64),
}

/// A `WHERE` clause and its arguments.
#[derive(Debug, Default)]
struct Filter {
    clause: String,
    args: Vec<Arg>,
}

impl Filter {
    /// The placeholder of a new argument.
    fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    fn and(&mut self, condition: &str) {
        self.clause.push_str(if self.clause.is_empty() { " WHERE " } else { " AND " });
        self.clause.push_str(condition);
    }

    fn equals(&mut self, column: &str, value: Option<&String>) {
        if let Some(v) = value {
            let p = self.arg(Arg::Text(v.clone()));
            self.and(&format!("{column} = {p}"));
        }
    }

    fn any_of(&mut self, column: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let list: Vec<String> = values.iter().map(|v| self.arg(Arg::Text(v.clone()))).collect();
        self.and(&format!("{column} IN ({})", list.join(", ")));
    }

    fn of_events(q: &EventQuery) -> Self {
        let mut f = Self::default();
        let (c, from, to) = (f.arg(Arg::Text(q.community_id.clone())), f.arg(Arg::Int(q.from)), f.arg(Arg::Int(q.to)));
        f.and(&format!("community_id = {c} AND event_ts >= {from} AND event_ts <= {to}"));
        f.any_of("event_name", &q.names);
        f.equals("user_id", q.user_id.as_ref());
        f.equals("outcome", q.outcome.as_ref());
        f.equals("broker_id", q.broker_id.as_ref());
        f.equals("auth_method", q.auth_method.as_ref());
        f.equals("application", q.application.as_ref());
        f.any_of("session_id", &q.session_ids);
        f
    }
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    args: &[Arg],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    for a in args {
        q = match a {
            Arg::Text(t) => q.bind(t.clone()),
            Arg::Int(i) => q.bind(*i),
        };
    }
    q
}

fn limit_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[derive(sqlx::FromRow)]
struct EventRow {
    tenant_id: String,
    community_id: String,
    event_name: String,
    user_id: String,
    outcome: String,
    session_id: String,
    broker_id: String,
    auth_method: String,
    application: String,
    event_ts: i64,
    data: String,
}

impl EventRow {
    fn event(self) -> Result<Event, StoreError> {
        let data =
            serde_json::from_str(&self.data).map_err(|e| StoreError::Corrupt(format!("report_events.data: {e}")))?;
        Ok(Event {
            tenant_id: self.tenant_id,
            community_id: self.community_id,
            event_name: self.event_name,
            user_id: self.user_id,
            outcome: self.outcome,
            session_id: self.session_id,
            broker_id: self.broker_id,
            auth_method: self.auth_method,
            application: self.application,
            event_ts: self.event_ts,
            data,
        })
    }
}

const EVENT_COLUMNS: &str = "tenant_id, community_id, event_name, user_id, outcome, session_id, broker_id, \
                             auth_method, application, event_ts, data";

#[async_trait]
impl EventStore for SqlReports {
    #[tracing::instrument(skip_all)]
    async fn insert(&self, e: &Event) -> Result<(), StoreError> {
        let data = serde_json::to_string(&e.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO report_events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )))
        .bind(&e.tenant_id)
        .bind(&e.community_id)
        .bind(&e.event_name)
        .bind(&e.user_id)
        .bind(&e.outcome)
        .bind(&e.session_id)
        .bind(&e.broker_id)
        .bind(&e.auth_method)
        .bind(&e.application)
        .bind(e.event_ts)
        .bind(data)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn page(&self, query: &EventQuery, offset: u64, limit: u64) -> Result<(u64, Vec<Event>), StoreError> {
        let mut f = Filter::of_events(query);
        let count_sql = format!("SELECT COUNT(*) AS n FROM report_events{}", f.clause);
        let (n,): (i64,) =
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(count_sql)), &f.args).fetch_one(self.db.pool()).await?;
        let (l, o) = (f.arg(Arg::Int(limit_of(limit))), f.arg(Arg::Int(limit_of(offset))));
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM report_events{} ORDER BY event_ts DESC, id DESC LIMIT {l} OFFSET {o}",
            f.clause
        );
        let rows: Vec<EventRow> =
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &f.args).fetch_all(self.db.pool()).await?;
        let events = rows.into_iter().map(EventRow::event).collect::<Result<_, _>>()?;
        Ok((u64::try_from(n).unwrap_or_default(), events))
    }

    #[tracing::instrument(skip_all)]
    async fn latest_by_user(
        &self,
        community_id: &str,
        name: &str,
        user_ids: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut f = Filter::default();
        let (c, e) = (f.arg(Arg::Text(community_id.to_owned())), f.arg(Arg::Text(name.to_owned())));
        f.and(&format!("community_id = {c} AND event_name = {e}"));
        f.any_of("user_id", user_ids);
        let sql = format!("SELECT user_id, MAX(event_ts) AS at FROM report_events{} GROUP BY user_id", f.clause);
        Ok(bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &f.args).fetch_all(self.db.pool()).await?)
    }
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: String,
    tenant_id: String,
    tenant_dns: String,
    community_id: String,
    kind: String,
    status: String,
    requested_by: String,
    requested_by_uid: String,
    notify: String,
    window_from: Option<i64>,
    window_to: Option<i64>,
    created_at: i64,
    completed_at: Option<i64>,
    size: Option<i64>,
}

impl JobRow {
    fn job(self) -> Result<Job, StoreError> {
        let status = JobStatus::parse(&self.status)
            .ok_or_else(|| StoreError::Corrupt("report_jobs.status: an unknown status".into()))?;
        let notify =
            serde_json::from_str(&self.notify).map_err(|e| StoreError::Corrupt(format!("report_jobs.notify: {e}")))?;
        let window = match (self.window_from, self.window_to) {
            (Some(from), Some(to)) => Some(Window { from, to }),
            _ => None,
        };
        Ok(Job {
            id: self.id,
            tenant_id: self.tenant_id,
            tenant_dns: self.tenant_dns,
            community_id: self.community_id,
            kind: self.kind,
            status,
            requested_by: self.requested_by,
            requested_by_uid: self.requested_by_uid,
            notify,
            window,
            created_at: self.created_at,
            completed_at: self.completed_at,
            size: self.size,
        })
    }
}

const JOB_COLUMNS: &str = "id, tenant_id, tenant_dns, community_id, kind, status, requested_by, requested_by_uid, \
                           notify, window_from, window_to, created_at, completed_at, size";

fn column(field: JobField) -> (&'static str, bool) {
    match field {
        JobField::CreatedAt => ("created_at", false),
        JobField::CompletedAt => ("completed_at", true),
        JobField::Status => ("status", false),
        JobField::Size => ("size", true),
        JobField::RequestedBy => ("requested_by", false),
        JobField::ReportType => ("kind", false),
    }
}

/// The `ORDER BY` of `sort` (absent values last whatever the order, on both databases).
fn order_by(sort: &[JobSort]) -> String {
    let mut keys = Vec::new();
    for s in sort {
        let (col, nullable) = column(s.field);
        if nullable {
            keys.push(format!("CASE WHEN {col} IS NULL THEN 1 ELSE 0 END"));
        }
        keys.push(format!("{col} {}", if s.descending { "DESC" } else { "ASC" }));
    }
    keys.push("created_at DESC".into());
    keys.push("id ASC".into());
    keys.join(", ")
}

#[async_trait]
impl JobStore for SqlReports {
    #[tracing::instrument(skip_all)]
    async fn insert_job(&self, j: &Job) -> Result<(), StoreError> {
        let notify = serde_json::to_string(&j.notify).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO report_jobs ({JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        )))
        .bind(&j.id)
        .bind(&j.tenant_id)
        .bind(&j.tenant_dns)
        .bind(&j.community_id)
        .bind(&j.kind)
        .bind(j.status.as_str())
        .bind(&j.requested_by)
        .bind(&j.requested_by_uid)
        .bind(notify)
        .bind(j.window.map(|w| w.from))
        .bind(j.window.map(|w| w.to))
        .bind(j.created_at)
        .bind(j.completed_at)
        .bind(j.size)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn finish_job(
        &self,
        id: &str,
        status: JobStatus,
        content: Option<&str>,
        at: i64,
    ) -> Result<bool, StoreError> {
        let size = content.map(|c| i64::try_from(c.len()).unwrap_or(i64::MAX));
        let done = sqlx::query(
            "UPDATE report_jobs SET status = $1, content = $2, size = $3, completed_at = $4 \
             WHERE id = $5 AND status = $6",
        )
        .bind(status.as_str())
        .bind(content.map(str::to_owned))
        .bind(size)
        .bind(at)
        .bind(id)
        .bind(JobStatus::Pending.as_str())
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn job(&self, id: &str) -> Result<Option<Job>, StoreError> {
        let row: Option<JobRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {JOB_COLUMNS} FROM report_jobs WHERE id = $1")))
                .bind(id)
                .fetch_optional(self.db.pool())
                .await?;
        row.map(JobRow::job).transpose()
    }

    async fn job_content(&self, id: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = sqlx::query_as("SELECT content FROM report_jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.and_then(|r| r.0))
    }

    #[tracing::instrument(skip_all)]
    async fn jobs(
        &self,
        viewer: Viewer<'_>,
        sort: &[JobSort],
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Job>), StoreError> {
        let mut f = Filter::default();
        let (c, u) = (f.arg(Arg::Text(viewer.community_id.to_owned())), f.arg(Arg::Text(viewer.uid.to_owned())));
        f.and(&format!("(community_id = {c} OR requested_by_uid = {u})"));
        let (n,): (i64,) = bind_all(
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM report_jobs{}", f.clause))),
            &f.args,
        )
        .fetch_one(self.db.pool())
        .await?;
        let (l, o) = (f.arg(Arg::Int(limit_of(limit))), f.arg(Arg::Int(limit_of(offset))));
        let sql = format!(
            "SELECT {JOB_COLUMNS} FROM report_jobs{} ORDER BY {} LIMIT {l} OFFSET {o}",
            f.clause,
            order_by(sort)
        );
        let rows: Vec<JobRow> =
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &f.args).fetch_all(self.db.pool()).await?;
        let jobs = rows.into_iter().map(JobRow::job).collect::<Result<_, _>>()?;
        Ok((u64::try_from(n).unwrap_or_default(), jobs))
    }
}
