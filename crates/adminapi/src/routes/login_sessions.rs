//! The catalog group Login sessions: a user ends their other sessions
//! (`DELETE /loginsessions/user/other`), an administrator ends a user's
//! (`DELETE /loginsessions/admin/user/all`). Sessions live in the shared store, so an ended one is
//! refused on every adminapi instance at once.

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::State;
use crate::session::{AdminSession, LoggedIn, SessionsManager};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(end_other_sessions), endpoint!(end_user_sessions)]
}

/// Body of `DELETE /loginsessions/user/other`: the logged-in user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OtherSessionsRequest {
    username: String,
    module_id: String,
}

/// End the user's other login sessions.
///
/// Every login session of the logged-in user but the one of this request's token ends; the
/// `username` and `moduleId` must be that user's (403 otherwise). 204.
#[utoipa::path(
    delete,
    path = "/loginsessions/user/other",
    request_body = Sealable<OtherSessionsRequest>,
    responses(
        (status = 204, description = "The other sessions ended"),
        (status = 403, description = "username and moduleId are not the logged-in user's", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(ended = tracing::field::Empty))]
pub async fn end_other_sessions(
    admin: AdminSession<LoggedIn>,
    body: Body<OtherSessionsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let s = &admin.session;
    if !r.username.trim().eq_ignore_ascii_case(&s.username) || r.module_id.trim() != s.module_id {
        return Err(ApiError::forbidden("username and moduleId must be the logged-in user's").into());
    }
    let now = state.clock.epoch_secs();
    let ended = state.sessions.close_all(&s.community_id, &s.module_id, &s.username, Some(&s.sid), now).await?;
    tracing::Span::current().record("ended", ended);
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `DELETE /loginsessions/admin/user/all`: the user whose sessions end (the
/// administrator's own when neither is given).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserSessionsRequest {
    username: Option<String>,
    module_id: Option<String>,
}

/// End every login session of a user.
///
/// An administrator ends every login session of `username` of `moduleId` in the
/// administrator's community (both or neither: neither ends the administrator's own, this one
/// included). 204.
#[utoipa::path(
    delete,
    path = "/loginsessions/admin/user/all",
    request_body = Sealable<UserSessionsRequest>,
    responses(
        (status = 204, description = "The sessions ended"),
        (status = 400, description = "username without moduleId, or the other way round", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(ended = tracing::field::Empty))]
pub async fn end_user_sessions(
    admin: AdminSession<SessionsManager>,
    body: Body<UserSessionsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let s = &admin.session;
    let (username, module_id) = match (r.username.as_deref().map(str::trim), r.module_id.as_deref().map(str::trim)) {
        (Some(u), Some(m)) if !u.is_empty() && !m.is_empty() => (u.to_owned(), m.to_owned()),
        (None, None) => (s.username.clone(), s.module_id.clone()),
        _ => return Err(ApiError::bad_request("username and moduleId go together").into()),
    };
    let ended =
        state.sessions.close_all(&s.community_id, &module_id, &username, None, state.clock.epoch_secs()).await?;
    tracing::Span::current().record("ended", ended);
    tracing::info!(ended, "an administrator ended a user's login sessions");
    Ok(HttpResponse::NoContent().finish())
}
