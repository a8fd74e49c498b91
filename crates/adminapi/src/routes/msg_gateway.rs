//! The catalog group MSG Gateway: a community's email, SMS and voice gateways
//! ([`crate::domain::msg_gateway`]), created, read, updated and deleted by its administrators.
//! Credentials (`password`, `authClientSecret`) are sealed on the way in and never answered; an
//! update that leaves them out keeps them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::Owner;
use crate::routes::settings_io::take_text;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};
use kit::directory::CommunityRef;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create_gateway),
        endpoint!(fetch_gateways),
        endpoint!(fetch_gateway),
        endpoint!(update_gateway),
        endpoint!(delete_gateway),
    ]
}

/// The ids of a fetch (default: the session's).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchGatewaysRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
}

/// Body of `DELETE /msg_gateway`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteGatewayRequest {
    tenant_id: String,
    community_id: String,
    gateway_id: String,
}

/// The id path of `POST /msg_gateway/fetch/{id}`.
#[derive(Debug, Deserialize)]
pub struct GatewayPath {
    id: String,
}

/// Removes `field` (required text) from a body.
fn required(body: &mut Map<String, Value>, field: &str) -> Result<String, ApiError> {
    take_text(body, field).ok_or_else(|| ApiError::bad_request(format!("{field} is required (a string)")))
}

/// The community `tenantId` / `communityId` name (the session's when `optional` and left out),
/// within the session's reach.
async fn target<P>(
    platform: &Platform,
    admin: &AdminSession<P>,
    tenant: Option<&str>,
    community: Option<&str>,
) -> AppResult<CommunityRef> {
    let s = &admin.session;
    community_of(platform, admin, tenant.unwrap_or(&s.tenant_id), community.unwrap_or(&s.community_id)).await
}

/// Create message gateway configs.
///
/// A gateway of the community for `channels`: `email` (`type` smtp or aws; `serviceUrl` the SMTP
/// host, `senderEmail`, `port`, `protocol` smtp — STARTTLS, TLS on port 465 —, smtps or
/// smtp-insecure), or `sms` / `voice` (`type` http, twilio, coalesce, gupshup, aws or sandesh;
/// `serviceUrl`, `senderPhone`; for sms `smstemplateid` and `entityId`; the provider's own
/// fields). `username` and `password` when `auth` (default true). The password is sealed and
/// never answered. `{id, status}`. Administrators, in their community.
#[utoipa::path(
    post,
    path = "/msg_gateway/create",
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "`id` and `status`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_gateway(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let tenant = required(&mut given, "tenantId")?;
    let community = required(&mut given, "communityId")?;
    let community = target(&platform, &admin, Some(&tenant), Some(&community)).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let now = state.clock.epoch_secs();
    let gateway = state.gateways.create(owner, &admin.session.uid, given, now).await?;
    tracing::info!(gateway = %gateway.id, kind = %gateway.kind, "message gateway created");
    let reply = json!({"id": gateway.id, "status": "created"});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Get message gateway configs.
///
/// The community's gateways (default: the session's), without their credentials.
/// Administrators, in their community.
#[utoipa::path(
    post,
    path = "/msg_gateway/fetch",
    request_body = Sealable<FetchGatewaysRequest>,
    responses(
        (status = 200, description = "The gateways, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_gateways(
    admin: AdminSession<Administrator>,
    body: Body<FetchGatewaysRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, r.tenant_id.as_deref(), r.community_id.as_deref()).await?;
    let gateways = state.gateways.list(&community.id).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &gateways)?)
}

/// Get message gateway configs by id.
///
/// The gateway `id` of the community (default: the session's), without its credentials, in a
/// list of one (as the spec answers). Administrators, in their community.
#[utoipa::path(
    post,
    path = "/msg_gateway/fetch/{id}",
    params(("id" = String, Path)),
    request_body = Sealable<FetchGatewaysRequest>,
    responses(
        (status = 200, description = "The gateway, in a list, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such gateway in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_gateway(
    admin: AdminSession<Administrator>,
    path: web::Path<GatewayPath>,
    body: Body<FetchGatewaysRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(&platform, &admin, r.tenant_id.as_deref(), r.community_id.as_deref()).await?;
    let gateway = state.gateways.get(&community.id, &path.id).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &[gateway])?)
}

/// Update message gateway configs.
///
/// Replaces the settings of gateway `id` with the body's (the rules of a create);
/// `password` and `authClientSecret` left out keep their sealed value. `{id, status}`.
/// Administrators, in their community.
#[utoipa::path(
    post,
    path = "/msg_gateway/update",
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "`id` and `status`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such gateway in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_gateway(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let id = required(&mut given, "id")?;
    let tenant = required(&mut given, "tenantId")?;
    let community = required(&mut given, "communityId")?;
    let community = target(&platform, &admin, Some(&tenant), Some(&community)).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let now = state.clock.epoch_secs();
    let gateway = state.gateways.update(owner, &admin.session.uid, &id, given, now).await?;
    tracing::info!(gateway = %gateway.id, "message gateway updated");
    let reply = json!({"id": gateway.id, "status": "updated"});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Delete message gateway configs.
///
/// Deletes gateway `gatewayId` of the community. 204. Administrators, in their community.
#[utoipa::path(
    delete,
    path = "/msg_gateway",
    request_body = Sealable<DeleteGatewayRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A missing field, an id that is not 24 hex digits", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such gateway in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_gateway(
    admin: AdminSession<Administrator>,
    body: Body<DeleteGatewayRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let community = target(&platform, &admin, Some(&r.tenant_id), Some(&r.community_id)).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    state.gateways.delete(owner, &admin.session.uid, &r.gateway_id, state.clock.epoch_secs()).await?;
    tracing::info!("message gateway deleted");
    Ok(HttpResponse::NoContent().finish())
}
