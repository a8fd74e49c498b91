//! The catalog group Behavior Auth: the logged-in user's own typing-pattern enrollment and
//! validation, kept by users-mgmt (the system of record, which scores patterns and counts the
//! refusals toward the lockout). users-mgmt's refusals keep their status and message; an
//! unreachable users-mgmt is a 503. Patterns, phrases and tokens pass through unlogged.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::routes::users::home_of;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(fetch_behavior_phrase),
        endpoint!(register_own_behavior),
        endpoint!(validate_own_behavior),
        endpoint!(deregister_own_behavior),
    ]
}

/// users-mgmt's path of the group's `action`.
fn path(community: &CommunityRef, action: &str) -> String {
    UsersMgmt::community_path(community, &format!("/user/behavior_auth/{action}"))
}

/// The logged-in user as users-mgmt names one, with the rest of `body`.
fn as_me<P>(admin: &AdminSession<P>, mut body: Value) -> Value {
    body["authModule"] = json!(admin.session.module_id);
    body["username"] = json!(admin.session.username);
    body
}

/// Body of `POST /behavior_auth/random_phrase/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviorPhraseRequest {
    /// `en` (default), `es`, `pt`, `fr` or `de`.
    language: Option<String>,
}

/// Fetch random phrase
///
/// A random phrase for the logged-in user to type, and the `user_token` of its first
/// registration (`{phrase, user_token, language}`). Any logged-in user.
#[utoipa::path(
    post,
    path = "/behavior_auth/random_phrase/fetch",
    request_body = Sealable<BehaviorPhraseRequest>,
    responses(
        (status = 200, description = "`phrase`, `user_token`, `language`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An empty language or a bad body", body = ErrorBody),
        (status = 401, description = "No live login session", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_behavior_phrase(
    admin: AdminSession<LoggedIn>,
    body: Body<BehaviorPhraseRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let mut ask = json!({});
    if let Some(language) = r.language {
        ask["language"] = json!(language);
    }
    let got = state.users_mgmt.call(Method::POST, &path(&community, "random_phrase/fetch"), &ask).await?;
    let reply = json!({"phrase": got["phrase"], "user_token": got["user_token"], "language": got["language"]});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /behavior_auth/register`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviorRegisterRequest {
    /// The phrase of `user_token`.
    phrase: String,
    /// Base64 of `{"version": 1, "keystrokes": [{"key", "down", "up"}]}`: `KeyboardEvent.key`,
    /// keydown and keyup times in ms, in keydown order (users-mgmt's format).
    pattern: String,
    /// From the phrase fetch or the previous registration.
    user_token: String,
}

/// Body of `POST /behavior_auth/validate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviorValidateRequest {
    /// The typing of the enrolled phrase, in the format of `register`.
    pattern: String,
}

/// Body of `DELETE /behavior_auth/deregister` (nothing but the session).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BehaviorDeregisterRequest {}

macro_rules! no_pattern_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            /// Without the pattern, phrase or token.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($t))
            }
        }
    )*};
}
no_pattern_debug!(BehaviorRegisterRequest, BehaviorValidateRequest);

/// Register behavior auth pattern
///
/// One typing of the phrase by the logged-in user. Multiple registrations are required
/// (users-mgmt's `BEHAVIOR_AUTH_ENROLLMENT_SAMPLES`, 5): each answers `next_step` (`try again`
/// with a new `user_token`, then `done`), `user_token` and `typing_data` (`samples`,
/// `required`). A user that already has a phrase gets 405. Any logged-in user.
#[utoipa::path(
    post,
    path = "/behavior_auth/register",
    request_body = Sealable<BehaviorRegisterRequest>,
    responses(
        (status = 200, description = "`next_step`, `user_token`, `typing_data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad pattern, phrase or user_token", body = ErrorBody),
        (status = 401, description = "No live login session", body = ErrorBody),
        (status = 405, description = "The user already has a phrase", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register_own_behavior(
    admin: AdminSession<LoggedIn>,
    body: Body<BehaviorRegisterRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let step = as_me(&admin, json!({"phrase": r.phrase, "pattern": r.pattern, "user_token": r.user_token}));
    let got = state.users_mgmt.call(Method::POST, &path(&community, "register"), &step).await?;
    let reply =
        json!({"next_step": got["next_step"], "user_token": got["user_token"], "typing_data": got["typing_data"]});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Validate behavior auth pattern
///
/// The logged-in user's typing of their enrolled phrase, scored by users-mgmt: on success
/// `username`, `proof_of_authentication_jwt` (a users-mgmt proof with `methods:
/// ["behavior_auth"]`) and `typing_data`. Another typist, another text or no enrollment: 401,
/// counted toward the lockout; a locked user: 423. Any logged-in user.
#[utoipa::path(
    post,
    path = "/behavior_auth/validate",
    request_body = Sealable<BehaviorValidateRequest>,
    responses(
        (status = 200, description = "`username`, `proof_of_authentication_jwt`, `typing_data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A pattern not in the format", body = ErrorBody),
        (status = 401, description = "Refused, or no live login session", body = ErrorBody),
        (status = 423, description = "The user is locked", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn validate_own_behavior(
    admin: AdminSession<LoggedIn>,
    body: Body<BehaviorValidateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let status = state
        .users_mgmt
        .call(
            Method::POST,
            &UsersMgmt::community_path(&community, "/user/status"),
            &json!({"username": admin.session.username}),
        )
        .await?;
    if status["reasons"].as_array().is_some_and(|r| !r.is_empty()) {
        return Err(ApiError::new(StatusCode::LOCKED, "the user is locked").into());
    }
    let got = state
        .users_mgmt
        .call(Method::POST, &path(&community, "validate"), &as_me(&admin, json!({"pattern": r.pattern})))
        .await?;
    let reply = json!({
        "username": got["username"],
        "proof_of_authentication_jwt": got["proof_of_authentication_jwt"],
        "typing_data": got["typing_data"],
    });
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Deregister behavior auth pattern
///
/// Removes the logged-in user's phrase and samples (nothing to remove is no error);
/// `{message}`. Any logged-in user.
#[utoipa::path(
    delete,
    path = "/behavior_auth/deregister",
    request_body = Sealable<BehaviorDeregisterRequest>,
    responses(
        (status = 200, description = "`{message}`, sealed when the request was", body = Sealable<Object>),
        (status = 401, description = "No live login session", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn deregister_own_behavior(
    admin: AdminSession<LoggedIn>,
    body: Body<BehaviorDeregisterRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: BehaviorDeregisterRequest {}, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let removal = as_me(&admin, json!({"eventInfo": {"initiatedBy": admin.session.username}}));
    state.users_mgmt.call(Method::DELETE, &path(&community, "deregister"), &removal).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"message": "behavior auth deregistered"}))?)
}
