//! The catalog group User PIN: register, update and delete a user's PIN, stored as its SHA-512
//! digest ([`crate::domain::pins`]). System, service and service_ext keys act without further
//! checks; app and app_ext keys register with a `jwt`, a proof of authentication of that very
//! user issued by this service.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, ServiceLevels, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::users::{self, User};
use crate::domain::{pins, proof};
use crate::routes::authenticate::local_module;
use kit::directory::{CommunityRef, Located};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(register_user_pin), endpoint!(update_user_pin), endpoint!(delete_user_pin)]
}

/// The user a PIN request names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PinUser {
    username: String,
    auth_module: String,
}

/// Who a PIN request is about: enabled local module, existing user (404 otherwise).
async fn pin_user(state: &State, community: &CommunityRef, who: &PinUser) -> AppResult<User> {
    let module = local_module(state, &community.id, &who.auth_module).await?;
    let name = users::username(&who.username)?;
    Ok(state
        .stores
        .users
        .by_username(&community.id, &module.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?)
}

/// Checks that `jwt` is a live proof of authentication of `user` in `community`.
pub(crate) fn check_jwt(
    platform: &Platform,
    community: &CommunityRef,
    user: &User,
    jwt: Option<&str>,
) -> AppResult<()> {
    let jwt = jwt.filter(|j| !j.is_empty()).ok_or_else(|| ApiError::unauthorized("jwt is required for this key"))?;
    let claims = proof::verify(platform.keys.public(), jwt, None, envelope::wire::now_epoch())
        .map_err(|e| ApiError::unauthorized(format!("jwt: {e}")))?;
    if claims.sub != user.uid || claims.community != community.id {
        return Err(ApiError::unauthorized("jwt: the token is for another user").into());
    }
    Ok(())
}

/// Body of `user_pin/register`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPinRequest {
    user: PinUser,
    pin: String,
    /// A proof of authentication of the user: required for app and app_ext keys.
    jwt: Option<String>,
}

impl std::fmt::Debug for RegisterPinRequest {
    /// Without the PIN or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterPinRequest").field("user", &self.user).finish_non_exhaustive()
    }
}

/// Register a user's PIN.
///
/// Stores the SHA-512 digest of `pin` (4 to 32 characters); `{"status": true}`. App and app_ext
/// keys need `jwt`, a proof of authentication of the user (401 without). A user that already
/// has a PIN gets 405: update it instead.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/user_pin/register",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<RegisterPinRequest>,
    responses(
        (status = 200, description = "`{\"status\": true}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad PIN or body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "An app key without a valid proof of authentication of the user", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 405, description = "The user already has a PIN", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register_user_pin(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<RegisterPinRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    pins::checked("pin", &r.pin)?;
    let user = pin_user(&state, &community, &r.user).await?;
    if matches!(auth.license.level, kit::Level::App | kit::Level::AppExt) {
        check_jwt(&platform, &community, &user, r.jwt.as_deref())?;
    }
    if state.stores.pins.get(&user.uid).await?.is_some() {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "the user already has a PIN: use user_pin/update to change it",
        )
        .into());
    }
    state.stores.pins.set(&user.uid, &pins::digest(&r.pin)).await?;
    tracing::info!(event = "E_USER_PIN_ENROLLED", "user pin registered");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": true}))?)
}

/// Body of `user_pin/update`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdatePinRequest {
    user: PinUser,
    /// Checked when given.
    current_pin: Option<String>,
    new_pin: String,
    jwt: Option<String>,
}

impl std::fmt::Debug for UpdatePinRequest {
    /// Without the PINs or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpdatePinRequest").field("user", &self.user).finish_non_exhaustive()
    }
}

/// The stored PIN of `user` (404 without one), checked against `current` and `jwt` when given.
async fn current_pin(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    user: &User,
    current: Option<&str>,
    jwt: Option<&str>,
) -> AppResult<String> {
    let stored = state.stores.pins.get(&user.uid).await?.ok_or_else(|| ApiError::not_found("the user has no PIN"))?;
    if let Some(current) = current.filter(|c| !c.is_empty())
        && !pins::matches(current, &stored)
    {
        return Err(ApiError::unauthorized("currentPin does not match").into());
    }
    if jwt.is_some() {
        check_jwt(platform, community, user, jwt)?;
    }
    Ok(stored)
}

/// Update a user's PIN.
///
/// Replaces the PIN of a user that has one (404 otherwise) with `newPin`; `currentPin` and
/// `jwt` are checked when given. `{"status": true}`. System, service and service_ext keys.
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/user/user_pin/update",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<UpdatePinRequest>,
    responses(
        (status = 200, description = "`{\"status\": true}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad PIN or body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "A `currentPin` or `jwt` that does not match", body = ErrorBody),
        (status = 404, description = "No such user, or no PIN", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_user_pin(
    auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<UpdatePinRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    pins::checked("newPin", &r.new_pin)?;
    let user = pin_user(&state, &community, &r.user).await?;
    current_pin(&state, &platform, &community, &user, r.current_pin.as_deref(), r.jwt.as_deref()).await?;
    state.stores.pins.set(&user.uid, &pins::digest(&r.new_pin)).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": true}))?)
}

/// Body of `DELETE user_pin`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeletePinRequest {
    user: PinUser,
    current_pin: Option<String>,
    jwt: Option<String>,
    /// `clientIp`, `userAgent`, `initiatedBy`, for the event.
    #[schema(value_type = Option<Object>)]
    event_info: Option<serde_json::Map<String, serde_json::Value>>,
}

impl std::fmt::Debug for DeletePinRequest {
    /// Without the PIN or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeletePinRequest").field("user", &self.user).finish_non_exhaustive()
    }
}

/// Delete a user's PIN.
///
/// Removes the PIN of a user that has one (404 otherwise); `currentPin` and `jwt` are checked
/// when given. 204, and an `E_USER_PIN_UNENROLLED` event. System, service and service_ext keys.
#[utoipa::path(
    delete,
    path = "/tenant/{tenantId}/community/{communityId}/user/user_pin",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<DeletePinRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A bad body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "A `currentPin` or `jwt` that does not match", body = ErrorBody),
        (status = 404, description = "No such user, or no PIN", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_user_pin(
    _auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<DeletePinRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, .. } = body;
    let Located(community) = community;
    let user = pin_user(&state, &community, &r.user).await?;
    current_pin(&state, &platform, &community, &user, r.current_pin.as_deref(), r.jwt.as_deref()).await?;
    state.stores.pins.delete(&user.uid).await?;
    let initiated_by = r.event_info.as_ref().and_then(|e| e.get("initiatedBy")).is_some();
    tracing::info!(event = "E_USER_PIN_UNENROLLED", initiated_by, "user pin deleted");
    Ok(HttpResponse::NoContent().finish())
}
