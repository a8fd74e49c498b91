//! The logged-in user's own profile, from users-mgmt.

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

use super::home_of;
use crate::State;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(own_profile)]
}

/// Body of `POST /users/user/profile/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    /// The attributes to return (the identity always is); all by default.
    #[serde(default)]
    attributes: Vec<String>,
}

/// Fetch my profile.
///
/// The logged-in user's record at users-mgmt (only `attributes` when given), with `roles`. Any
/// logged-in user.
#[utoipa::path(
    post,
    path = "/users/user/profile/fetch",
    request_body = Sealable<ProfileRequest>,
    responses(
        (status = 200, description = "The user, sealed when the request was", body = Sealable<Object>),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn own_profile(
    admin: AdminSession<LoggedIn>,
    body: Body<ProfileRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let s = &admin.session;
    let mut query = json!({"authModule": s.module_id, "username": s.username});
    if !r.attributes.is_empty() {
        query["attributes"] = json!(r.attributes);
    }
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let mut found = state.users_mgmt.call(Method::POST, &path, &query).await?;
    let mut user = found["data"].take();
    if let Value::Object(map) = &mut user {
        map.insert("roles".into(), json!([s.role]));
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &user)?)
}
