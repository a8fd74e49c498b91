//! Events: the raw events of a community, the audit log of its configuration, the login
//! activity, and `PUT /reports/event`, which writes one.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::AppResult;
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{DownloadRequest, Export, JobRequest, notification_list, start_job};
use crate::State;
use crate::domain::audit::{ChangeQuery, audit_event};
use crate::domain::reports::window::{DAY_MS, FUTURE_SLACK_MS, MAX_DAYS_BACK, Page, Window};
use crate::domain::reports::{Event, EventQuery, check_event_data, names};
use crate::domain::roles::permission;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator, LoggedIn};

/// A text filter: absent when not given or empty.
fn filter(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Body of `POST /reports/audit_log`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AuditLogRequest {
    tenantId: String,
    communityId: String,
    /// Events per page (1 to 100, default 10).
    pSize: Option<u64>,
    /// The page, from 0.
    pIndex: Option<u64>,
    /// `YYYY-MM-DD HH:mm:ss.SSS` (UTC), within the last 90 days; default: 30 days before `to`.
    from: Option<String>,
    /// `YYYY-MM-DD HH:mm:ss.SSS` (UTC); default: now.
    to: Option<String>,
    /// The uid of the administrator who made the changes.
    user_id: Option<String>,
    download: Option<DownloadRequest>,
}

/// Fetch Audit log Report.
///
/// The community's configuration changes in the window as `AUDIT_LOG` events (`eventName` such
/// as `E_SP_CREATED`, `E_IDP_CONFIGURATION_MODIFIED`, `E_<KIND>_MODIFIED`; `user_id` the uid of
/// the administrator; `fields` the names of the changed fields, never their values), newest
/// first: `{page: {pSize, pIndex, total}, data: {auditLogEvents}}`. With `download`: a download
/// job, `{jobId}`. Administrators of the community.
#[utoipa::path(
    post,
    path = "/reports/audit_log",
    request_body = Sealable<AuditLogRequest>,
    responses(
        (status = 200, description = "The page, or `jobId`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad window, page or download", body = ErrorBody),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn audit_log(
    admin: AdminSession<Administrator>,
    body: Body<AuditLogRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let window = Window::parse(r.from.as_deref(), r.to.as_deref(), state.clock.epoch_ms())?;
    let page = Page::parse(r.pIndex, r.pSize)?;
    let actor = filter(r.user_id);
    if let Some(d) = r.download {
        let notify = notification_list(d.notification_list.as_deref())?;
        let export = Export::Audit { community_id: community.id.clone(), window, actor };
        let job =
            JobRequest { community: &community, kind: "audit_log", window: Some(window), notify, requested_by: None };
        let reply = start_job(&state, &admin, job, export).await?;
        return Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?);
    }
    let q = ChangeQuery {
        community_id: &community.id,
        from: window.from.div_euclid(1000),
        to: window.to.div_euclid(1000),
        actor: actor.as_deref(),
    };
    let (total, changes) = state.stores.audit.page(&q, page.offset(), page.size).await?;
    let events: Vec<Value> = changes.iter().map(audit_event).collect();
    let reply = json!({"page": page.reply(total), "data": {"auditLogEvents": events}});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /reports/events`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct EventsRequest {
    tenantId: String,
    communityId: String,
    pSize: Option<u64>,
    pIndex: Option<u64>,
    from: Option<String>,
    to: Option<String>,
    user_id: Option<String>,
    eventName: Option<String>,
    outcome: Option<String>,
    broker_id: Option<String>,
    download: Option<DownloadRequest>,
}

/// Fetch Events.
///
/// The community's raw events in the window (those written by `PUT /reports/event` and
/// adminapi's own logins, `E_LOGIN_SUCCEEDED` and `E_LOGIN_FAILED`), newest first, filtered by
/// `user_id`, `eventName`, `outcome` and `broker_id` (exact values): `{page: {pSize, pIndex,
/// total}, data: [event]}`. With `download`: a download job, `{jobId}`. Administrators of the
/// community.
#[utoipa::path(
    post,
    path = "/reports/events",
    request_body = Sealable<EventsRequest>,
    responses(
        (status = 200, description = "The page, or `jobId`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad window, page or download", body = ErrorBody),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_events(
    admin: AdminSession<Administrator>,
    body: Body<EventsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let window = Window::parse(r.from.as_deref(), r.to.as_deref(), state.clock.epoch_ms())?;
    let page = Page::parse(r.pIndex, r.pSize)?;
    let query = EventQuery {
        community_id: community.id.clone(),
        from: window.from,
        to: window.to,
        names: filter(r.eventName).into_iter().collect(),
        user_id: filter(r.user_id),
        outcome: filter(r.outcome),
        broker_id: filter(r.broker_id),
        ..EventQuery::default()
    };
    if let Some(d) = r.download {
        let notify = notification_list(d.notification_list.as_deref())?;
        let job =
            JobRequest { community: &community, kind: "events", window: Some(window), notify, requested_by: None };
        let reply = start_job(&state, &admin, job, Export::Events(query)).await?;
        return Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?);
    }
    let (total, events) = state.stores.report_events.page(&query, page.offset(), page.size).await?;
    let data: Vec<Value> = events.into_iter().map(|e| e.data).collect();
    let reply = json!({"page": page.reply(total), "data": data});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// `serverEventData` of `PUT /reports/event`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerEventData {
    /// Use the caller's address as `caller_ip` (`remote_address` in the reference's example).
    #[serde(alias = "remote_address")]
    caller_ip: Option<bool>,
    /// Set `event_ts` to the server's time, in milliseconds.
    event_ts: Option<bool>,
}

/// Body of `PUT /reports/event`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct StoreEventRequest {
    tenantId: String,
    communityId: String,
    /// The event: `type`, `eventName` (`E_` and capitals, digits, `_`), `event_id`,
    /// `caller_user_agent` and `version` (strings) are required; `event_ts` (epoch milliseconds,
    /// within the last 90 days) optional; any other field is kept (16 KiB at most).
    #[schema(value_type = Object)]
    eventData: Option<Map<String, Value>>,
    serverEventData: Option<ServerEventData>,
}

/// Store Event.
///
/// Keeps one event of the community for the reports. `eventData` as described on its schema;
/// `serverEventData.caller_ip: true` sets `caller_ip` to the caller's address, `event_ts: true`
/// sets `event_ts` to the server's time (also the default when the event has none). 200, no
/// body. Any verified caller (no license, no login), as the reference has it.
#[utoipa::path(
    put,
    path = "/reports/event",
    request_body = Sealable<StoreEventRequest>,
    responses(
        (status = 200, description = "Kept"),
        (status = 400, description = "A missing or bad field of eventData", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn store_event(
    _caller: Caller,
    req: HttpRequest,
    body: Body<StoreEventRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let named = Named { community_id: &r.communityId, tenant_id: Some(&r.tenantId), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let mut data = r.eventData.ok_or_else(|| ApiError::bad_request("eventData is required"))?;
    check_event_data(&data)?;
    let server = r.serverEventData.unwrap_or_default();
    let now = state.clock.epoch_ms();
    let event_ts = match (server.event_ts, data.get("event_ts")) {
        (Some(true), _) | (_, None | Some(Value::Null)) => now,
        (_, Some(v)) => {
            v.as_i64().ok_or_else(|| ApiError::bad_request("eventData.event_ts must be epoch milliseconds"))?
        }
    };
    if event_ts < now - MAX_DAYS_BACK * DAY_MS || event_ts > now + FUTURE_SLACK_MS {
        return Err(
            ApiError::bad_request(format!("eventData.event_ts must be within the last {MAX_DAYS_BACK} days")).into()
        );
    }
    data.insert("event_ts".into(), json!(event_ts));
    if server.caller_ip == Some(true) {
        let ip = crate::routes::authenticate::steps::client_ip(&req, &state);
        data.insert("caller_ip".into(), ip.map_or(Value::Null, |ip| json!(ip.to_string())));
    }
    data.insert("tenant_id".into(), json!(community.tenant_id));
    data.insert("community_id".into(), json!(community.id));
    let name = data.get("eventName").and_then(Value::as_str).unwrap_or_default().to_owned();
    let event = Event::of(&community.tenant_id, &community.id, &name, event_ts, Value::Object(data));
    state.stores.report_events.insert(&event).await?;
    tracing::info!(event = %event.event_name, "report event kept");
    Ok(HttpResponse::Ok().finish())
}

/// Body of `POST /reports/login_activity`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct LoginActivityRequest {
    tenantId: String,
    communityId: String,
    pSize: Option<u64>,
    pIndex: Option<u64>,
    from: Option<String>,
    to: Option<String>,
    /// Administrators only: the user whose activity is shown.
    user_id: Option<String>,
    /// `otp`, `qr`…
    auth_method: Option<String>,
    /// The application (service provider), such as `gsuite`.
    application: Option<String>,
    download: Option<DownloadRequest>,
}

/// How many login events one page of activity may look up.
const MAX_SESSIONS: u64 = 1000;

/// Fetch Login Activity Report.
///
/// The `E_SP_REDIRECT_SUCCEEDED` events of the window, newest first, and for each `session_id`
/// among them its `E_LOGIN_SUCCEEDED` event: `{page: {pSize, pIndex, total}, data:
/// {activityEvents: [event], loginEvents: {session_id: event}}}`. An administrator of the
/// community sees every user's (`user_id` filters); any other logged-in user only their own, in
/// their own community. `auth_method` and `application` filter. With `download`: a download job
/// of the activity events, `{jobId}`.
#[utoipa::path(
    post,
    path = "/reports/login_activity",
    request_body = Sealable<LoginActivityRequest>,
    responses(
        (status = 200, description = "The page, or `jobId`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad window, page or download", body = ErrorBody),
        (status = 403, description = "Another community than the user's", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn login_activity(
    admin: AdminSession<LoggedIn>,
    body: Body<LoginActivityRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let is_admin = admin.role.grants(permission::ADMIN);
    let user_id = if is_admin { filter(r.user_id) } else { Some(admin.session.username.clone()) };
    let window = Window::parse(r.from.as_deref(), r.to.as_deref(), state.clock.epoch_ms())?;
    let page = Page::parse(r.pIndex, r.pSize)?;
    let query = EventQuery {
        community_id: community.id.clone(),
        from: window.from,
        to: window.to,
        names: vec![names::SP_REDIRECT_SUCCEEDED.to_owned()],
        user_id,
        auth_method: filter(r.auth_method),
        application: filter(r.application),
        ..EventQuery::default()
    };
    if let Some(d) = r.download {
        if !is_admin {
            return Err(ApiError::forbidden(format!("the role {} may not ask for downloads", admin.role.name)).into());
        }
        let notify = notification_list(d.notification_list.as_deref())?;
        let job = JobRequest {
            community: &community,
            kind: "login_activity",
            window: Some(window),
            notify,
            requested_by: None,
        };
        let reply = start_job(&state, &admin, job, Export::Events(query)).await?;
        return Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?);
    }
    let (total, activity) = state.stores.report_events.page(&query, page.offset(), page.size).await?;
    let mut sessions: Vec<String> = activity.iter().map(|e| e.session_id.clone()).filter(|s| !s.is_empty()).collect();
    sessions.sort();
    sessions.dedup();
    let mut logins = BTreeMap::new();
    if !sessions.is_empty() {
        let q = EventQuery {
            community_id: community.id.clone(),
            from: 0,
            to: window.to,
            names: vec![names::LOGIN_SUCCEEDED.to_owned()],
            session_ids: sessions,
            ..EventQuery::default()
        };
        // Newest first: the first login event of a session is its latest.
        for e in state.stores.report_events.page(&q, 0, MAX_SESSIONS).await?.1 {
            logins.entry(e.session_id.clone()).or_insert(e.data);
        }
    }
    let activity: Vec<Value> = activity.into_iter().map(|e| e.data).collect();
    let reply = json!({"page": page.reply(total), "data": {"activityEvents": activity, "loginEvents": logins}});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
