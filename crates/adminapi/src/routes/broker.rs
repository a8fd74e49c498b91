//! The catalog group Broker: a community's directory brokers as its administrators see them,
//! kept by users-mgmt (its Broker Connection group) and managed through it: fetched, enabled or
//! disabled, renamed, deleted. users-mgmt's refusals keep their status and message.

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

use crate::State;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_brokers), endpoint!(change_broker_status), endpoint!(update_broker), endpoint!(delete_broker)]
}

/// The module of a request (`POST /broker/fetch`, `DELETE /broker/{uid}`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrokerModuleRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
}

/// Body of `PATCH /broker/changestatus`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrokerChangeStatusRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    uid: String,
    /// `true` / `false`, as a boolean or the reference's string.
    #[schema(value_type = bool)]
    enabled: Value,
}

/// Body of `PATCH /broker/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrokerUpdateRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    uid: String,
    name: String,
}

/// The `uid` of `DELETE /broker/{uid}`.
#[derive(Debug, Deserialize)]
pub struct BrokerUidPath {
    uid: String,
}

/// users-mgmt's path of the module's brokers, `rest` after `broker/`, in a community the
/// session reaches.
async fn brokers_path(
    platform: &Platform,
    admin: &AdminSession<Administrator>,
    tenant_id: &str,
    community_id: &str,
    module_id: &str,
    rest: &str,
) -> AppResult<String> {
    let community: CommunityRef = community_of(platform, admin, tenant_id, community_id).await?;
    let module = module_id.trim();
    if !kit::ids::is_object_id(module) {
        return Err(ApiError::bad_request("moduleId must be 24 hex digits").into());
    }
    Ok(UsersMgmt::community_path(&community, &format!("/module/{}/broker/{rest}", module.to_ascii_lowercase())))
}

/// Fetch broker connections.
///
/// The brokers of module `moduleId` of the community. Administrators, in their community.
#[utoipa::path(
    post,
    path = "/broker/fetch",
    request_body = Sealable<BrokerModuleRequest>,
    responses(
        (status = 200, description = "The broker connections, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field, a bad moduleId", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such module", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_brokers(
    admin: AdminSession<Administrator>,
    body: Body<BrokerModuleRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let path = brokers_path(&platform, &admin, &r.tenant_id, &r.community_id, &r.module_id, "fetch").await?;
    let reply = state.users_mgmt.get(&path).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Change status of broker connection.
///
/// Enables or disables broker `uid` of module `moduleId` (`enabled` true or false; only an
/// authorized broker can be enabled). The updated connection. Administrators.
#[utoipa::path(
    patch,
    path = "/broker/changestatus",
    request_body = Sealable<BrokerChangeStatusRequest>,
    responses(
        (status = 200, description = "The updated connection, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing or bad field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such module or broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn change_broker_status(
    admin: AdminSession<Administrator>,
    body: Body<BrokerChangeStatusRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let enabled = match &r.enabled {
        Value::Bool(b) => *b,
        Value::String(s) if s == "true" => true,
        Value::String(s) if s == "false" => false,
        _ => return Err(ApiError::bad_request("enabled must be true or false").into()),
    };
    let path = brokers_path(&platform, &admin, &r.tenant_id, &r.community_id, &r.module_id, "changestatus").await?;
    let reply = state.users_mgmt.call(Method::PATCH, &path, &json!({"uid": r.uid, "enabled": enabled})).await?;
    tracing::info!(enabled, "an administrator changed a broker's status");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Update broker connection (only name is allowed to be updated by this api).
///
/// Renames broker `uid` of module `moduleId`. The updated connection. Administrators.
#[utoipa::path(
    patch,
    path = "/broker/update",
    request_body = Sealable<BrokerUpdateRequest>,
    responses(
        (status = 200, description = "The updated connection, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing or bad field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such module or broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_broker(
    admin: AdminSession<Administrator>,
    body: Body<BrokerUpdateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let path = brokers_path(&platform, &admin, &r.tenant_id, &r.community_id, &r.module_id, "update").await?;
    let reply = state.users_mgmt.call(Method::PATCH, &path, &json!({"uid": r.uid, "name": r.name})).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Delete broker connection.
///
/// Deletes broker `uid` of module `moduleId`; the broker is turned away from then on. 204.
/// Administrators.
#[utoipa::path(
    delete,
    path = "/broker/{uid}",
    params(("uid" = String, Path, description = "The broker connection's uid")),
    request_body = Sealable<BrokerModuleRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such module or broker", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_broker(
    admin: AdminSession<Administrator>,
    path: web::Path<BrokerUidPath>,
    body: Body<BrokerModuleRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let uid = path.uid.trim();
    if !kit::ids::is_object_id(uid) {
        return Err(ApiError::bad_request("uid must be 24 hex digits").into());
    }
    let path = brokers_path(&platform, &admin, &r.tenant_id, &r.community_id, &r.module_id, uid).await?;
    state.users_mgmt.delete(&path).await?;
    tracing::info!("an administrator deleted a broker connection");
    Ok(HttpResponse::NoContent().finish())
}
