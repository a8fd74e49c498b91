//! User records through users-mgmt: create (with a role), fetch, count, count all, update.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::{check_current_role, community_of, givable, home_of, uid_of};
use crate::State;
use crate::domain::authz;
use crate::session::{AdminSession, Administrator, UsersReader};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create_user),
        endpoint!(fetch_users),
        endpoint!(count_users),
        endpoint!(count_all_users),
        endpoint!(update_user),
    ]
}

/// Body of `PUT /users/create`: one user of the administrator's community.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateUserRequest {
    /// The db module of the user.
    module_id: String,
    /// The role to give (`user` by default); within the administrator's own.
    role: Option<String>,
    /// The user: `username`, `password`, `status`, names, emails, phone, `disabled`, `idpId` (as
    /// users-mgmt's `users/create` takes them).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    user: Map<String, Value>,
}

/// Create a user.
///
/// One user of the administrator's community in `moduleId`, created by users-mgmt (its rules:
/// unique username, valid email and phone, the module's password policy), with `role` when
/// given. The reply is users-mgmt's: `requested`, `created`, `failed`, `errors`. Administrators.
#[utoipa::path(
    put,
    path = "/users/create",
    request_body = Sealable<CreateUserRequest>,
    responses(
        (status = 200, description = "`requested`, `created`, `failed`, `errors`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, an unknown role, a module that is missing or disabled", body = ErrorBody),
        (status = 403, description = "A role beyond the administrator's own", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_user(
    admin: AdminSession<Administrator>,
    body: Body<CreateUserRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let role = r.role.as_deref().map(|name| givable(&admin, name)).transpose()?;
    let username = r.user.get("username").and_then(Value::as_str).map(str::to_owned);
    let body = json!({"authModule": r.module_id, "users": [Value::Object(r.user)]});
    let reply =
        state.users_mgmt.call(Method::PUT, &UsersMgmt::community_path(&community, "/users/create"), &body).await?;
    if let (Some(role), Some(username), Some(1)) = (role, username, reply["created"].as_u64()) {
        let uid = uid_of(&state, &community, &r.module_id, &username).await?;
        authz::assign(&*state.stores.authz, &community.tenant_id, &community.id, &uid, role.name, &admin.session.uid)
            .await?;
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /users/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct FetchUsersRequest {
    tenantId: String,
    communityId: String,
    moduleId: String,
    pSize: Option<u64>,
    pIndex: Option<u64>,
    #[serde(default)]
    attributes: Vec<String>,
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
}

/// Fetch users.
///
/// A page of the module's users (users-mgmt's `users/fetch`: `pSize` at most 100, `pIndex`
/// from 0, `query` on indexed fields, `attributes` projection). Administrators.
#[utoipa::path(
    post,
    path = "/users/fetch",
    request_body = Sealable<FetchUsersRequest>,
    responses(
        (status = 200, description = "The page, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such community, or module", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_users(
    admin: AdminSession<Administrator>,
    body: Body<FetchUsersRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let mut body = json!({"authModule": r.moduleId, "pIndex": r.pIndex.unwrap_or(0), "attributes": r.attributes});
    if let Some(size) = r.pSize {
        body["pSize"] = json!(size);
    }
    if let Some(query) = r.query {
        body["query"] = Value::Object(query);
    }
    let reply =
        state.users_mgmt.call(Method::POST, &UsersMgmt::community_path(&community, "/users/fetch"), &body).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /users/count` and `POST /users/countAll`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CountUsersRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    /// `users/count` only.
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
}

async fn count<P>(
    admin: &AdminSession<P>,
    r: CountUsersRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<Value> {
    let community = community_of(platform, admin, &r.tenant_id, &r.community_id).await?;
    let mut body = json!({"authModule": r.module_id});
    if let Some(query) = r.query {
        body["query"] = Value::Object(query);
    }
    Ok(state.users_mgmt.call(Method::POST, &UsersMgmt::community_path(&community, "/users/count"), &body).await?)
}

/// Count users.
///
/// How many of the module's users match `query`: `{id, type, count}`. Helpdesk and
/// administrators (`users.read`).
#[utoipa::path(
    post,
    path = "/users/count",
    request_body = Sealable<CountUsersRequest>,
    responses(
        (status = 200, description = "`{id, type, count}`, sealed when the request was", body = Sealable<Object>),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn count_users(
    admin: AdminSession<UsersReader>,
    body: Body<CountUsersRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let reply = count(&admin, r, &state, &platform).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Count all users.
///
/// How many users the module has: `{id, type, count}`. Administrators.
#[utoipa::path(
    post,
    path = "/users/countAll",
    request_body = Sealable<CountUsersRequest>,
    responses(
        (status = 200, description = "`{id, type, count}`, sealed", body = Sealable<Object>),
        (status = 400, description = "A query (count all takes none)", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn count_all_users(
    admin: AdminSession<Administrator>,
    body: Body<CountUsersRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    if r.query.is_some() {
        return Err(ApiError::bad_request("query is not taken here: use POST /users/count").into());
    }
    let reply = count(&admin, r, &state, &platform).await?;
    Ok(admin.caller.reply(&reply)?)
}

/// Body of `PATCH /users/user/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UpdateUserRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    username: String,
    uid: String,
    /// With `newRole`: the user's current role.
    old_role: Option<String>,
    /// A role to give in place of `oldRole` (as `PATCH /users/user/role/update`).
    new_role: Option<String>,
    /// The fields to change (users-mgmt's `user/update`: status, disabled, names, emails,
    /// phone, address; `uid`, `username`, `password` and `roleValue` cannot change).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    fields: Map<String, Value>,
}

/// Update a user.
///
/// Changes the given fields of the user (`uid` must be the uid of `username` in `moduleId`)
/// through users-mgmt, and the role when `newRole` (with `oldRole`) is given; the role is
/// checked before anything changes. The updated user, with its `roles`. Administrators.
#[utoipa::path(
    patch,
    path = "/users/user/update",
    request_body = Sealable<UpdateUserRequest>,
    responses(
        (status = 200, description = "The updated user, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A field that cannot change or is invalid; an unknown role", body = ErrorBody),
        (status = 403, description = "A role beyond the administrator's own, or another community", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "oldRole is not the user's current role", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_user(
    admin: AdminSession<Administrator>,
    body: Body<UpdateUserRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    // `role` is the reference's other name of newRole.
    let new_role = r.new_role.take().or_else(|| r.fields.remove("role").and_then(|v| v.as_str().map(str::to_owned)));
    let uid = r.uid.trim().to_owned();
    if uid_of(&state, &community, &r.module_id, &r.username).await? != uid {
        return Err(ApiError::not_found("no user of moduleId has this username and uid").into());
    }
    let role = match new_role.as_deref() {
        Some(new) => {
            let role = givable(&admin, new)?;
            let old = r.old_role.as_deref().ok_or_else(|| ApiError::bad_request("oldRole is required with newRole"))?;
            check_current_role(&state, &community, &uid, old).await?;
            Some(role)
        }
        None => None,
    };
    if !r.fields.is_empty() {
        let mut update = r.fields;
        update.insert("authModule".into(), json!(r.module_id));
        update.insert("username".into(), json!(r.username));
        let path = UsersMgmt::community_path(&community, "/user/update");
        state.users_mgmt.call(Method::PATCH, &path, &Value::Object(update)).await?;
    }
    if let Some(role) = role {
        authz::assign(&*state.stores.authz, &community.tenant_id, &community.id, &uid, role.name, &admin.session.uid)
            .await?;
    }
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let found = json!({"authModule": r.module_id, "username": r.username});
    let mut user = state.users_mgmt.call(Method::POST, &path, &found).await?["data"].take();
    user["roles"] = json!([authz::role_of(&*state.stores.authz, &community.id, &uid).await?]);
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &user)?)
}
