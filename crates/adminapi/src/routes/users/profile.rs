//! A user's profile, from users-mgmt: the logged-in user's own, and a detailed one (properties and
//! lock state) of a user of the community, their own for anyone, another's with `users.read`.

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

use super::{community_of, home_of};
use crate::State;
use crate::domain::roles::permission;
use crate::session::{AdminSession, Administrator, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(own_profile), endpoint!(detail_profile), endpoint!(caller_ip)]
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

/// The user of `POST /users/user/detailProfile/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    username: String,
    /// When given, it must be the user's.
    uid: Option<String>,
    /// When given, it must be the user's.
    urn: Option<String>,
}

/// Body of `POST /users/user/detailProfile/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DetailProfileRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    user: UserRef,
    /// The attributes to return (the identity always is); all by default.
    #[serde(default)]
    attributes: Vec<String>,
}

/// Fetch a user's detailed profile.
///
/// The user's record at users-mgmt with `userProperties` (mobiles, landlines, aliases), its
/// `mobiles`, `landlines` and `aliases` beside, `isLocked` and `roles`. Every logged-in user reads
/// their own; another user's needs `users.read` (helpdesk and administrators). A `uid` or `urn`
/// given must be the user's (404 otherwise).
#[utoipa::path(
    post,
    path = "/users/user/detailProfile/fetch",
    request_body = Sealable<DetailProfileRequest>,
    responses(
        (status = 200, description = "The user, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "Another user's without users.read, or another community", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn detail_profile(
    admin: AdminSession<LoggedIn>,
    body: Body<DetailProfileRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    // Checked before the lookup, so a user without users.read cannot tell who exists.
    let s = &admin.session;
    let own = r.user.username.trim().eq_ignore_ascii_case(&s.username) && r.module_id.trim() == s.module_id;
    if !own {
        admin.require(permission::USERS_READ)?;
    }
    let mut query = json!({"authModule": r.module_id, "username": r.user.username, "includeProperties": true});
    if !r.attributes.is_empty() {
        query["attributes"] = json!(r.attributes);
    }
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let mut user = state.users_mgmt.call(Method::POST, &path, &query).await?["data"].take();
    let uid = user["uid"].as_str().unwrap_or_default().to_owned();
    let mismatch =
        |given: &Option<String>, field: &str| given.as_deref().is_some_and(|g| user[field].as_str() != Some(g.trim()));
    if uid.is_empty() || mismatch(&r.user.uid, "uid") || mismatch(&r.user.urn, "urn") {
        return Err(kit::AppError::from(envelope::ApiError::not_found("user not found")));
    }
    if own && uid != admin.session.uid {
        admin.require(permission::USERS_READ)?;
    }
    let status = state
        .users_mgmt
        .call(
            Method::POST,
            &UsersMgmt::community_path(&community, "/user/status"),
            &json!({"username": user["username"]}),
        )
        .await?;
    let locked = status["reasons"].as_array().is_some_and(|r| !r.is_empty());
    let role = crate::domain::authz::role_of(&*state.stores.authz, &community.id, &uid).await?;
    if let Value::Object(map) = &mut user {
        let props = map.get("userProperties").cloned().unwrap_or_else(|| json!({}));
        for field in ["mobiles", "landlines", "aliases"] {
            map.insert(field.into(), props.get(field).cloned().unwrap_or(Value::Null));
        }
        map.insert("isLocked".into(), json!(locked));
        map.insert("roles".into(), json!([role]));
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &user)?)
}

/// Get my IP address.
///
/// The address the caller's request came from, as `{ip}`: the `Forwarded` / `X-Forwarded-For`
/// client when a proxy in front of adminapi sets it, else the connection's peer. Tenant and
/// community administrators.
#[utoipa::path(get, path = "/users/user/ip", responses((status = 200, description = "`{ip}`, sealed", body = Sealable<Object>)))]
#[tracing::instrument(skip_all)]
pub async fn caller_ip(admin: AdminSession<Administrator>, req: actix_web::HttpRequest) -> AppResult<HttpResponse> {
    let info = req.connection_info();
    let address = info.realip_remote_addr().unwrap_or_default();
    // `host:port`, `[v6]:port` or a bare address: the address alone.
    let ip = match address.parse::<std::net::SocketAddr>() {
        Ok(socket) => socket.ip().to_string(),
        Err(_) => address.trim_start_matches('[').trim_end_matches(']').to_owned(),
    };
    Ok(admin.caller.reply(&json!({"ip": ip}))?)
}
