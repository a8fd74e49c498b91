//! The catalog group Legacy Session:
//! `PUT /api/r1/community/{communityName}/session/{sessionId}/authenticate`, the older path of
//! the phone's answer ([`crate::routes::session::authenticate`]).

use actix_web::{HttpResponse, web};
use envelope::{Body, OptionalCaller};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::request_log::bounded;
use kit::{AppResult, Endpoint, endpoint};

use super::session::authenticate::{Answered, answer};
use crate::State;
use crate::domain::AuthenticateRequest;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(legacy_authenticate)]
}

/// LEGACY - Authenticate session id: the same as `POST /session/{sessionId}/authenticate`.
///
/// No license: authentication headers are optional (`OptionalCaller`), verified when present.
/// `communityName` is ignored, as the spec says.
#[utoipa::path(
    put,
    path = "/api/r1/community/{communityName}/session/{sessionId}/authenticate",
    params(
        ("communityName" = String, Path, description = "Ignored"),
        ("sessionId" = String, Path, description = "The session"),
    ),
    request_body = Sealable<AuthenticateRequest>,
    responses(
        (status = 200, description = "Recorded", body = Answered),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 409, description = "The session already has its answer", body = ErrorBody),
        (status = 410, description = "The session expired", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(session_id = %bounded(&path.1)))]
pub async fn legacy_authenticate(
    _caller: OptionalCaller,
    path: web::Path<(String, String)>,
    body: Body<AuthenticateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    answer(&path.1, body.value, &state, &platform).await
}
