//! The catalog group Session: the web app's side of a cross-device login (`PUT /session/new`,
//! `GET /session/{sessionId}`, `GET /session/{sessionId}/response`, here), the phone's answer
//! ([`authenticate`]) and signed nonces ([`nonce`]).

pub mod authenticate;
pub mod nonce;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::request_log::bounded;
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use serde::Serialize;
use utoipa::ToSchema;

use crate::State;
use crate::domain::{NewSessionRequest, PollReply, Poller, Session};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create),
        endpoint!(info),
        endpoint!(poll),
        endpoint!(authenticate::authenticate),
        endpoint!(nonce::sign),
        endpoint!(nonce::validate),
    ]
}

/// The header that asks the poll reply to carry the session too.
const ADD_SESSION_INFO: &str = "addsessioninfo";

/// Reply of `PUT /session/new`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    /// The new session's id.
    session_id: String,
}

/// Create a new session.
///
/// `origin.communityId` must name a community whose name is `origin.communityName` (404
/// otherwise), and the license must cover it. The caller's `publickey` is remembered: only it
/// may poll, and the phone encrypts its answer for it. Answers 201. The body may be sealed; the
/// reply is sealed when it was.
#[utoipa::path(
    put,
    path = "/session/new",
    request_body = Sealable<NewSessionRequest>,
    responses(
        (status = 201, description = "Created", body = Sealable<Created>),
        (status = 403, description = "The license's level may not call this endpoint, or it does not cover `origin.communityId`", body = ErrorBody),
        (status = 404, description = "No community has `origin.communityId`, or its name is not `origin.communityName`", body = ErrorBody),
        (status = 503, description = "The license authority, the tenancy service or the store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(community = tracing::field::Empty, session_id = tracing::field::Empty))]
pub async fn create(
    auth: Licensed<AnyLevel>,
    body: Body<NewSessionRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut request, encrypted } = body;
    request.validate()?;
    let named = Named {
        community_id: &request.origin.community_id,
        tenant_id: None,
        community_name: Some(&request.origin.community_name),
    };
    let community = locate(&**platform.directory, named).await?.id;
    tracing::Span::current().record("community", tracing::field::display(&community));
    if !auth.license.allows_community(&community) {
        return Err(ApiError::forbidden("the license is not authorized for this community").into());
    }
    // The session keeps the community's canonical id, which license checks compare with.
    request.origin.community_id = community;
    let session = state.sessions.create(request, auth.caller.public_key(), state.clock.epoch_ms()).await?;
    tracing::Span::current().record("session_id", session.session_id.as_str());
    Ok(auth.caller.reply_like(encrypted, StatusCode::CREATED, &Created { session_id: session.session_id })?)
}

/// Get info about session id: the session object, never its answer.
///
/// No authentication.
#[utoipa::path(
    get,
    path = "/session/{sessionId}",
    params(("sessionId" = String, Path, description = "The session")),
    responses(
        (status = 200, description = "The session", body = Session),
        (status = 404, description = "No such session", body = ErrorBody),
        (status = 410, description = "The session expired", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(session_id = %bounded(&id)))]
pub async fn info(id: web::Path<String>, state: web::Data<State>) -> AppResult<HttpResponse> {
    let session = state.sessions.info(&id, state.clock.epoch_ms()).await?;
    Ok(HttpResponse::Ok().json(session))
}

/// Fetch session response: the phone's answer, once, to the caller that created the session.
///
/// 404 until the phone answers; 410 once fetched or when the session expired (its records are
/// then deleted). The `addsessioninfo` header, whatever its value, adds `sessionInfo`.
///
/// The license must cover the session's community; only the `publickey` that created the
/// session may poll. The reply is plain JSON: its `data` is already encrypted by the phone for
/// the caller.
#[utoipa::path(
    get,
    path = "/session/{sessionId}/response",
    params(
        ("sessionId" = String, Path, description = "The session"),
        ("addsessioninfo" = Option<String>, Header, description = "Present (any value): the reply carries `sessionInfo`"),
    ),
    responses(
        (status = 200, description = "The answer", body = PollReply),
        (status = 403, description = "Another community or another caller than the creator, or a level that may not call this endpoint", body = ErrorBody),
        (status = 404, description = "No such session, or no answer yet", body = ErrorBody),
        (status = 410, description = "The session expired or the answer was already fetched", body = ErrorBody),
        (status = 503, description = "The license authority or the store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(session_id = %bounded(&id)))]
pub async fn poll(
    req: HttpRequest,
    auth: Licensed<AnyLevel>,
    id: web::Path<String>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let with_session = req.headers().contains_key(ADD_SESSION_INFO);
    let license = &auth.license;
    let poller = Poller {
        public_key: auth.caller.public_key(),
        community_allowed: &|community: &str| license.allows_community(community),
    };
    let reply = state.sessions.poll(&id, &poller, with_session, state.clock.epoch_ms()).await?;
    Ok(HttpResponse::Ok().json(reply))
}
