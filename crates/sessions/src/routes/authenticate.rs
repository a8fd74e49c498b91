//! `POST /session/{sessionId}/authenticate` and its legacy twin
//! `PUT /api/r1/community/{communityName}/session/{sessionId}/authenticate`: the phone's answer.
//!
//! The spec requires no license here (the phone holds none); authentication headers, which the
//! SDKs send, are verified when present. `communityName` of the legacy path is ignored, as the
//! spec says. The reply is plain `{"id": "<24 hex digits>"}`.

use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;

use crate::domain::{AuthenticateRequest, Sessions, epoch_ms};
use envelope::OptionalCaller;

/// Authenticate session id: record the one answer of a live session.
#[tracing::instrument(skip_all, fields(session_id = %id))]
pub async fn authenticate(
    _caller: OptionalCaller,
    id: web::Path<String>,
    body: Body<AuthenticateRequest>,
    sessions: web::Data<Sessions>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    answer(&id, body.value, &sessions, &platform).await
}

/// LEGACY - Authenticate session id: the same as [`authenticate`].
#[tracing::instrument(skip_all, fields(session_id = %path.1))]
pub async fn legacy_authenticate(
    _caller: OptionalCaller,
    path: web::Path<(String, String)>,
    body: Body<AuthenticateRequest>,
    sessions: web::Data<Sessions>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    answer(&path.1, body.value, &sessions, &platform).await
}

async fn answer(
    id: &str,
    request: AuthenticateRequest,
    sessions: &Sessions,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let answer_id = sessions.authenticate(id, request, platform.settings.curve, epoch_ms()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": answer_id })))
}
