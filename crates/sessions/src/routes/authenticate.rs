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
use kit::openapi::{ErrorBody, OptionalCallerHeaders, Sealable};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{AuthenticateRequest, Sessions, epoch_ms};
use envelope::OptionalCaller;

/// Reply of the authenticate endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answered {
    /// The answer's id (24 hex digits).
    id: String,
}

/// Authenticate session id: record the one answer of a live session.
///
/// No license: authentication headers are optional (`OptionalCaller`), verified when present.
/// The body may be sealed. The reply is plain.
#[utoipa::path(
    post,
    path = "/session/{sessionId}/authenticate",
    params(("sessionId" = String, Path, description = "The session"), OptionalCallerHeaders),
    request_body = Sealable<AuthenticateRequest>,
    responses(
        (status = 200, description = "Recorded", body = Answered),
        (status = 400, description = "Bad body or unreadable header", body = ErrorBody),
        (status = 401, description = "Authentication headers present but not valid", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "The session already has its answer", body = ErrorBody),
        (status = 410, description = "The session expired", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    )
)]
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
///
/// No license: authentication headers are optional (`OptionalCaller`), verified when present.
/// `communityName` is ignored, as the spec says.
#[utoipa::path(
    put,
    path = "/api/r1/community/{communityName}/session/{sessionId}/authenticate",
    params(
        ("communityName" = String, Path, description = "Ignored"),
        ("sessionId" = String, Path, description = "The session"),
        OptionalCallerHeaders,
    ),
    request_body = Sealable<AuthenticateRequest>,
    responses(
        (status = 200, description = "Recorded", body = Answered),
        (status = 400, description = "Bad body or unreadable header", body = ErrorBody),
        (status = 401, description = "Authentication headers present but not valid", body = ErrorBody),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "The session already has its answer", body = ErrorBody),
        (status = 410, description = "The session expired", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    )
)]
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
    Ok(HttpResponse::Ok().json(Answered { id: answer_id }))
}
