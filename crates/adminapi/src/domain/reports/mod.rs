//! Reports: the events of a community (written by `PUT /reports/event` and by adminapi's own
//! logins), read back by community and time window ([`EventStore`]), and download jobs that turn
//! a report into a CSV file kept with its status ([`jobs`], [`JobStore`]). The rules of the
//! requests (the window, paging) are in [`window`]; the metrics computed from events in
//! [`metrics`].

pub mod csv;
pub mod jobs;
pub mod metrics;
pub mod window;

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde_json::{Map, Value};

pub use jobs::{Job, JobSort, JobStatus, JobStore};

/// Event names the reports and adminapi's logins use.
pub mod names {
    /// A user signed in (adminapi's logins record it with their login session as `session_id`).
    pub const LOGIN_SUCCEEDED: &str = "E_LOGIN_SUCCEEDED";
    /// A sign-in was refused.
    pub const LOGIN_FAILED: &str = "E_LOGIN_FAILED";
    /// A user was sent on to a service provider (the login activity report lists them).
    pub const SP_REDIRECT_SUCCEEDED: &str = "E_SP_REDIRECT_SUCCEEDED";
    /// A new device was registered (the device metrics count them).
    pub const NEW_DEVICE: &str = "E_NEW_DEVICE_REGISTERED";
}

/// One reported event: the fields the reports filter on, and the whole event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub tenant_id: String,
    pub community_id: String,
    pub event_name: String,
    /// `user_id` of the event (empty when it has none).
    pub user_id: String,
    pub outcome: String,
    pub session_id: String,
    pub broker_id: String,
    pub auth_method: String,
    pub application: String,
    /// Epoch milliseconds.
    pub event_ts: i64,
    /// The whole event, a JSON object.
    pub data: Value,
}

impl Event {
    /// The event of `data` (a JSON object whose `eventName` and `event_ts` are set) in a
    /// community: the filtered fields are read from it (`user_id`, `outcome`, `session_id`,
    /// `broker_id`, `auth_method`, `application`; a field that is not a string counts as absent).
    pub fn of(tenant_id: &str, community_id: &str, event_name: &str, event_ts: i64, data: Value) -> Self {
        let text = |name: &str| data.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        Self {
            tenant_id: tenant_id.to_owned(),
            community_id: community_id.to_owned(),
            event_name: event_name.to_owned(),
            user_id: text("user_id"),
            outcome: text("outcome"),
            session_id: text("session_id"),
            broker_id: text("broker_id"),
            auth_method: text("auth_method"),
            application: text("application"),
            event_ts,
            data,
        }
    }
}

/// Which events of one community a report reads: the window is `[from, to]` in epoch
/// milliseconds; an empty list or `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    pub community_id: String,
    pub from: i64,
    pub to: i64,
    pub names: Vec<String>,
    pub user_id: Option<String>,
    pub outcome: Option<String>,
    pub broker_id: Option<String>,
    pub auth_method: Option<String>,
    pub application: Option<String>,
    pub session_ids: Vec<String>,
}

/// Where events are kept (`crate::store::SqlReports`).
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Keeps one event.
    async fn insert(&self, event: &Event) -> Result<(), StoreError>;
    /// How many events match, and `limit` of them from `offset`, newest first.
    async fn page(&self, query: &EventQuery, offset: u64, limit: u64) -> Result<(u64, Vec<Event>), StoreError>;
    /// The time of the latest event named `name` of each of `user_ids` in the community (epoch
    /// milliseconds), for those that have one.
    async fn latest_by_user(
        &self,
        community_id: &str,
        name: &str,
        user_ids: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError>;
}

/// The event adminapi records for one of its own logins (`names::LOGIN_SUCCEEDED` with the login
/// session as `session_id`, or `names::LOGIN_FAILED` without one) at `now` (epoch milliseconds).
pub fn login_event(
    name: &str,
    tenant_id: &str,
    community_id: &str,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> Event {
    let outcome = if name == names::LOGIN_SUCCEEDED { "SUCCESS" } else { "FAILURE" };
    let data = serde_json::json!({
        "type": "event",
        "eventName": name,
        "event_id": uuid::Uuid::new_v4().to_string(),
        "version": env!("CARGO_PKG_VERSION"),
        "service_name": crate::SERVICE,
        "tenant_id": tenant_id,
        "community_id": community_id,
        "user_id": user_id,
        "session_id": session_id,
        "outcome": outcome,
        "event_ts": now,
    });
    Event::of(tenant_id, community_id, name, now, data)
}

/// The most rows a report reads at once (a CSV file, the metrics of a window).
pub const MAX_ROWS: u64 = 100_000;

/// Records `event`, logging rather than failing when the store refuses: a report is never the
/// reason a login fails.
pub async fn record_quietly(store: &dyn EventStore, event: &Event) {
    if let Err(e) = store.insert(event).await {
        tracing::warn!(event = %event.event_name, error = %e, "report event not recorded");
    }
}

/// The largest event, serialised.
pub const MAX_EVENT_BYTES: usize = 16 * 1024;
/// The longest text of a required field.
const MAX_FIELD: usize = 1024;

/// Checks the `eventData` of `PUT /reports/event`, naming the first field that is wrong: `type`,
/// `eventName` (`E_` and capitals, digits, `_`), `event_id`, `caller_user_agent` and `version`
/// are required strings; the filtered fields, when given, strings; the whole at most
/// [`MAX_EVENT_BYTES`].
pub fn check_event_data(data: &Map<String, Value>) -> Result<(), DomainError> {
    for field in ["type", "eventName", "event_id", "caller_user_agent", "version"] {
        match data.get(field) {
            Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_FIELD => {}
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(DomainError::Invalid(format!(
                    "eventData.{field} is required (1 to {MAX_FIELD} characters)"
                )));
            }
            Some(_) => return Err(DomainError::Invalid(format!("eventData.{field} must be a string"))),
        }
    }
    let name = data.get("eventName").and_then(Value::as_str).unwrap_or_default();
    let well_formed = name.len() <= 100
        && name.starts_with("E_")
        && name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if !well_formed {
        return Err(DomainError::Invalid("eventData.eventName must be E_ followed by capitals, digits and _".into()));
    }
    for field in ["user_id", "outcome", "session_id", "broker_id", "auth_method", "application"] {
        match data.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.len() <= MAX_FIELD => {}
            Some(_) => {
                return Err(DomainError::Invalid(format!(
                    "eventData.{field} must be a string of at most {MAX_FIELD} characters"
                )));
            }
        }
    }
    if serde_json::to_string(data).map_or(true, |t| t.len() > MAX_EVENT_BYTES) {
        return Err(DomainError::Invalid(format!("eventData must be at most {MAX_EVENT_BYTES} bytes")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(extra: Value) -> Map<String, Value> {
        let mut base = json!({"type": "event", "eventName": "E_LOGIN_VISITED", "event_id": "e1",
            "caller_user_agent": "ua", "version": "1"});
        base.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        base.as_object().unwrap().clone()
    }

    #[test]
    fn a_written_event_needs_its_fields_and_a_well_formed_name() {
        assert!(check_event_data(&event(json!({"user_id": "jane", "anything": {"nested": [1]}}))).is_ok());
        let message = |extra: Value| check_event_data(&event(extra)).unwrap_err().to_string();
        assert_eq!(message(json!({"event_id": ""})), "eventData.event_id is required (1 to 1024 characters)");
        assert_eq!(message(json!({"version": 1})), "eventData.version must be a string");
        assert_eq!(
            message(json!({"eventName": "login"})),
            "eventData.eventName must be E_ followed by capitals, digits and _"
        );
        assert_eq!(message(json!({"user_id": 7})), "eventData.user_id must be a string of at most 1024 characters");
        assert_eq!(message(json!({"blob": "x".repeat(MAX_EVENT_BYTES)})), "eventData must be at most 16384 bytes");
        let mut missing = event(json!({}));
        missing.remove("caller_user_agent");
        assert_eq!(
            check_event_data(&missing).unwrap_err().to_string(),
            "eventData.caller_user_agent is required (1 to 1024 characters)"
        );
    }
}
