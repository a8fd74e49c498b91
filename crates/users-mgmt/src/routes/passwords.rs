//! Passwords of User Management: `user/changepassword` (the current password required) and
//! `admin/changepassword`. The module's policy checks the new password; it is stored as an
//! argon2id hash.

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, ServiceLevels, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::State;
use crate::domain::authentication::Factors;
use crate::domain::users::{self, User};
use crate::routes::authenticate::{authenticated, local_module, user_module};
use kit::directory::Located;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(change_user_password), endpoint!(admin_change_password)]
}

/// Checks `new` against the policy of the user's module and stores its hash.
async fn set_password(state: &State, community_id: &str, user: &User, new: String) -> AppResult<()> {
    let module = local_module(state, community_id, &user.module_id).await?;
    module.password_policy()?.check(&new, &user.username).map_err(|broken| ApiError::bad_request(broken.join("; ")))?;
    let hash = state.hasher.hash(new).await?;
    state.stores.users.set_password_hash(&user.uid, &hash).await?;
    Ok(())
}

/// Body of `user/changepassword`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    auth_module: String,
    username: String,
    current_password: Option<String>,
    otp: Option<String>,
    user_did: Option<String>,
    user_public_key: Option<String>,
    new_password: String,
    #[schema(value_type = Option<Object>)]
    event_data: Option<Map<String, Value>>,
}

impl std::fmt::Debug for ChangePasswordRequest {
    /// Without the passwords.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangePasswordRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

/// Change a user's password.
///
/// With the user's `currentPassword` or, instead of it, a one-time passcode `otp` (each checked
/// as `user/authenticate` checks it, lockout included), `newPassword` replaces the password if
/// the module's policy accepts it; an empty 200. For an `ldap` or `ad` module the directory
/// changes it, as the user (the password modify operation; `unicodePwd` for AD), with the
/// `currentPassword` only; its refusal is a 400. App and app_ext keys
/// must prove the user's DID and public key against adminapi, which is not reachable yet (400).
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/changepassword",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<ChangePasswordRequest>,
    responses(
        (status = 200, description = "Changed (no body)"),
        (status = 400, description = "A new password the policy refuses, an otp adminapi cannot check, a bad body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 401, description = "Invalid username or current password; a locked or disabled user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn change_user_password(
    auth: Licensed<AnyLevel>,
    community: Located,
    body: Body<ChangePasswordRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, .. } = body;
    let _ = &r.event_data;
    if matches!(auth.license.level, kit::Level::App | kit::Level::AppExt) {
        if r.user_did.is_none() || r.user_public_key.is_none() {
            return Err(ApiError::bad_request("userDid and userPublicKey are required with an app key").into());
        }
        return Err(ApiError::bad_request(
            "verifying userDid and userPublicKey is not available yet: an app key cannot change passwords until it is",
        )
        .into());
    }
    let current = r.current_password.as_deref().filter(|p| !p.is_empty());
    let otp = r.otp.as_deref().filter(|o| !o.is_empty());
    if current.is_none() && otp.is_none() {
        return Err(ApiError::bad_request("currentPassword or otp is required").into());
    }
    let Located(community) = community;
    let factors = Factors { password: current, ..Factors::default() };
    let modules = std::slice::from_ref(&r.auth_module);
    // The current password when given; the otp only in its stead.
    let otp = if current.is_some() { None } else { otp };
    let module = user_module(&state, &community.id, &r.auth_module).await?;
    if module.module_type.is_ldap() && current.is_none() {
        return Err(ApiError::bad_request("a directory user's password changes with currentPassword").into());
    }
    let who = authenticated(&state, &community, modules, &r.username, factors, otp).await?;
    if module.module_type.is_ldap() {
        let old = current.unwrap_or_default();
        module
            .password_policy()?
            .check(&r.new_password, &who.user.username)
            .map_err(|b| ApiError::bad_request(b.join("; ")))?;
        if !state.directory().change_password(&module, &who.user.username, old, &r.new_password).await? {
            return Err(ApiError::bad_request("the directory refused the new password").into());
        }
        tracing::info!("directory password changed by the user");
        return Ok(HttpResponse::Ok().finish());
    }
    set_password(&state, &community.id, &who.user, r.new_password).await?;
    tracing::info!("password changed by the user");
    Ok(HttpResponse::Ok().finish())
}

/// Body of `admin/changepassword`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdminChangePasswordRequest {
    auth_module: String,
    username: String,
    new_password: String,
    #[schema(value_type = Option<Object>)]
    event_data: Option<Map<String, Value>>,
}

impl std::fmt::Debug for AdminChangePasswordRequest {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminChangePasswordRequest").field("auth_module", &self.auth_module).finish_non_exhaustive()
    }
}

/// Change a user's password as an admin.
///
/// `newPassword` replaces the user's password if the module's policy accepts it; an empty 200.
/// System, service and service_ext keys.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/admin/changepassword",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<AdminChangePasswordRequest>,
    responses(
        (status = 200, description = "Changed (no body)"),
        (status = 400, description = "A new password the policy refuses, a bad body, a module that is missing, disabled or a directory", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn admin_change_password(
    _auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<AdminChangePasswordRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, .. } = body;
    let _ = &r.event_data;
    let community_id = community.0.id.clone();
    let module = local_module(&state, &community_id, &r.auth_module).await?;
    let name = users::username(&r.username)?;
    let user = state
        .stores
        .users
        .by_username(&community_id, &module.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?;
    set_password(&state, &community_id, &user, r.new_password).await?;
    tracing::info!("password changed by an admin");
    Ok(HttpResponse::Ok().finish())
}
