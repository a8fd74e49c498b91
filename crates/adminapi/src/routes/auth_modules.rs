//! The catalog group Auth Modules: the session's community's auth modules, kept by users-mgmt
//! and managed through it by administrators (create, list, get, update, delete). The bodies are
//! users-mgmt's (`type`, `name`, `enabled`, `mode`, `config` with the password policy or the
//! directory settings), checked there; its refusals keep their status and message.
//! `PATCH /auth_modules/updateJs/{moduleId}` sets a module's custom script
//! ([`crate::domain::module_scripts`]): checked in the script sandbox, kept by adminapi.

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

use crate::State;
use crate::domain::config::Owner;
use crate::domain::module_scripts;
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group built so far.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create_module),
        endpoint!(fetch_modules),
        endpoint!(get_module),
        endpoint!(update_module),
        endpoint!(delete_module),
        endpoint!(update_js),
    ]
}

/// Path of the endpoints of one module.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModulePath {
    module_id: String,
}

fn module_path(module_id: &str) -> Result<String, ApiError> {
    let id = module_id.trim();
    if kit::ids::is_object_id(id) {
        Ok(format!("/module/{}", id.to_ascii_lowercase()))
    } else {
        Err(ApiError::not_found("auth module not found"))
    }
}

/// Create an auth module.
///
/// A module of the session's community (`type` db, ldap, ad or azuread with its `config`), as
/// users-mgmt's `module/create` takes it: one module of each type per community. The created
/// module. Administrators.
#[utoipa::path(
    put,
    path = "/auth_modules/create",
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "The module, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A module users-mgmt refuses (its message)", body = ErrorBody),
        (status = 409, description = "The community has a module of this type", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_module(
    admin: AdminSession<Administrator>,
    body: Body<Value>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let path = UsersMgmt::community_path(&community, "/module/create");
    let reply = state.users_mgmt.call(Method::PUT, &path, &value).await?;
    tracing::info!("an administrator created an auth module");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Fetch auth modules.
///
/// Every module of the session's community, oldest first (their secrets left out). Administrators.
#[utoipa::path(
    post,
    path = "/auth_modules/fetch",
    responses(
        (status = 200, description = "The modules, sealed", body = Sealable<Object>),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_modules(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let reply = state
        .users_mgmt
        .call(Method::POST, &UsersMgmt::community_path(&community, "/modules/fetch"), &json!({}))
        .await?;
    Ok(admin.caller.reply(&reply)?)
}

/// Get an auth module.
///
/// One module of the session's community. Administrators.
#[utoipa::path(
    get,
    path = "/auth_modules/{moduleId}",
    params(("moduleId" = String, Path)),
    responses(
        (status = 200, description = "The module, sealed", body = Sealable<Object>),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn get_module(
    admin: AdminSession<Administrator>,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let path = UsersMgmt::community_path(&community, &module_path(&path.module_id)?);
    let reply = state.users_mgmt.get(&path).await?;
    Ok(admin.caller.reply(&reply)?)
}

/// Update an auth module.
///
/// Changes the given fields (`name`, `enabled`, `config`; `type` and `mode` cannot change) of a
/// module of the session's community, as users-mgmt checks them. The updated module.
/// Administrators.
#[utoipa::path(
    patch,
    path = "/auth_modules/{moduleId}",
    params(("moduleId" = String, Path)),
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "The module, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A change users-mgmt refuses (its message)", body = ErrorBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_module(
    admin: AdminSession<Administrator>,
    path: web::Path<ModulePath>,
    body: Body<Value>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let path = UsersMgmt::community_path(&community, &module_path(&path.module_id)?);
    let reply = state.users_mgmt.call(Method::PATCH, &path, &value).await?;
    tracing::info!("an administrator updated an auth module");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Delete an auth module.
///
/// Deletes a module of the session's community at users-mgmt (as it allows). 204.
/// Administrators.
#[utoipa::path(
    delete,
    path = "/auth_modules/{moduleId}",
    params(("moduleId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_module(
    admin: AdminSession<Administrator>,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let path = UsersMgmt::community_path(&community, &module_path(&path.module_id)?);
    state.users_mgmt.delete(&path).await?;
    tracing::info!("an administrator deleted an auth module");
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `PATCH /auth_modules/updateJs/{moduleId}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateJsRequest {
    /// The script: base64 of its UTF-8 text (at most 64 KiB).
    data: String,
}

/// Update the JS script of an auth module.
///
/// Sets the custom script of a module of the session's community: JavaScript that gets a user's
/// profile as `input` and ends with JSON (a value, or a function of `input` returning one). It is
/// run once in the sandbox on a sample profile before it is saved: a script that does not compile,
/// throws, gives no JSON or runs past the time or memory limit is refused. The module, with its
/// `script`. Administrators.
#[utoipa::path(
    patch,
    path = "/auth_modules/updateJs/{moduleId}",
    params(("moduleId" = String, Path)),
    request_body = Sealable<UpdateJsRequest>,
    responses(
        (status = 200, description = "The module with its script, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "Not base64, too long, a script that fails (its error name and line), \
            gives no JSON, or runs too long or too big", body = ErrorBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "Too many scripts are running, or users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_js(
    admin: AdminSession<Administrator>,
    path: web::Path<ModulePath>,
    body: Body<UpdateJsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let mut module =
        state.users_mgmt.get(&UsersMgmt::community_path(&community, &module_path(&path.module_id)?)).await?;
    let module_id =
        module["_id"].as_str().map(str::to_owned).ok_or_else(|| ApiError::not_found("auth module not found"))?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let now = state.clock.epoch_secs();
    let stored = module_scripts::set(
        &*state.stores.module_scripts,
        &state.scripts,
        owner,
        &module_id,
        &value.data,
        &admin.session.uid,
        now,
    )
    .await?;
    module["script"] = json!(stored.script_b64);
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &module)?)
}
