//! Enrollment: `behavior_auth/random_phrase/fetch` and `behavior_auth/register`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::Located;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Level, Licensed, SystemServiceAppOrInfra};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{acts_with_jwt, check_user_jwt, named_user, proof_of};
use crate::State;
use crate::domain::behavior::token::UserToken;
use crate::domain::behavior::{self, DONE, StepRefusal, TRY_AGAIN, pattern, phrases};

/// Body of `behavior_auth/random_phrase/fetch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchPhraseRequest {
    /// A proof of authentication of the user: required for service, app and app_ext keys.
    jwt: Option<String>,
    /// `en` (default), `es`, `pt`, `fr` or `de`; another is `en`; empty is refused.
    language: Option<String>,
}

impl std::fmt::Debug for FetchPhraseRequest {
    /// Without the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchPhraseRequest").field("language", &self.language).finish_non_exhaustive()
    }
}

/// Fetch random phrase for behavior authentication
///
/// A random phrase of `language` (lowercase ASCII letters and spaces) and a `user_token` for
/// its registration, valid 30 minutes; `{phrase, user_token, language}`. System and infra keys
/// call it as they are; service, app and app_ext keys with `jwt`, a proof of authentication of
/// the user, whom the token then names.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/behavior_auth/random_phrase/fetch",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<FetchPhraseRequest>,
    responses(
        (status = 200, description = "`phrase`, `user_token` and `language`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An empty language or a bad body", body = ErrorBody),
        (status = 401, description = "A key that needs a jwt without a valid one", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_random_phrase(
    auth: Licensed<SystemServiceAppOrInfra>,
    community: Located,
    body: Body<FetchPhraseRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let language = phrases::language(r.language.as_deref())?;
    let jwt = r.jwt.as_deref().map(str::trim).filter(|j| !j.is_empty());
    let uid = match jwt {
        Some(jwt) => Some(proof_of(&platform, &community, jwt)?.sub),
        None if auth.license.level == Level::System || auth.license.infra => None,
        None => return Err(ApiError::unauthorized("jwt is required for this key").into()),
    };
    let phrase = phrases::random(language)?;
    let token = UserToken {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        uid,
        phrase: phrase.to_owned(),
        language: language.to_owned(),
        attempts: 0,
        exp: 0,
    };
    let sealed = state.behavior_tokens.seal(&token, envelope::wire::now_epoch())?;
    let reply = json!({"phrase": phrase, "user_token": sealed, "language": language});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `behavior_auth/register`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterBehaviorRequest {
    auth_module: String,
    username: String,
    /// The phrase of `user_token`.
    phrase: String,
    /// The typing of the phrase: base64 of `{"version": 1, "keystrokes": [{"key", "down", "up"}]}`
    /// (`KeyboardEvent.key`, keydown and keyup times in ms, in keydown order).
    pattern: String,
    /// A proof of authentication of the user: required for service_ext, app and app_ext keys.
    jwt: Option<String>,
    /// From the phrase fetch or the previous registration step.
    #[serde(rename = "user_token")]
    user_token: String,
    /// `clientIp`, `userAgent`, for the event.
    #[schema(value_type = Option<Object>)]
    event_info: Option<Map<String, Value>>,
}

impl std::fmt::Debug for RegisterBehaviorRequest {
    /// Without the phrase, pattern or tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterBehaviorRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

/// Register behavior authentication (phrase/pattern)
///
/// One typing of the phrase of `user_token` by the user. The first sample starts the
/// enrollment afresh; each answers `next_step` (`try again`: type the phrase again with the new
/// `user_token`; `done`: the enrollment is complete, after `BEHAVIOR_AUTH_ENROLLMENT_SAMPLES`,
/// 5) and `typing_data` (`samples`, `required`). A pattern that does not type the phrase, a bad
/// or stale token: 400. A user that already has a phrase gets 405: deregister first. System and
/// service keys as they are; service_ext, app and app_ext keys with `jwt`, a proof of
/// authentication of the user. An `E_BEHAVIOR_AUTH_ENROLLED` event when done.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/behavior_auth/register",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<RegisterBehaviorRequest>,
    responses(
        (status = 200, description = "`next_step`, `user_token`, `typing_data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad pattern, phrase or user_token, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "A key that needs a jwt without a valid one of the user", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 405, description = "The user already has a phrase", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(samples = tracing::field::Empty))]
pub async fn register_behavior(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<RegisterBehaviorRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let now = envelope::wire::now_epoch();
    let token = state
        .behavior_tokens
        .open(&r.user_token, &community.tenant_id, &community.id, now)
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    if r.phrase != token.phrase {
        return Err(ApiError::bad_request("phrase must be the phrase of user_token").into());
    }
    let typed = pattern::parse("pattern", &r.pattern)?;
    let user = named_user(&state, &community, &r.auth_module, &r.username).await?;
    check_user_jwt(&platform, &community, &user, r.jwt.as_deref(), acts_with_jwt(&auth.license))?;
    if token.uid.as_ref().is_some_and(|uid| *uid != user.uid) {
        return Err(ApiError::bad_request("user_token is for another user: fetch a new phrase").into());
    }
    let key = behavior::user_key(&user.urn);
    let step =
        behavior::register(&*state.stores.behavior, state.behavior, &key, &token.phrase, token.attempts, &typed, now)
            .await?;
    let count = match step {
        Ok(count) => count,
        Err(StepRefusal::Enrolled) => {
            return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, StepRefusal::Enrolled.to_string()).into());
        }
        Err(StepRefusal::Stale) => return Err(ApiError::bad_request(StepRefusal::Stale.to_string()).into()),
    };
    tracing::Span::current().record("samples", count);
    let done = count >= state.behavior.samples;
    if done {
        let event_info = r.event_info.is_some();
        tracing::info!(event = "E_BEHAVIOR_AUTH_ENROLLED", event_info, "behavior auth enrolled");
    }
    let next = UserToken { uid: Some(user.uid.clone()), attempts: count, ..token };
    let reply = json!({
        "next_step": if done { DONE } else { TRY_AGAIN },
        "user_token": state.behavior_tokens.seal(&next, now)?,
        "typing_data": {"samples": count, "required": state.behavior.samples},
    });
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
