//! Download jobs: a report asked for with a `download` object becomes a job (`Pending`), produced
//! in the background into a CSV file kept with the job (`Completed`, or `Failed`), unless it was
//! cancelled first (`Cancelled`). A job belongs to the community it reports on; a login session
//! sees the jobs of its community and the jobs it asked for.

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde_json::{Value, json};

use super::csv::Table;
use super::window::Window;
use crate::domain::messaging::Message;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Completed,
    Failed,
    Cancelled,
}

impl JobStatus {
    /// The name in replies and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Completed => "Completed",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Pending, Self::Completed, Self::Failed, Self::Cancelled].into_iter().find(|s| s.as_str() == name)
    }
}

/// A download job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// A UUID.
    pub id: String,
    pub tenant_id: String,
    /// The tenant's DNS name, for the download link.
    pub tenant_dns: String,
    pub community_id: String,
    /// The report (`events`, `audit_log`, `metrics`, `hardware_tokens`…).
    pub kind: String,
    pub status: JobStatus,
    /// Who asked: the username of the login session (or the `requestBy` of a metrics download).
    pub requested_by: String,
    /// The uid of the login session that asked.
    pub requested_by_uid: String,
    /// The addresses told when it is ready.
    pub notify: Vec<String>,
    /// The window of the report, when it has one.
    pub window: Option<Window>,
    /// Epoch milliseconds.
    pub created_at: i64,
    pub completed_at: Option<i64>,
    /// The size of the CSV file in bytes, once produced.
    pub size: Option<i64>,
}

/// Who is looking: a login session's community and uid.
#[derive(Debug, Clone, Copy)]
pub struct Viewer<'a> {
    pub community_id: &'a str,
    pub uid: &'a str,
}

impl Job {
    /// Whether `viewer` may see the job.
    pub fn visible_to(&self, viewer: Viewer<'_>) -> bool {
        self.community_id == viewer.community_id || self.requested_by_uid == viewer.uid
    }

    /// Where the file is downloaded from.
    pub fn link(&self) -> String {
        format!(
            "https://{}/downloads/reports/tenant/{}/community/{}/job/{}/report.csv",
            self.tenant_dns, self.tenant_id, self.community_id, self.id
        )
    }

    /// The job as `POST /reports/download/jobs` shows it.
    pub fn reply(&self) -> Value {
        let mut reply = json!({
            "jobId": self.id,
            "reportType": self.kind,
            "createdAt": self.created_at,
            "status": self.status.as_str(),
            "requestedBy": self.requested_by,
            "sendNotificationTo": self.notify,
            "tenantId": self.tenant_id,
            "communityId": self.community_id,
        });
        if let Some(w) = self.window {
            reply["from"] = json!(super::window::format_date(w.from));
            reply["to"] = json!(super::window::format_date(w.to));
        }
        if let Some(at) = self.completed_at {
            reply["completedAt"] = json!(at);
        }
        if let Some(size) = self.size {
            reply["size"] = json!(size);
        }
        if self.status == JobStatus::Completed {
            reply["downloadLink"] = json!(self.link());
        }
        reply
    }
}

/// A field jobs are sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobField {
    CreatedAt,
    CompletedAt,
    Status,
    Size,
    RequestedBy,
    ReportType,
}

impl JobField {
    /// The names a request may sort by.
    pub const NAMES: [&'static str; 6] = ["createdAt", "completedAt", "status", "size", "requestedBy", "reportType"];

    fn parse(name: &str) -> Option<Self> {
        let all = [Self::CreatedAt, Self::CompletedAt, Self::Status, Self::Size, Self::RequestedBy, Self::ReportType];
        Self::NAMES.iter().position(|n| *n == name).and_then(|i| all.get(i).copied())
    }
}

/// One sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobSort {
    pub field: JobField,
    pub descending: bool,
}

/// The most sort keys.
pub const MAX_SORT_KEYS: usize = 6;

/// The sort keys of a request (`[{field, order}]`, order `asc` or `desc`, `asc` by default);
/// none: newest first.
pub fn parse_sort(keys: &[(String, Option<String>)]) -> Result<Vec<JobSort>, DomainError> {
    if keys.len() > MAX_SORT_KEYS {
        return Err(DomainError::Invalid(format!("sort may have at most {MAX_SORT_KEYS} entries")));
    }
    let mut sort = Vec::with_capacity(keys.len());
    for (field, order) in keys {
        let field = JobField::parse(field)
            .ok_or_else(|| DomainError::Invalid(format!("sort.field must be one of {}", JobField::NAMES.join(", "))))?;
        let descending = match order.as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(DomainError::Invalid("sort.order must be asc or desc".into())),
        };
        sort.push(JobSort { field, descending });
    }
    if sort.is_empty() {
        sort.push(JobSort { field: JobField::CreatedAt, descending: true });
    }
    Ok(sort)
}

/// Where jobs are kept (`crate::store::SqlReports`).
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Keeps a new job.
    async fn insert_job(&self, job: &Job) -> Result<(), StoreError>;
    /// Ends a `Pending` job as `status` at `at`, with its file: whether it was pending.
    async fn finish_job(&self, id: &str, status: JobStatus, content: Option<&str>, at: i64)
    -> Result<bool, StoreError>;
    /// The job `id`.
    async fn job(&self, id: &str) -> Result<Option<Job>, StoreError>;
    /// The file of a completed job.
    async fn job_content(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// How many jobs `viewer` sees, and `limit` of them from `offset` in `sort` order.
    async fn jobs(
        &self,
        viewer: Viewer<'_>,
        sort: &[JobSort],
        offset: u64,
        limit: u64,
    ) -> Result<(u64, Vec<Job>), StoreError>;
}

fn not_found() -> DomainError {
    DomainError::NotFound("download job not found".into())
}

/// The job `id` if `viewer` sees it (404 otherwise, whether or not it exists elsewhere).
pub async fn visible(store: &dyn JobStore, viewer: Viewer<'_>, id: &str) -> Result<Job, DomainError> {
    match store.job(id).await? {
        Some(job) if job.visible_to(viewer) => Ok(job),
        _ => Err(not_found()),
    }
}

/// Cancels the pending job `id` at `now`; a job already cancelled stays so; a finished one is a
/// 409.
pub async fn cancel(store: &dyn JobStore, viewer: Viewer<'_>, id: &str, now: i64) -> Result<(), DomainError> {
    let job = visible(store, viewer, id).await?;
    if job.status == JobStatus::Cancelled
        || (job.status == JobStatus::Pending && store.finish_job(id, JobStatus::Cancelled, None, now).await?)
    {
        return Ok(());
    }
    Err(DomainError::Conflict("the download job has already finished".into()))
}

/// Ends the job `id` with what producing it gave, at `now`: the job as it is now when it was
/// still pending (`None` when it was cancelled meanwhile).
pub async fn complete(
    store: &dyn JobStore,
    id: &str,
    produced: Result<Table, DomainError>,
    now: i64,
) -> Result<Option<Job>, StoreError> {
    let done = match produced {
        Ok(table) => store.finish_job(id, JobStatus::Completed, Some(&table.to_csv()), now).await?,
        Err(e) => {
            tracing::warn!(error = %e, "download job failed");
            store.finish_job(id, JobStatus::Failed, None, now).await?
        }
    };
    if done { store.job(id).await } else { Ok(None) }
}

/// The mail telling `to` that `job` is ready.
pub fn ready_message(job: &Job, to: &str) -> Message {
    let status = job.status.as_str();
    let body = match job.status {
        JobStatus::Completed => format!(
            "The {} report you asked for is ready ({} bytes). Download it, signed in as an administrator of the community, from:\n{}\n",
            job.kind,
            job.size.unwrap_or_default(),
            job.link()
        ),
        _ => format!("The {} report you asked for could not be produced ({status}). Ask for it again.\n", job.kind),
    };
    Message { to: to.to_owned(), subject: format!("Your {} report: {status}", job.kind), body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_are_the_spec_fields_in_asc_or_desc() {
        let keys = vec![("status".to_owned(), Some("desc".to_owned())), ("size".to_owned(), None)];
        assert_eq!(
            parse_sort(&keys).unwrap(),
            vec![
                JobSort { field: JobField::Status, descending: true },
                JobSort { field: JobField::Size, descending: false }
            ]
        );
        assert_eq!(parse_sort(&[]).unwrap(), vec![JobSort { field: JobField::CreatedAt, descending: true }]);
        let e = parse_sort(&[("content".to_owned(), None)]).unwrap_err().to_string();
        assert!(e.starts_with("sort.field must be one of createdAt"), "{e}");
        let e = parse_sort(&[("size".to_owned(), Some("up".to_owned()))]).unwrap_err().to_string();
        assert_eq!(e, "sort.order must be asc or desc");
        assert!(parse_sort(&vec![("size".to_owned(), None); 7]).is_err());
    }

    #[test]
    fn a_job_is_seen_by_its_community_and_its_requester_only() {
        let job = Job {
            id: "j1".into(),
            tenant_id: "t1".into(),
            tenant_dns: "acme.example.com".into(),
            community_id: "c1".into(),
            kind: "events".into(),
            status: JobStatus::Completed,
            requested_by: "jane".into(),
            requested_by_uid: "u1".into(),
            notify: vec![],
            window: None,
            created_at: 1,
            completed_at: Some(2),
            size: Some(3),
        };
        assert!(job.visible_to(Viewer { community_id: "c1", uid: "u9" }));
        assert!(job.visible_to(Viewer { community_id: "c2", uid: "u1" }));
        assert!(!job.visible_to(Viewer { community_id: "c2", uid: "u9" }));
        assert_eq!(
            job.reply()["downloadLink"],
            "https://acme.example.com/downloads/reports/tenant/t1/community/c1/job/j1/report.csv"
        );
        assert_eq!(JobStatus::parse("Cancelled"), Some(JobStatus::Cancelled));
    }
}
