//! The catalog groups Account Lockout (v1, by username), Account Lockout V 2 (by user id) and
//! Factor (`DELETE factor_lock`): status, admin lock with a reason, unlock, and the reset of one
//! factor's failed attempts, over [`crate::domain::lockout`].

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, Licensed, ServiceLevels, SystemOrService, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::lockout::{FACTORS, Lock};
use crate::domain::users::{self, User};
use crate::routes::authenticate::local_module;
use kit::directory::{CommunityRef, Located};

/// The endpoints of the three groups.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(user_lock_status),
        endpoint!(lock_user),
        endpoint!(unlock_user),
        endpoint!(user_lock_status_v2),
        endpoint!(lock_user_v2),
        endpoint!(unlock_user_v2),
        endpoint!(delete_factor_lock),
    ]
}

/// The only lock reason an admin gives.
const ADMIN_ACTION: &str = "Admin Action";

async fn by_username(state: &State, community: &CommunityRef, username: &str) -> AppResult<User> {
    let name = users::username(username)?;
    Ok(state
        .stores
        .users
        .by_community_username(&community.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?)
}

async fn by_uid(state: &State, community: &CommunityRef, uid: &str) -> AppResult<User> {
    Ok(state
        .stores
        .users
        .by_uid(&community.id, uid.trim())
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?)
}

fn iso(epoch: i64) -> Value {
    chrono::DateTime::from_timestamp(epoch, 0).map_or(Value::Null, |t| Value::String(t.to_rfc3339()))
}

fn reason_json(lock: &Lock) -> Value {
    json!({
        "reasonCode": lock.reason_code,
        "message": lock.message,
        "initiatedby": lock.initiatedby,
        "factor": lock.factor,
        "lockedAt": iso(lock.locked_at),
        "expiresAt": lock.expires_at.map_or(Value::Null, iso),
    })
}

/// Body of the v1 status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    username: String,
}

/// Get a user's lock status.
///
/// `reasons`: one per lock on the user (an admin lock, reason code 0; too many failed attempts
/// of a factor, reason code 1), empty when it is not locked; `lock_events`: how many times
/// failed attempts have locked the user. System, service and service_ext keys.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/status",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<StatusRequest>,
    responses(
        (status = 200, description = "`reasons` and `lock_events`, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn user_lock_status(
    auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<StatusRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let user = by_username(&state, &community.0, &r.username).await?;
    let locks = state.lockout.locks(&user.uid).await?;
    let events = state.lockout.lock_events(&user.uid).await?;
    let reply = json!({"reasons": locks.iter().map(reason_json).collect::<Vec<_>>(), "lock_events": events});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// The reason of a v1 lock or unlock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Reason {
    reason_code: i64,
    message: String,
}

/// Body of the v1 lock and unlock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockRequest {
    username: String,
    reason: Reason,
    initiatedby: String,
}

fn initiator(text: &str) -> AppResult<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 256 || t.chars().any(char::is_control) {
        return Err(ApiError::bad_request("initiatedby must be 1 to 256 printable characters").into());
    }
    Ok(t.to_owned())
}

/// Lock a user.
///
/// An admin lock (`reason.reasonCode` 0, `reason.message` "Admin Action") until unlocked: the
/// user cannot authenticate with any factor. An empty 200. System, service and service_ext keys.
#[utoipa::path(
    put,
    path = "/tenant/{tenantId}/community/{communityId}/user/lock",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<LockRequest>,
    responses(
        (status = 200, description = "Locked (no body)"),
        (status = 400, description = "A bad reason or body", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn lock_user(
    _auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<LockRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    if r.reason.reason_code != 0 || r.reason.message != ADMIN_ACTION {
        return Err(ApiError::bad_request("reason must be reasonCode 0 with the message 'Admin Action'").into());
    }
    let by = initiator(&r.initiatedby)?;
    let user = by_username(&state, &community.0, &r.username).await?;
    state.lockout.lock(&user.uid, ADMIN_ACTION, &by, None, envelope::wire::now_epoch()).await?;
    tracing::info!("user locked by an admin");
    Ok(HttpResponse::Ok().finish())
}

/// Unlock a user.
///
/// Removes every lock of the user (admin and failed attempts) and its failed attempts
/// (`reason.reasonCode` 0 or 1, `reason.message` "Admin Action"). An empty 200. System,
/// service and service_ext keys.
#[utoipa::path(
    put,
    path = "/tenant/{tenantId}/community/{communityId}/user/unlock",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<LockRequest>,
    responses(
        (status = 200, description = "Unlocked (no body)"),
        (status = 400, description = "A bad reason or body", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unlock_user(
    _auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<LockRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    if !(0..=1).contains(&r.reason.reason_code) || r.reason.message != ADMIN_ACTION {
        return Err(ApiError::bad_request("reason must be reasonCode 0 or 1 with the message 'Admin Action'").into());
    }
    initiator(&r.initiatedby)?;
    let user = by_username(&state, &community.0, &r.username).await?;
    state.lockout.unlock(&user.uid).await?;
    tracing::info!("user unlocked by an admin");
    Ok(HttpResponse::Ok().finish())
}

/// Body of the v2 status.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StatusV2Request {
    user_id: String,
}

/// Get a user's lock status (v2).
///
/// `locked`, and for a locked user the first lock: `message`, `lockedBy`, `lockedAt`,
/// `expiresDate` (ISO 8601). System and service keys.
#[utoipa::path(
    post,
    path = "/v2/tenant/{tenantId}/community/{communityId}/user/lock/status",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<StatusV2Request>,
    responses(
        (status = 200, description = "The lock status, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn user_lock_status_v2(
    auth: Licensed<SystemOrService>,
    community: Located,
    body: Body<StatusV2Request>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community.0;
    let user = by_uid(&state, &community, &r.user_id).await?;
    let locks = state.lockout.locks(&user.uid).await?;
    let mut reply = json!({"tenantId": community.tenant_id, "communityId": community.id, "userId": user.uid,
        "locked": !locks.is_empty()});
    if let (Some(lock), Value::Object(map)) = (locks.first(), &mut reply) {
        map.extend([
            ("message".to_owned(), json!(lock.message)),
            ("lockedBy".to_owned(), json!(lock.initiatedby)),
            ("lockedAt".to_owned(), iso(lock.locked_at)),
            ("expiresDate".to_owned(), lock.expires_at.map_or(Value::Null, iso)),
            ("updatedAt".to_owned(), iso(lock.locked_at)),
        ]);
    }
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of the v2 lock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LockV2Request {
    user_id: String,
    message: Option<String>,
    initiatedby: String,
    /// Minutes (the reference's spelling); none: until unlocked.
    #[serde(rename = "expiryInMunites")]
    #[schema(value_type = Option<u64>)]
    expiry_in_minutes: Option<Value>,
}

/// Lock a user (v2).
///
/// An admin lock with `message` ("Admin Action" by default) for `expiryInMunites` minutes, or
/// until unlocked; `{"message"}`. System and service keys.
#[utoipa::path(
    put,
    path = "/v2/tenant/{tenantId}/community/{communityId}/user/lock",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<LockV2Request>,
    responses(
        (status = 200, description = "`{\"message\"}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad expiry or body", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn lock_user_v2(
    auth: Licensed<SystemOrService>,
    community: Located,
    body: Body<LockV2Request>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let minutes = match &r.expiry_in_minutes {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                .filter(|m| (1..=525_600).contains(m))
                .ok_or_else(|| ApiError::bad_request("expiryInMunites must be 1 to 525600 minutes"))?,
        ),
    };
    let by = initiator(&r.initiatedby)?;
    let message = r.message.as_deref().map(str::trim).filter(|m| !m.is_empty()).unwrap_or(ADMIN_ACTION);
    if message.chars().count() > 256 || message.chars().any(char::is_control) {
        return Err(ApiError::bad_request("message must be at most 256 printable characters").into());
    }
    let user = by_uid(&state, &community.0, &r.user_id).await?;
    let expiry = minutes.map(|m| Duration::from_secs(m * 60));
    state.lockout.lock(&user.uid, message, &by, expiry, envelope::wire::now_epoch()).await?;
    tracing::info!("user locked by an admin");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"message": "user locked"}))?)
}

/// Body of the v2 unlock.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UnlockV2Request {
    user_id: String,
    message: Option<String>,
    initiatedby: String,
}

/// Unlock a user (v2).
///
/// Removes every lock of the user and its failed attempts; `{"message"}`. System and service keys.
#[utoipa::path(
    put,
    path = "/v2/tenant/{tenantId}/community/{communityId}/user/unlock",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<UnlockV2Request>,
    responses(
        (status = 200, description = "`{\"message\"}`, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unlock_user_v2(
    auth: Licensed<SystemOrService>,
    community: Located,
    body: Body<UnlockV2Request>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = &r.message;
    initiator(&r.initiatedby)?;
    let user = by_uid(&state, &community.0, &r.user_id).await?;
    state.lockout.unlock(&user.uid).await?;
    tracing::info!("user unlocked by an admin");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"message": "user unlocked"}))?)
}

/// Body of `DELETE factor_lock`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FactorLockRequest {
    user_id: String,
    factor: String,
    auth_module_id: String,
    #[schema(value_type = Option<Object>)]
    event_data: Option<Map<String, Value>>,
}

/// Delete a user's factor lock.
///
/// Forgets the failed attempts of one factor (`password` or `user_pin`) of a user of the
/// module, and the lock they made; 204. System and service keys.
#[utoipa::path(
    delete,
    path = "/tenant/{tenantId}/community/{communityId}/factor_lock",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<FactorLockRequest>,
    responses(
        (status = 204, description = "Reset"),
        (status = 400, description = "An unknown factor, a bad body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 404, description = "No such user in the module", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_factor_lock(
    _auth: Licensed<SystemOrService>,
    community: Located,
    body: Body<FactorLockRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let _ = &r.event_data;
    let Some(factor) = FACTORS.iter().find(|f| **f == r.factor) else {
        return Err(ApiError::bad_request(format!("factor must be one of {}", FACTORS.join(", "))).into());
    };
    let community = community.0;
    let module = local_module(&state, &community.id, &r.auth_module_id).await?;
    let user = by_uid(&state, &community, &r.user_id).await?;
    if user.module_id != module.id {
        return Err(ApiError::not_found("user not found").into());
    }
    state.lockout.reset_factor(&user.uid, factor).await?;
    tracing::info!(factor, "factor lock deleted");
    Ok(HttpResponse::NoContent().finish())
}
