//! A user's phone numbers: `POST /users/user/update_phone_numbers` adds and removes mobiles and
//! landlines (users-mgmt's user properties). Every logged-in user manages their own; adding a
//! number to one's own account takes a one-time passcode issued to the user (a number may become
//! a second factor, so a stolen session alone must not add one). Administrators manage any user
//! of their communities without one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::community_of;
use crate::State;
use crate::domain::roles::permission;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(update_phone_numbers)]
}

/// Mobiles and landlines.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Phones {
    #[serde(default)]
    mobiles: Vec<String>,
    #[serde(default)]
    landlines: Vec<String>,
}

/// The user whose numbers change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PhoneUser {
    username: String,
    /// When given, it must be the user's.
    uid: Option<String>,
    auth_module_id: String,
}

/// Body of `POST /users/user/update_phone_numbers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdatePhonesRequest {
    tenant_id: String,
    community_id: String,
    /// A one-time passcode issued to the user: required to add a number to one's own account.
    otp: Option<String>,
    user: PhoneUser,
    /// Numbers to add.
    #[serde(default)]
    update_phones: Phones,
    /// Numbers to remove.
    #[serde(default)]
    remove_phones: Phones,
}

/// `current` without `remove`, then `add`, each number once, in order.
fn merged(current: &Value, add: &[String], remove: &[String]) -> Vec<String> {
    let trimmed = |list: &[String]| list.iter().map(|n| n.trim().to_owned()).collect::<Vec<_>>();
    let (add, remove) = (trimmed(add), trimmed(remove));
    let mut out: Vec<String> = current
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .filter(|n| !remove.contains(n))
        .collect();
    for number in add {
        if !out.contains(&number) {
            out.push(number);
        }
    }
    out
}

/// Update my phone numbers.
///
/// Adds `updatePhones` and removes `removePhones` (each `{mobiles, landlines}`) of `user`, as
/// users-mgmt keeps them (digits only, at most 10 of each). Every logged-in user changes their
/// own; adding a number to one's own account needs `otp`, a one-time passcode issued to the user
/// (`POST /api/r2/otp/generate`, a helpdesk passcode), used up by the call. Administrators change
/// any user of their community without one. The user and their numbers.
#[utoipa::path(
    post,
    path = "/users/user/update_phone_numbers",
    request_body = Sealable<UpdatePhonesRequest>,
    responses(
        (status = 200, description = "`tenantId`, `communityId`, `user`, `mobiles`, `landlines`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad number; otp missing where it is needed", body = ErrorBody),
        (status = 401, description = "A wrong, used or expired otp", body = ErrorBody),
        (status = 403, description = "Another user's numbers without the administrator's permission", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_phone_numbers(
    admin: AdminSession<LoggedIn>,
    body: Body<UpdatePhonesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let s = &admin.session;
    let (username, module) = (r.user.username.trim(), r.user.auth_module_id.trim());
    let own = username.eq_ignore_ascii_case(&s.username) && module == s.module_id;
    if !own {
        admin.require(permission::ADMIN)?;
    }
    let administrator = admin.role.grants(permission::ADMIN);
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let query = json!({"authModule": module, "username": username, "includeProperties": true});
    let mut user = state.users_mgmt.call(Method::POST, &path, &query).await?["data"].take();
    let uid = user["uid"].as_str().unwrap_or_default().to_owned();
    if uid.is_empty() || r.user.uid.as_deref().is_some_and(|given| given.trim() != uid) {
        return Err(ApiError::not_found("user not found").into());
    }
    let props = user["userProperties"].take();
    let mobiles = merged(&props["mobiles"], &r.update_phones.mobiles, &r.remove_phones.mobiles);
    let landlines = merged(&props["landlines"], &r.update_phones.landlines, &r.remove_phones.landlines);
    let adds = mobiles.iter().chain(&landlines).any(|n| {
        !props["mobiles"].as_array().into_iter().chain(props["landlines"].as_array()).flatten().any(|o| o == n)
    });
    if adds && !administrator {
        let otp = r.otp.as_deref().map(str::trim).filter(|o| !o.is_empty());
        let otp = otp.ok_or_else(|| ApiError::bad_request("otp is required to add a phone number"))?;
        let name = user["username"].as_str().unwrap_or(username);
        if !state.otps.verify(&community.id, name, otp, state.clock.epoch_secs()).await? {
            tracing::info!("a phone number was not added: the passcode was refused");
            return Err(ApiError::unauthorized("otp is invalid, used or expired").into());
        }
    }
    let update =
        json!({"user": {"username": username, "authModuleId": module}, "mobiles": mobiles, "landlines": landlines});
    let path = UsersMgmt::community_path(&community, "/user_properties/update");
    let saved = state.users_mgmt.call(Method::POST, &path, &update).await?;
    tracing::info!(own, "phone numbers updated");
    let reply = json!({
        "tenantId": community.tenant_id,
        "communityId": community.id,
        "user": {"username": user["username"], "uid": uid, "authModuleId": module},
        "mobiles": saved.get("mobiles").cloned().unwrap_or(json!(mobiles)),
        "landlines": saved.get("landlines").cloned().unwrap_or(json!(landlines)),
    });
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
