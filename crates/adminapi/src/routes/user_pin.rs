//! The catalog group User PIN and `PUT /users/user/user_pin/update`: the logged-in user's own
//! PIN, kept by users-mgmt (SHA-512, compared in constant time there).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
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

/// The endpoints of the group, and the PIN update of the Users group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(register_own_pin), endpoint!(delete_own_pin), endpoint!(update_own_pin)]
}

/// The logged-in user as users-mgmt names a PIN's owner.
fn me<P>(admin: &AdminSession<P>) -> Value {
    json!({"username": admin.session.username, "authModule": admin.session.module_id})
}

/// Body of `POST /user_pin/register`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPinRequest {
    pin: String,
}

/// Body of `PUT /users/user/user_pin/update`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdatePinRequest {
    /// Checked when given.
    current_pin: Option<String>,
    new_pin: String,
}

/// Body of `DELETE /user_pin`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeletePinRequest {
    /// Checked when given.
    current_pin: Option<String>,
}

macro_rules! no_pin_debug {
    ($($t:ty),*) => {$(
        impl std::fmt::Debug for $t {
            /// Without the PIN.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($t))
            }
        }
    )*};
}
no_pin_debug!(RegisterPinRequest, UpdatePinRequest, DeletePinRequest);

/// Register my PIN.
///
/// Sets the logged-in user's PIN (users-mgmt's rules). `{status: true}`. Any logged-in user.
#[utoipa::path(
    post,
    path = "/user_pin/register",
    request_body = Sealable<RegisterPinRequest>,
    responses(
        (status = 200, description = "`{status: true}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A PIN users-mgmt refuses, or the user has one", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register_own_pin(
    admin: AdminSession<LoggedIn>,
    body: Body<RegisterPinRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let path = UsersMgmt::community_path(&community, "/user/user_pin/register");
    state.users_mgmt.call(Method::POST, &path, &json!({"user": me(&admin), "pin": r.pin})).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": true}))?)
}

/// Update my PIN.
///
/// Replaces the logged-in user's PIN (`currentPin` checked when given). `{status: true}`. Any
/// logged-in user.
#[utoipa::path(
    put,
    path = "/users/user/user_pin/update",
    request_body = Sealable<UpdatePinRequest>,
    responses(
        (status = 200, description = "`{status: true}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A PIN users-mgmt refuses", body = ErrorBody),
        (status = 401, description = "currentPin is not the user's", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_own_pin(
    admin: AdminSession<LoggedIn>,
    body: Body<UpdatePinRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let mut change = json!({"user": me(&admin), "newPin": r.new_pin});
    if let Some(current) = r.current_pin {
        change["currentPin"] = json!(current);
    }
    let path = UsersMgmt::community_path(&community, "/user/user_pin/update");
    state.users_mgmt.call(Method::PATCH, &path, &change).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": true}))?)
}

/// Delete my PIN.
///
/// Removes the logged-in user's PIN (`currentPin` checked when given). `{message}`. Any
/// logged-in user.
#[utoipa::path(
    delete,
    path = "/user_pin",
    request_body = Sealable<DeletePinRequest>,
    responses(
        (status = 200, description = "`{message}`, sealed when the request was", body = Sealable<Object>),
        (status = 401, description = "currentPin is not the user's", body = ErrorBody),
        (status = 404, description = "The user has no PIN", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_own_pin(
    admin: AdminSession<LoggedIn>,
    body: Body<DeletePinRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let mut removal = json!({"user": me(&admin)});
    if let Some(current) = r.current_pin {
        removal["currentPin"] = json!(current);
    }
    let path = UsersMgmt::community_path(&community, "/user/user_pin");
    state.users_mgmt.call(Method::DELETE, &path, &removal).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"message": "PIN deleted"}))?)
}
