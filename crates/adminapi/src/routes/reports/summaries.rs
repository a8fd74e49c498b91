//! Reports computed from events and other stores: metrics, role assignments, last logins.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{DownloadRequest, Export, JobRequest, notification_list, start_job};
use crate::State;
use crate::domain::reports::metrics::{self, Metric, Zone};
use crate::domain::reports::window::{Page, Window, format_date};
use crate::domain::reports::{EventQuery, MAX_ROWS, names};
use crate::domain::roles;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// `download.eventData` of `POST /reports/metrics`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsEventData {
    tenant_dns: Option<String>,
    user_id: Option<String>,
}

/// `download` of `POST /reports/metrics`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct MetricsDownload {
    /// The requester's email address.
    requestBy: Option<String>,
    /// 1 to 5 email addresses.
    notificationList: Option<Vec<String>>,
    eventData: Option<MetricsEventData>,
}

/// Body of `POST /reports/metrics`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct MetricsRequest {
    tenantId: String,
    communityId: String,
    from: Option<String>,
    /// Equal to `from`: the hourly metrics of that day.
    to: Option<String>,
    /// `M_C_ACTIVE_USER`, `M_C_LOGIN_FAILED`, `M_C_LOGINS`, `M_C_NEW_DEVICES`,
    /// `M_G_APPLICATION_USAGE`, `M_G_LOGIN_FAILED`, `M_GT_SUCCESSFUL_AUTHENTICATIONS` or
    /// `M_T_NEW_DEVICES`.
    metricsName: Option<String>,
    /// `UTC` (default) or a fixed offset `±HH:MM`.
    responseTimezone: Option<String>,
    download: Option<MetricsDownload>,
}

/// The checked `download` of a metrics request: the requester and the addresses.
fn metrics_download(d: &MetricsDownload) -> Result<(String, Vec<String>), ApiError> {
    let by = d.requestBy.as_deref().ok_or_else(|| ApiError::bad_request("download.requestBy is required"))?;
    let by = crate::routes::users::invitations::email("download.requestBy", by)?;
    let notify = notification_list(d.notificationList.as_deref())?;
    let data = d.eventData.as_ref().ok_or_else(|| ApiError::bad_request("download.eventData is required"))?;
    for (field, value) in [("tenant_dns", &data.tenant_dns), ("user_id", &data.user_id)] {
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            return Err(ApiError::bad_request(format!("download.eventData.{field} is required")));
        }
    }
    Ok((by, notify))
}

/// Fetch metrics.
///
/// One metric of the community's events in the window: for `M_C_*` `{count}` (distinct users
/// for `M_C_ACTIVE_USER`), for the others a list of `{date, count}` per day, or per hour when
/// `to` equals `from` (the hours of that day), labelled in `responseTimezone`
/// (`M_G_APPLICATION_USAGE`: `{date, application, count}` per application). Logins are
/// `E_LOGIN_SUCCEEDED`, failures `E_LOGIN_FAILED`, applications `E_SP_REDIRECT_SUCCEEDED`, new
/// devices `E_NEW_DEVICE_REGISTERED`. With `download` (`requestBy`, `notificationList`,
/// `eventData.tenant_dns` and `eventData.user_id` required): a download job, `{jobId}`.
/// Administrators of the community.
#[utoipa::path(
    post,
    path = "/reports/metrics",
    request_body = Sealable<MetricsRequest>,
    responses(
        (status = 200, description = "`count`, the series, or `jobId`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad window, metricsName, time zone or download", body = ErrorBody),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn metrics(
    admin: AdminSession<Administrator>,
    body: Body<MetricsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let window = Window::parse(r.from.as_deref(), r.to.as_deref(), state.clock.epoch_ms())?;
    let name = r.metricsName.as_deref().ok_or_else(|| ApiError::bad_request("metricsName is required"))?;
    let metric = Metric::parse(name)?;
    let zone = Zone::parse(r.responseTimezone.as_deref())?;
    let (window, step) = metrics::span(window, zone);
    let query = EventQuery {
        community_id: community.id.clone(),
        from: window.from,
        to: window.to,
        names: vec![metric.event_name().to_owned()],
        ..EventQuery::default()
    };
    if let Some(d) = r.download {
        let (by, notify) = metrics_download(&d)?;
        let job = JobRequest {
            community: &community,
            kind: metric.name(),
            window: Some(window),
            notify,
            requested_by: Some(by),
        };
        let reply = start_job(&state, &admin, job, Export::Metric { metric, query, window, step, zone }).await?;
        return Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?);
    }
    let (total, events) = state.stores.report_events.page(&query, 0, MAX_ROWS).await?;
    if total > MAX_ROWS {
        tracing::warn!(total, "metrics computed over the newest events only");
    }
    let reply = metrics::compute(metric, &events, window, step, zone);
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /reports/role_assignment`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RoleAssignmentRequest {
    tenantId: String,
    communityId: String,
    /// The roles to list (the built-in roles' names); all when absent or empty.
    roleIds: Option<Vec<String>>,
    pSize: Option<u64>,
    pIndex: Option<u64>,
    download: Option<DownloadRequest>,
}

/// Request role_assignment download job.
///
/// The community's role assignments (of `roleIds` when given: built-in role names such as
/// `community_admin`, `helpdesk`), oldest first: `{page: {pSize, pIndex, total}, data: [{uid,
/// roleId, role, tenantId, communityId, createdBy, createdAt}]}`; with `download`, a download
/// job, `{jobId}`. Administrators of the community.
#[utoipa::path(
    post,
    path = "/reports/role_assignment",
    request_body = Sealable<RoleAssignmentRequest>,
    responses(
        (status = 200, description = "The page, or `jobId`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An unknown role, a bad page or download", body = ErrorBody),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn role_assignment(
    admin: AdminSession<Administrator>,
    body: Body<RoleAssignmentRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let page = Page::parse(r.pIndex, r.pSize)?;
    let wanted = r.roleIds.unwrap_or_default();
    if wanted.iter().any(|id| roles::find(id).is_none()) {
        let known: Vec<&str> = roles::ROLES.iter().map(|x| x.name).collect();
        return Err(ApiError::bad_request(format!("roleIds must name roles among {}", known.join(", "))).into());
    }
    if let Some(d) = r.download {
        let notify = notification_list(d.notification_list.as_deref())?;
        let job =
            JobRequest { community: &community, kind: "role_assignment", window: None, notify, requested_by: None };
        let export = Export::Roles { community_id: community.id.clone(), roles: wanted };
        let reply = start_job(&state, &admin, job, export).await?;
        return Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?);
    }
    let all = state.stores.authz.list(&community.id).await?;
    let matching: Vec<_> = all.into_iter().filter(|a| wanted.is_empty() || wanted.contains(&a.role)).collect();
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let data: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(usize::try_from(page.size).unwrap_or(usize::MAX))
        .map(|a| {
            json!({"uid": a.uid, "roleId": a.role, "role": a.role, "tenantId": a.tenant_id,
                "communityId": a.community_id, "createdBy": a.created_by,
                "createdAt": format_date(a.created_at.saturating_mul(1000))})
        })
        .collect();
    let reply = json!({"page": page.reply(matching.len() as u64), "data": data});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /reports/userenrollment`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct UserEnrollmentRequest {
    tenantId: String,
    communityId: String,
    pSize: Option<u64>,
    pIndex: Option<u64>,
    /// The auth module of the users; default: the community's db module.
    moduleId: Option<String>,
    /// users-mgmt's `users/fetch` query on indexed fields.
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
}

/// Last login report.
///
/// A page of the module's users (from users-mgmt) with the time of their last login through
/// adminapi (`E_LOGIN_SUCCEEDED`, `YYYY-MM-DD HH:mm:ss.SSS` UTC, `null` when none is recorded):
/// `{page: {pSize, pIndex, total}, data: [{username, status, email, lastLoginTime}]}`.
/// Administrators of the community.
#[utoipa::path(
    post,
    path = "/reports/userenrollment",
    request_body = Sealable<UserEnrollmentRequest>,
    responses(
        (status = 200, description = "The page, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad page or query", body = ErrorBody),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such tenant and community, or module", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn user_enrollment(
    admin: AdminSession<Administrator>,
    body: Body<UserEnrollmentRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let page = Page::parse(r.pIndex, r.pSize)?;
    let module = match r.moduleId {
        Some(m) => m,
        None => state
            .users_mgmt
            .login_module(&community)
            .await?
            .ok_or_else(|| ApiError::not_found("the community has no db module"))?,
    };
    let mut ask = json!({"authModule": module, "pIndex": page.index, "pSize": page.size});
    if let Some(q) = r.query {
        ask["query"] = Value::Object(q);
    }
    let found =
        state.users_mgmt.call(Method::POST, &UsersMgmt::community_path(&community, "/users/fetch"), &ask).await?;
    let users = found["data"].as_array().cloned().unwrap_or_default();
    let usernames: Vec<String> = users.iter().filter_map(|u| u["username"].as_str().map(str::to_owned)).collect();
    let last = state.stores.report_events.latest_by_user(&community.id, names::LOGIN_SUCCEEDED, &usernames).await?;
    let data: Vec<Value> = users
        .iter()
        .map(|u| {
            let name = u["username"].as_str().unwrap_or_default();
            let at = last.iter().find(|(n, _)| n == name).map(|(_, at)| format_date(*at));
            let status = if u["disabled"] == Value::Bool(true) { json!("disabled") } else { u["status"].clone() };
            json!({"username": name, "status": status, "email": u["email"], "lastLoginTime": at})
        })
        .collect();
    let total = found["page"]["total"].as_u64().unwrap_or(users.len() as u64);
    let reply = json!({"page": page.reply(total), "data": data});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
