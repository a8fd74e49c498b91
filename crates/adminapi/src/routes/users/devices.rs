//! A user's linked devices ([`crate::domain::devices`]): listed with the wallet's identity record
//! (`devices/fetch`, and with the other login options in `login_options/fetch`), unlinked
//! (`unlinkuser`), and the identity assurance level they report (`ial`). Every logged-in user
//! reads and unlinks their own; another user's devices need `users.read` to read and an
//! administrator to unlink, within the session's reach.

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

use super::{community_of, home_of};
use crate::State;
use crate::domain::devices::{self, Device};
use crate::domain::roles::permission;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_devices), endpoint!(fetch_login_options), endpoint!(unlink_device), endpoint!(user_ial)]
}

/// The user a request names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceUserRef {
    uid: String,
    username: String,
    auth_module_id: String,
}

/// The community a request names (`name` and `publicKey` are not needed: `id` decides).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCommunityRef {
    id: String,
    name: Option<String>,
    public_key: Option<String>,
}

/// Body of `devices/fetch` and `login_options/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicesRequest {
    user: DeviceUserRef,
    community: DeviceCommunityRef,
}

/// Body of `PATCH /users/unlinkuser`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlinkRequest {
    user: DeviceUserRef,
    community: DeviceCommunityRef,
    did: String,
}

/// The community of the body, within the session's reach, and whether the user named is the
/// session's own; another user's needs `permission`.
async fn target<P>(
    platform: &Platform,
    admin: &AdminSession<P>,
    user: &DeviceUserRef,
    community: &DeviceCommunityRef,
    permission: &str,
) -> AppResult<CommunityRef> {
    let _ = (&community.name, &community.public_key);
    let s = &admin.session;
    let community = community_of(platform, admin, &s.tenant_id, community.id.trim()).await?;
    let own = community.id == s.community_id && user.uid.trim() == s.uid;
    if !own {
        admin.require(permission)?;
    }
    if user.uid.trim().is_empty() || user.username.trim().is_empty() || user.auth_module_id.trim().is_empty() {
        return Err(ApiError::bad_request("user.uid, user.username and user.authModuleId are required").into());
    }
    Ok(community)
}

/// The user's devices, and their wallets' identity records.
async fn listed(state: &State, community: &CommunityRef, uid: &str) -> AppResult<(Vec<Device>, Value)> {
    let found = state.stores.devices.of_user(&community.id, uid).await?;
    let reply = json!({
        "list": found.iter().map(Device::person_view).collect::<Vec<_>>(),
        "devices": found.iter().map(Device::device_view).collect::<Vec<_>>(),
    });
    Ok((found, reply))
}

/// Fetch devices linked to user.
///
/// `list` (the wallets' identity records: `personId`, `userIdList`, `publicKey`, `poi_ial`,
/// `pon_ial`) and `devices` (`did`, `publickey`, `os`, `deviceName`, … as the device reported
/// them). Own devices for every logged-in user; another user's need `users.read`.
#[utoipa::path(
    post,
    path = "/users/user/devices/fetch",
    request_body = Sealable<DevicesRequest>,
    responses(
        (status = 200, description = "`list` and `devices`, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "Another user's without users.read, or another community", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_devices(
    admin: AdminSession<LoggedIn>,
    body: Body<DevicesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, &r.user, &r.community, permission::USERS_READ).await?;
    let (_, reply) = listed(&state, &community, r.user.uid.trim()).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Fetch login options linked to user.
///
/// The user's devices as `devices/fetch` lists them, with `is_user_pin_enrolled` and
/// `is_typing_phrase_enrolled` from the user's record at users-mgmt (404 when users-mgmt has no
/// such user). Own options for every logged-in user; another user's need `users.read`.
#[utoipa::path(
    post,
    path = "/users/user/login_options/fetch",
    request_body = Sealable<DevicesRequest>,
    responses(
        (status = 200, description = "`list`, `devices`, `is_user_pin_enrolled`, `is_typing_phrase_enrolled`, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "Another user's without users.read, or another community", body = ErrorBody),
        (status = 404, description = "No such community or user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_login_options(
    admin: AdminSession<LoggedIn>,
    body: Body<DevicesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, &r.user, &r.community, permission::USERS_READ).await?;
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let query = json!({"authModule": r.user.auth_module_id.trim(), "username": r.user.username.trim()});
    let user = state.users_mgmt.call(Method::POST, &path, &query).await?["data"].take();
    if user["uid"].as_str() != Some(r.user.uid.trim()) {
        return Err(ApiError::not_found("user not found").into());
    }
    let (_, mut reply) = listed(&state, &community, r.user.uid.trim()).await?;
    reply["is_user_pin_enrolled"] = json!(user["is_user_pin_enrolled"] == true);
    reply["is_typing_phrase_enrolled"] = json!(user["is_typing_phrase_enrolled"] == true);
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Unlink user device.
///
/// Removes the device `did` from the user: every user their own, administrators any user's of a
/// community they reach. Its QR answers sign nobody in from then on. 404 when the user has no
/// such device.
#[utoipa::path(
    patch,
    path = "/users/unlinkuser",
    request_body = Sealable<UnlinkRequest>,
    responses(
        (status = 200, description = "`message`, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "Another user's without being an administrator, or another community", body = ErrorBody),
        (status = 404, description = "No such community, or the user has no such device", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn unlink_device(
    admin: AdminSession<LoggedIn>,
    body: Body<UnlinkRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, &r.user, &r.community, permission::ADMIN).await?;
    let did = devices::text("did", &r.did)?;
    if !state.stores.devices.unlink(&community.id, r.user.uid.trim(), &did).await? {
        return Err(ApiError::not_found("the user has no device with this did").into());
    }
    tracing::info!("device unlinked");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"message": "the device is unlinked"}))?)
}

/// Get IAL of the user.
///
/// The logged-in user's identity assurance level, `{ial}`: the highest a linked wallet reported
/// (`IAL1` to `IAL3`), `IAL1` (self-asserted) without one.
#[utoipa::path(
    get,
    path = "/users/user/ial",
    responses((status = 200, description = "`{ial}`, sealed", body = Sealable<Object>))
)]
#[tracing::instrument(skip_all)]
pub async fn user_ial(
    admin: AdminSession<LoggedIn>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let found = state.stores.devices.of_user(&community.id, &admin.session.uid).await?;
    Ok(admin.caller.reply_with(StatusCode::OK, &json!({"ial": devices::ial_of(&found)}))?)
}
