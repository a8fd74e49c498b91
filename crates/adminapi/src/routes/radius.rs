//! The catalog group Radius: a community's RADIUS configurations
//! ([`crate::domain::radius`]), fetched, set and deleted by its administrators. The shared
//! secret is sealed on the way in and never answered; a `PUT` that leaves it out keeps it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::Owner;
use crate::domain::radius::{ConfigInput, ProxyConfigs};
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_radius), endpoint!(set_radius), endpoint!(delete_radius)]
}

/// Body of a fetch (`/radius/fetch`, `/authproxy/fetch`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchConfigsRequest {
    tenant_id: String,
    community_id: String,
    /// Only these configurations (default: all of the community's).
    ids: Option<Vec<String>>,
}

/// Body of a delete: the community (default: the session's).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteConfigRequest {
    tenant_id: Option<String>,
    community_id: Option<String>,
}

impl DeleteConfigRequest {
    /// The `tenantId` and `communityId` given.
    pub(crate) fn community(&self) -> (Option<&str>, Option<&str>) {
        (self.tenant_id.as_deref(), self.community_id.as_deref())
    }
}

/// The `uid` of a RADIUS path.
#[derive(Debug, Deserialize)]
pub struct UidPath {
    uid: String,
}

/// The community `tenantId` / `communityId` name (the session's when left out), within the
/// session's reach.
pub(crate) async fn target<P>(
    platform: &Platform,
    admin: &AdminSession<P>,
    tenant: Option<&str>,
    community: Option<&str>,
) -> AppResult<CommunityRef> {
    let s = &admin.session;
    community_of(platform, admin, tenant.unwrap_or(&s.tenant_id), community.unwrap_or(&s.community_id)).await
}

/// The configurations of a fetch, answered like the request.
pub(crate) async fn fetch(
    configs: &ProxyConfigs,
    admin: AdminSession<Administrator>,
    body: Body<FetchConfigsRequest>,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = target(platform, &admin, Some(&r.tenant_id), Some(&r.community_id)).await?;
    let found = configs.list(&community.id, r.ids.as_deref()).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &found)?)
}

/// Creates or replaces configuration `id`, answered like the request.
pub(crate) async fn put(
    configs: &ProxyConfigs,
    admin: AdminSession<Administrator>,
    id: &str,
    body: Body<ConfigInput>,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: input, encrypted } = body;
    let community = target(platform, &admin, input.tenant_id.as_deref(), input.community_id.as_deref()).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let saved = configs.put(owner, &admin.session.uid, id, input, envelope::wire::now_epoch()).await?;
    tracing::info!(kind = ?configs, "configuration set");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &saved)?)
}

/// Deletes configuration `id` of the community.
pub(crate) async fn delete(
    configs: &ProxyConfigs,
    admin: &AdminSession<Administrator>,
    id: &str,
    body: DeleteConfigRequest,
    platform: &Platform,
) -> AppResult<()> {
    let community = target(platform, admin, body.tenant_id.as_deref(), body.community_id.as_deref()).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    configs.delete(owner, &admin.session.uid, id, envelope::wire::now_epoch()).await?;
    tracing::info!(kind = ?configs, "configuration deleted");
    Ok(())
}

/// Fetch radius configurations.
///
/// The community's RADIUS configurations (those of `ids` only, when given), each with
/// `sharedSecretSet` and never the secret. Administrators, in their community.
#[utoipa::path(
    post,
    path = "/radius/fetch",
    request_body = Sealable<FetchConfigsRequest>,
    responses(
        (status = 200, description = "The configurations, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_radius(
    admin: AdminSession<Administrator>,
    body: Body<FetchConfigsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    fetch(&state.radius, admin, body, &platform).await
}

/// Set radius configuration.
///
/// Creates or replaces RADIUS configuration `uid` of the community (`tenantId` / `communityId`,
/// default the session's): `name`, `authScheme` (`push`, `ivr`), `pushKeyword`, `ivrKeyword`
/// (required with `ivr`, unlike `pushKeyword`), `ivrLine`, and what the RADIUS server needs:
/// `address` (IP, CIDR or DNS name of its clients), `port` (1812 by default) and
/// `sharedSecret` (16 to 128 printable characters of three kinds; sealed, never answered; left
/// out, the stored one is kept). Answers the configuration. Administrators, in their community.
#[utoipa::path(
    put,
    path = "/radius/config/{uid}",
    params(("uid" = String, Path, description = "The configuration's id: 1 to 64 letters, digits, `_` or `-`")),
    request_body = Sealable<ConfigInput>,
    responses(
        (status = 200, description = "The configuration, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn set_radius(
    admin: AdminSession<Administrator>,
    path: web::Path<UidPath>,
    body: Body<ConfigInput>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    put(&state.radius, admin, &path.uid, body, &platform).await
}

/// Delete radius configuration.
///
/// Deletes RADIUS configuration `uid` of the community (default: the session's), its shared
/// secret with it. `{message}`. Administrators, in their community.
#[utoipa::path(
    delete,
    path = "/radius/config/{uid}",
    params(("uid" = String, Path, description = "The configuration's id")),
    request_body = Sealable<DeleteConfigRequest>,
    responses(
        (status = 200, description = "`message`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad id", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such configuration in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_radius(
    admin: AdminSession<Administrator>,
    path: web::Path<UidPath>,
    body: Body<DeleteConfigRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    delete(&state.radius, &admin, &path.uid, value, &platform).await?;
    let reply = json!({"message": "Radius configuration deleted successfully"});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
