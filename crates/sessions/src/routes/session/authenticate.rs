//! `POST /session/{sessionId}/authenticate`: the phone's answer (its legacy twin is
//! [`crate::routes::legacy_session`]).
//!
//! The spec requires no license here (the phone holds none); authentication headers, which the
//! SDKs send, are verified when present. `communityName` of the legacy path is ignored, as the
//! spec says. The reply is plain `{"id": "<24 hex digits>"}`.

use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::request_log::bounded;
use serde::Serialize;
use utoipa::ToSchema;

use crate::State;
use crate::domain::AuthenticateRequest;
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
    params(("sessionId" = String, Path, description = "The session")),
    request_body = Sealable<AuthenticateRequest>,
    responses(
        (status = 200, description = "Recorded", body = Answered),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "The session already has its answer", body = ErrorBody),
        (status = 410, description = "The session expired", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(session_id = %bounded(&id)))]
pub async fn authenticate(
    _caller: OptionalCaller,
    id: web::Path<String>,
    body: Body<AuthenticateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    answer(&id, body.value, &state, &platform).await
}

/// Records the answer of session `id` (shared with the legacy path).
pub(crate) async fn answer(
    id: &str,
    request: AuthenticateRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let answer_id = state.sessions.authenticate(id, request, platform.settings.curve, state.clock.epoch_ms()).await?;
    Ok(HttpResponse::Ok().json(Answered { id: answer_id }))
}
