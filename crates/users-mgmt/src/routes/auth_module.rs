//! The catalog group Auth Module: a community's auth modules, created, listed, read, changed and
//! deleted with a system, service or service_ext key authorized for the community (checked by
//! the router), their password policy (any caller), a connection test and directory host status.
//!
//! Bodies may be sealed (`{"data": "<encrypted>"}`) or, as the reference's preview allows, plain;
//! replies are sealed for the caller when the request was.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, OptionalCaller};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable, SealedBody};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, ServiceLevels, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::directory;
use crate::domain::modules::{self, ModulePatch, ModuleRequest};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create),
        endpoint!(fetch),
        endpoint!(get),
        endpoint!(update),
        endpoint!(delete),
        endpoint!(password_policy),
        endpoint!(test_connection),
        endpoint!(update_hosts_status),
    ]
}

/// The `tenantId` and `communityId` of a path (the router has checked they exist and belong
/// together, and that the license covers the community).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CommunityPath {
    pub tenant_id: String,
    pub community_id: String,
}

/// A module's path.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModulePath {
    #[allow(dead_code)]
    tenant_id: String,
    community_id: String,
    module_id: String,
}

fn canonical(id: &str) -> String {
    id.trim().to_ascii_lowercase()
}

/// Create auth module.
///
/// One module per type and community (409 for a second). `db` modules keep their users here;
/// `ldap`, `ad` and `azuread` modules are stored with their validated configuration (their
/// directory is reached once directories are built). Credentials are never returned.
#[utoipa::path(
    put,
    path = "/tenant/{tenantId}/community/{communityId}/module/create",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<ModuleRequest>,
    responses(
        (status = 200, description = "The created module, sealed when the request was", body = Sealable<Object>),
        (status = 409, description = "The community already has a module of this type", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create(
    auth: Licensed<ServiceLevels>,
    path: web::Path<CommunityPath>,
    body: Body<ModuleRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let now = envelope::wire::now_epoch();
    let module =
        modules::new_module(&state.sealer, &canonical(&path.tenant_id), &canonical(&path.community_id), value, now)?;
    state.stores.modules.insert(&module).await.map_err(|e| match e {
        kit::StoreError::Conflict(_) => {
            kit::AppError::from(ApiError::conflict("the community already has an auth module of this type"))
        }
        other => other.into(),
    })?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &module.to_reply())?)
}

/// Fetch auth modules.
///
/// Every module of the community, oldest first. The body (`{}`) may be empty.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/modules/fetch",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    responses((status = 200, description = "The modules, sealed", body = SealedBody)),
)]
#[tracing::instrument(skip_all)]
pub async fn fetch(
    auth: Licensed<ServiceLevels>,
    path: web::Path<CommunityPath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let list = state.stores.modules.list(&canonical(&path.community_id)).await?;
    let replies: Vec<Value> = list.iter().map(modules::Module::to_reply).collect();
    Ok(auth.caller.reply(&replies)?)
}

/// Get auth module.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    responses(
        (status = 200, description = "The module, sealed", body = SealedBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn get(
    auth: Licensed<ServiceLevels>,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let module = modules::find(&*state.stores.modules, &canonical(&path.community_id), &path.module_id).await?;
    Ok(auth.caller.reply(&module.to_reply())?)
}

/// Update auth module.
///
/// Only the fields given change; the type cannot. A new `config` replaces the stored one, but
/// credentials it leaves out are kept (replies never show them).
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    request_body = Sealable<ModulePatch>,
    responses(
        (status = 200, description = "The updated module, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update(
    auth: Licensed<ServiceLevels>,
    path: web::Path<ModulePath>,
    body: Body<ModulePatch>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let store = &*state.stores.modules;
    let module = modules::find(store, &canonical(&path.community_id), &path.module_id).await?;
    let next = modules::patched(&state.sealer, &module, value, envelope::wire::now_epoch())?;
    store.update(&next).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &next.to_reply())?)
}

/// Delete auth module.
///
/// Deleting the `db` module deletes every user of the community with it, as the reference
/// warns; deleting another module deletes its users.
#[utoipa::path(
    delete,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete(
    _auth: Licensed<ServiceLevels>,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let store = &*state.stores.modules;
    let module = modules::find(store, &canonical(&path.community_id), &path.module_id).await?;
    store.delete(&module).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Get password policy by moduleId.
///
/// Any caller (no license): `{"passwordPolicy": …}`, the module's own or the default (at least 8
/// characters, not the username). Sealed when the request carries the authentication headers,
/// plain JSON otherwise.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/pwd-policy",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    responses(
        (status = 200, description = "The policy, sealed when the request was signed", body = Sealable<crate::domain::password_policy::PasswordPolicy>),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn password_policy(
    caller: OptionalCaller,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let module = modules::find(&*state.stores.modules, &canonical(&path.community_id), &path.module_id).await?;
    let reply = json!({ "passwordPolicy": module.password_policy()? });
    match caller.0 {
        Some(caller) => Ok(caller.reply(&reply)?),
        None => Ok(HttpResponse::Ok().json(reply)),
    }
}

/// Test auth module.
///
/// A `db` module is tested against this service's database. An `ldap` or `ad` module's hosts
/// are each reached step by step (DNS, TCP, TLS, bind as the service account): `status` is true
/// when one host went through every step, `message` names the host and the step that failed,
/// `hosts` gives each host's result (`step` on a failure), and each host's status is recorded
/// in the module. An `azuread` module is not tested yet (400), never a made-up success.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/test-connection",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    responses(
        (status = 200, description = "The module with `status`, `message` (and `hosts` for a directory), sealed", body = SealedBody),
        (status = 400, description = "An azuread module (not supported yet), or a credential that does not open", body = ErrorBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn test_connection(
    auth: Licensed<ServiceLevels>,
    path: web::Path<ModulePath>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let module = modules::find(&*state.stores.modules, &canonical(&path.community_id), &path.module_id).await?;
    if module.module_type.is_ldap() {
        let (ok, message, hosts) = state.directory().test(&module).await?;
        tracing::info!(status = ok, "directory connection tested");
        let reply = directory::test_reply(module.to_reply(), ok, &message, hosts);
        return Ok(auth.caller.reply(&reply)?);
    }
    if module.module_type.is_directory() {
        return Err(ApiError::bad_request(format!(
            "testing the connection of a {} module is not supported yet",
            module.module_type.name()
        ))
        .into());
    }
    let ok = platform.db.ping().await.is_ok();
    let mut reply = module.to_reply();
    reply["status"] = json!(ok);
    reply["message"] = json!(if ok { "connection success" } else { "connection failed" });
    Ok(auth.caller.reply(&reply)?)
}

/// Body of `update-hosts-status`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostsStatusRequest {
    pub hosts: modules::HostAttempts,
    /// The reporting application (kept in the log only).
    pub app_name: Option<String>,
    pub app_id: Option<String>,
}

/// Update the status of a directory module's hosts.
///
/// Each attempt (`host.server`, `host.port`, `status` success or failed, `ts`) sets
/// `lastSuccessAt` or `lastFailedAt` of that host in `config.hosts`, and its `status` (up or
/// down), as users-mgmt does itself for the hosts it reaches. Any valid license (the
/// reference names none). A `db` module has no hosts (400).
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/module/{moduleId}/update-hosts-status",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("moduleId" = String, Path)),
    request_body = Sealable<HostsStatusRequest>,
    responses(
        (status = 200, description = "The updated module, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A db module, an unknown host or a bad attempt", body = ErrorBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_hosts_status(
    auth: Licensed<AnyLevel>,
    path: web::Path<ModulePath>,
    body: Body<HostsStatusRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let store = &*state.stores.modules;
    let module = modules::find(store, &canonical(&path.community_id), &path.module_id).await?;
    let next = modules::record_host_attempts(&module, &value.hosts)?;
    store.update(&next).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &next.to_reply())?)
}
