//! Locking and unlocking users through users-mgmt's admin locks (v2, by uid), by helpdesk and
//! administrators (`users.lock`) of the user's community.

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{community_of, home_of, uid_of};
use crate::State;
use crate::session::{AdminSession, UsersLocker};

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(lock_user), endpoint!(unlock_user)]
}

/// The path of `rest` under users-mgmt's v2 lockout.
fn v2(community: &kit::directory::CommunityRef, rest: &str) -> String {
    format!("/v2/tenant/{}/community/{}{rest}", community.tenant_id, community.id)
}

/// The uid of `username` of the community's db module (where its users sign in); 404 without one.
async fn target(state: &State, community: &kit::directory::CommunityRef, username: &str) -> AppResult<String> {
    let module =
        state.users_mgmt.login_module(community).await?.ok_or_else(|| ApiError::not_found("user not found"))?;
    uid_of(state, community, &module, username).await
}

/// Body of `POST /users/user/lock`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockUserRequest {
    username: String,
    /// Minutes the lock lasts (at least 1).
    lock_duration: u64,
}

/// Lock a user.
///
/// An admin lock on `username` of the session's community for `lock_duration` minutes: the user
/// cannot authenticate with any factor until it expires or `POST /users/user/unlock`. 204.
/// Helpdesk and administrators.
#[utoipa::path(
    post,
    path = "/users/user/lock",
    request_body = Sealable<LockUserRequest>,
    responses(
        (status = 204, description = "Locked"),
        (status = 400, description = "lock_duration below 1", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn lock_user(
    admin: AdminSession<UsersLocker>,
    body: Body<LockUserRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    if r.lock_duration == 0 {
        return Err(ApiError::bad_request("lock_duration must be at least 1 (minutes)").into());
    }
    let community = home_of(&platform, &admin).await?;
    let uid = target(&state, &community, &r.username).await?;
    let lock = json!({"userId": uid, "message": "Admin Action", "initiatedby": admin.session.username, "expiryInMunites": r.lock_duration});
    state.users_mgmt.call(Method::PUT, &v2(&community, "/user/lock"), &lock).await?;
    tracing::info!("a user was locked by an administrator");
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `POST /users/user/unlock`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UnlockUserRequest {
    username: Option<String>,
    tenant_id: String,
    community_id: String,
}

/// Unlock a user.
///
/// Lifts every lock on `username` (the admin lock and the failed-attempt locks) in the
/// community. 204. Helpdesk and administrators.
#[utoipa::path(
    post,
    path = "/users/user/unlock",
    request_body = Sealable<UnlockUserRequest>,
    responses(
        (status = 204, description = "Unlocked"),
        (status = 400, description = "No username", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unlock_user(
    admin: AdminSession<UsersLocker>,
    body: Body<UnlockUserRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let username = r
        .username
        .as_deref()
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("username is required"))?;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let uid = target(&state, &community, username).await?;
    let unlock = json!({"userId": uid, "initiatedby": admin.session.username});
    state.users_mgmt.call(Method::PUT, &v2(&community, "/user/unlock"), &unlock).await?;
    tracing::info!("a user was unlocked by an administrator");
    Ok(HttpResponse::NoContent().finish())
}
