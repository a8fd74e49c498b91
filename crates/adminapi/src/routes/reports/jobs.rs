//! Download jobs: the hardware token export (always a job), the list of jobs, cancelling one,
//! and the file of a completed one (the `downloadLink`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::{DownloadRequest, Export, JobRequest, notification_list, start_job};
use crate::State;
use crate::domain::reports::jobs::{self as rules, JobStatus, Viewer, parse_sort};
use crate::domain::reports::window::Page;
use crate::routes::users::{community_of, home_of};
use crate::session::{AdminSession, Administrator};

fn viewer<P>(admin: &AdminSession<P>) -> Viewer<'_> {
    Viewer { community_id: &admin.session.community_id, uid: &admin.session.uid }
}

/// Body of `POST /reports/hardwaretokens_export`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokensExportRequest {
    /// `hardware_tokens` (every token) or `user_hardwaretokens` (the assigned ones, by user).
    reports_type: Option<String>,
    /// `{"serialNumbers": [...]}`: exact serial numbers, or `/text/` for those containing text.
    #[schema(value_type = Option<Object>)]
    query: Option<Value>,
    download: Option<DownloadRequest>,
}

/// Export token data.
///
/// A download job of the session's community's hardware tokens: `reports_type`
/// `hardware_tokens` (serial number, type, digits, period, counter, user, times) or
/// `user_hardwaretokens` (the assigned tokens by username); never a seed. `query.serialNumbers`
/// filters as `POST /hardwaretokens/fetch` does; `download.notificationList` (required) is
/// mailed when the file is ready. `{jobId}`. Administrators.
#[utoipa::path(
    post,
    path = "/reports/hardwaretokens_export",
    request_body = Sealable<TokensExportRequest>,
    responses(
        (status = 200, description = "`jobId`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing or bad reports_type, query or download", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn hardware_tokens_export(
    admin: AdminSession<Administrator>,
    body: Body<TokensExportRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let kind = match r.reports_type.as_deref() {
        Some(k @ ("hardware_tokens" | "user_hardwaretokens")) => k,
        Some(_) => {
            return Err(ApiError::bad_request("reports_type must be hardware_tokens or user_hardwaretokens").into());
        }
        None => return Err(ApiError::bad_request("reports_type is required").into()),
    };
    let serials: Option<Vec<String>> = match r.query.as_ref().and_then(|q| q.get("serialNumbers")) {
        None | Some(Value::Null) => None,
        Some(list) => Some(
            serde_json::from_value(list.clone())
                .map_err(|_| ApiError::bad_request("query.serialNumbers must be an array of strings"))?,
        ),
    };
    let d = r.download.ok_or_else(|| ApiError::bad_request("download is required"))?;
    let notify = notification_list(d.notification_list.as_deref())?;
    let export =
        Export::Tokens { community_id: community.id.clone(), assigned_only: kind == "user_hardwaretokens", serials };
    let job = JobRequest { community: &community, kind, window: None, notify, requested_by: None };
    let reply = start_job(&state, &admin, job, export).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// One `sort` entry of `POST /reports/download/jobs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SortKey {
    /// `createdAt`, `completedAt`, `status`, `size`, `requestedBy` or `reportType`.
    field: String,
    /// `asc` (default) or `desc`.
    order: Option<String>,
}

/// Body of `POST /reports/download/jobs`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct JobsRequest {
    sort: Option<Vec<SortKey>>,
    pSize: Option<u64>,
    pIndex: Option<u64>,
}

/// Fetch download jobs.
///
/// The download jobs of the session's community and those the session's user asked for:
/// `{page: {pSize, pIndex, total, sort}, data: [{jobId, reportType, createdAt, completedAt,
/// status, requestedBy, sendNotificationTo, size, downloadLink, from, to}]}` (times in epoch
/// milliseconds; `status` `Pending`, `Completed`, `Failed` or `Cancelled`; `downloadLink` once
/// completed), newest first unless `sort` says otherwise. Administrators.
#[utoipa::path(
    post,
    path = "/reports/download/jobs",
    request_body = Sealable<JobsRequest>,
    responses(
        (status = 200, description = "The page, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad sort or page", body = ErrorBody),
        (status = 403, description = "Not an administrator", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_jobs(
    admin: AdminSession<Administrator>,
    body: Body<JobsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let page = Page::parse(r.pIndex, r.pSize)?;
    let keys: Vec<(String, Option<String>)> =
        r.sort.unwrap_or_default().into_iter().map(|k| (k.field, k.order)).collect();
    let sort = parse_sort(&keys)?;
    let (total, jobs) = state.stores.report_jobs.jobs(viewer(&admin), &sort, page.offset(), page.size).await?;
    let sort_reply: Vec<Value> =
        keys.iter().map(|(f, o)| json!({"field": f, "order": o.as_deref().unwrap_or("asc")})).collect();
    let mut page_reply = page.reply(total);
    page_reply["sort"] = json!(sort_reply);
    let data: Vec<Value> = jobs.iter().map(rules::Job::reply).collect();
    let reply = json!({"page": page_reply, "data": data});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Cancel download job.
///
/// Cancels a pending download job of the session's community (or one the session's user asked
/// for): it will not be produced nor mailed. 204; also for a job already cancelled. 404 for a job
/// the session does not see, 409 for one already completed or failed. Administrators.
#[utoipa::path(
    patch,
    path = "/reports/download/jobs/{jobId}",
    params(("jobId" = String, Path, description = "The job")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 403, description = "Not an administrator", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 409, description = "The job has already finished", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn cancel_job(
    admin: AdminSession<Administrator>,
    path: web::Path<String>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    rules::cancel(&*state.stores.report_jobs, viewer(&admin), &id, state.clock.epoch_ms()).await?;
    tracing::info!(job = %id, "download job cancelled");
    Ok(HttpResponse::NoContent().finish())
}

/// Path of the file of a download job.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct FilePath {
    tenantId: String,
    communityId: String,
    jobId: String,
}

/// The file of a download job.
///
/// The CSV file of a completed download job of the community (`text/csv`, an attachment named
/// `report.csv`), as `downloadLink` names it. 404 for a job of another community, one not
/// completed, or none. Administrators of the community.
#[utoipa::path(
    get,
    path = "/downloads/reports/tenant/{tenantId}/community/{communityId}/job/{jobId}/report.csv",
    params(
        ("tenantId" = String, Path), ("communityId" = String, Path), ("jobId" = String, Path, description = "The job"),
    ),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv"),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such completed job in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn download_file(
    admin: AdminSession<Administrator>,
    path: web::Path<FilePath>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let p = path.into_inner();
    let community = community_of(&platform, &admin, &p.tenantId, &p.communityId).await?;
    let not_found = || ApiError::not_found("download job not found");
    let job = state.stores.report_jobs.job(&p.jobId).await?.ok_or_else(not_found)?;
    if job.community_id != community.id || job.status != JobStatus::Completed {
        return Err(not_found().into());
    }
    let content = state.stores.report_jobs.job_content(&job.id).await?.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"report.csv\""))
        .body(content))
}
