//! The catalog group Reports: a community's events ([`events`]: the raw events, the audit log of
//! its configuration, the login activity, and `PUT /reports/event` that writes one), the reports
//! computed from them and from other stores ([`summaries`]: metrics, role assignments, last
//! logins) and download jobs ([`jobs`]: the hardware token export, the job list, cancelling and
//! the file itself). Administrators of the community, but the login activity (any logged-in
//! user, who sees their own) and the event writer (any verified caller). A report asked for with
//! a `download` object becomes a job whose CSV file is produced in the background and whose
//! `notificationList` is mailed through the community's email gateway when it is ready.

pub mod events;
pub mod jobs;
pub mod summaries;

use actix_web::web;
use envelope::ApiError;
use kit::directory::CommunityRef;
use kit::{AppResult, DomainError, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::audit::{ChangeQuery, audit_event};
use crate::domain::msg_gateway::Channel;
use crate::domain::reports::csv::Table;
use crate::domain::reports::window::{Window, format_date};
use crate::domain::reports::{Event, EventQuery, Job, JobStatus, MAX_ROWS, jobs as job_rules, metrics};
use crate::session::AdminSession;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(events::audit_log),
        endpoint!(events::fetch_events),
        endpoint!(events::store_event),
        endpoint!(events::login_activity),
        endpoint!(summaries::metrics),
        endpoint!(summaries::role_assignment),
        endpoint!(summaries::user_enrollment),
        endpoint!(jobs::hardware_tokens_export),
        endpoint!(jobs::fetch_jobs),
        endpoint!(jobs::cancel_job),
        endpoint!(jobs::download_file).outside_catalog(
            "the downloadLink of a completed download job: the CSV file, for the community's administrators",
        ),
    ]
}

/// The most addresses a download may notify.
pub const MAX_NOTIFIED: usize = 5;

/// `download` of a report request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DownloadRequest {
    /// The addresses mailed when the file is ready (1 to 5).
    notification_list: Option<Vec<String>>,
}

/// The addresses of `download.notificationList`: 1 to [`MAX_NOTIFIED`] email addresses.
pub(crate) fn notification_list(list: Option<&[String]>) -> Result<Vec<String>, ApiError> {
    let field = "download.notificationList";
    let list = list.ok_or_else(|| ApiError::bad_request(format!("{field} is required with download")))?;
    if list.is_empty() || list.len() > MAX_NOTIFIED {
        return Err(ApiError::bad_request(format!("{field} must have 1 to {MAX_NOTIFIED} email addresses")));
    }
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        out.push(crate::routes::users::invitations::email(field, a)?.to_ascii_lowercase());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// What a download job produces.
#[derive(Debug, Clone)]
pub(crate) enum Export {
    /// Events, newest first.
    Events(EventQuery),
    /// The configuration changes of a community in a window, by an actor when given.
    Audit { community_id: String, window: Window, actor: Option<String> },
    /// The role assignments of a community, of some roles when given.
    Roles { community_id: String, roles: Vec<String> },
    /// A metric over a window.
    Metric { metric: metrics::Metric, query: EventQuery, window: Window, step: metrics::Step, zone: metrics::Zone },
    /// The hardware tokens of a community (only the assigned ones: `assigned_only`), never a seed.
    Tokens { community_id: String, assigned_only: bool, serials: Option<Vec<String>> },
}

fn event_table(events: &[Event]) -> Table {
    let mut t = Table::new(&[
        "event_ts",
        "eventName",
        "user_id",
        "outcome",
        "session_id",
        "auth_method",
        "application",
        "broker_id",
        "data",
    ]);
    for e in events {
        t.rows.push(vec![
            format_date(e.event_ts),
            e.event_name.clone(),
            e.user_id.clone(),
            e.outcome.clone(),
            e.session_id.clone(),
            e.auth_method.clone(),
            e.application.clone(),
            e.broker_id.clone(),
            e.data.to_string(),
        ]);
    }
    t
}

impl Export {
    /// The table of the report (at most [`MAX_ROWS`] rows).
    pub(crate) async fn table(self, state: &State) -> Result<Table, DomainError> {
        match self {
            Self::Events(q) => Ok(event_table(&state.stores.report_events.page(&q, 0, MAX_ROWS).await?.1)),
            Self::Audit { community_id, window, actor } => {
                let q = ChangeQuery {
                    community_id: &community_id,
                    from: window.from.div_euclid(1000),
                    to: window.to.div_euclid(1000),
                    actor: actor.as_deref(),
                };
                let (_, changes) = state.stores.audit.page(&q, 0, MAX_ROWS).await?;
                let mut t = Table::new(&["date", "eventName", "user_id", "kind", "record", "action", "fields"]);
                for c in &changes {
                    let e = audit_event(c);
                    let text = |name: &str| e[name].as_str().unwrap_or_default().to_owned();
                    let fields = c.fields.join(" ");
                    t.rows.push(vec![
                        text("date"),
                        text("eventName"),
                        c.actor.clone(),
                        c.kind.clone(),
                        c.record.clone(),
                        c.action.clone(),
                        fields,
                    ]);
                }
                Ok(t)
            }
            Self::Roles { community_id, roles } => {
                let mut t = Table::new(&["uid", "role", "tenantId", "communityId", "createdBy", "createdAt"]);
                for a in state.stores.authz.list(&community_id).await? {
                    if roles.is_empty() || roles.contains(&a.role) {
                        let at = format_date(a.created_at.saturating_mul(1000));
                        t.rows.push(vec![a.uid, a.role, a.tenant_id, a.community_id, a.created_by, at]);
                    }
                }
                Ok(t)
            }
            Self::Metric { metric, query, window, step, zone } => {
                let (_, events) = state.stores.report_events.page(&query, 0, MAX_ROWS).await?;
                Ok(metrics::table(metric, &metrics::compute(metric, &events, window, step, zone)))
            }
            Self::Tokens { community_id, assigned_only, serials } => {
                let header: &[&str] = if assigned_only {
                    &["username", "serialNumber", "type", "digits", "period", "lastUsedAt"]
                } else {
                    &["serialNumber", "type", "digits", "period", "counter", "username", "createdAt", "lastUsedAt"]
                };
                let mut t = Table::new(header);
                let when = |at: Option<i64>| at.map(|s| format_date(s.saturating_mul(1000))).unwrap_or_default();
                for k in state.hardware_tokens.list(&community_id).await? {
                    if serials
                        .as_ref()
                        .is_some_and(|w| !crate::routes::hardware_tokens::tokens::named(&k.serial_number, w))
                    {
                        continue;
                    }
                    let user = k.username.clone().unwrap_or_default();
                    let kind = k.token_type.as_str().to_owned();
                    if assigned_only {
                        if !user.is_empty() {
                            t.rows.push(vec![
                                user,
                                k.serial_number,
                                kind,
                                k.digits.to_string(),
                                k.period.to_string(),
                                when(k.last_used_at),
                            ]);
                        }
                    } else {
                        t.rows.push(vec![
                            k.serial_number,
                            kind,
                            k.digits.to_string(),
                            k.period.to_string(),
                            k.counter.to_string(),
                            user,
                            when(Some(k.created_at)),
                            when(k.last_used_at),
                        ]);
                    }
                }
                Ok(t)
            }
        }
    }
}

/// A new download job.
pub(crate) struct JobRequest<'a> {
    pub community: &'a CommunityRef,
    pub kind: &'a str,
    pub window: Option<Window>,
    pub notify: Vec<String>,
    /// Who asked, as shown (the session's username, or a metrics download's `requestBy`).
    pub requested_by: Option<String>,
}

/// Creates the job of `r` for `admin`, starts producing it in the background and answers
/// `{"jobId"}`.
pub(crate) async fn start_job<P>(
    state: &web::Data<State>,
    admin: &AdminSession<P>,
    r: JobRequest<'_>,
    export: Export,
) -> AppResult<Value> {
    let job = Job {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: r.community.tenant_id.clone(),
        tenant_dns: r.community.tenant_dns.clone(),
        community_id: r.community.id.clone(),
        kind: r.kind.to_owned(),
        status: JobStatus::Pending,
        requested_by: r.requested_by.unwrap_or_else(|| admin.session.username.clone()),
        requested_by_uid: admin.session.uid.clone(),
        notify: r.notify,
        window: r.window,
        created_at: state.clock.epoch_ms(),
        completed_at: None,
        size: None,
    };
    state.stores.report_jobs.insert_job(&job).await?;
    tracing::info!(job = %job.id, kind = %job.kind, "download job created");
    let (state, id) = (state.clone(), job.id.clone());
    actix_web::rt::spawn(async move { produce(&state, &id, export).await });
    Ok(json!({"jobId": job.id}))
}

/// Produces the job `id` and tells its addresses.
async fn produce(state: &State, id: &str, export: Export) {
    let produced = export.table(state).await;
    let job = match job_rules::complete(&*state.stores.report_jobs, id, produced, state.clock.epoch_ms()).await {
        Ok(Some(job)) => job,
        Ok(None) => return tracing::info!(job = %id, "download job cancelled before it was produced"),
        Err(e) => return tracing::error!(job = %id, error = %e, "download job not finished"),
    };
    tracing::info!(job = %id, status = job.status.as_str(), size = job.size, "download job finished");
    for to in &job.notify {
        let message = job_rules::ready_message(&job, to);
        if let Err(e) = state.messenger.send(&job.community_id, Channel::Email, &message).await {
            tracing::warn!(job = %id, error = %e, "download job notification not sent");
        }
    }
}
