//! The catalog group Service Providers: a community's SAML, OIDC and WS-Fed service providers
//! ([`crate::domain::service_providers`]). Administrators create (`PUT /serviceprovider`), read
//! (`GET /serviceprovider/{id}`, `POST /serviceprovider/fetch`), update
//! (`PATCH /serviceprovider/{id}`) and delete them, in their own community; any logged-in user
//! lists the IdP-initiated apps of theirs (`GET /serviceprovider/idp-initiated`); the login page
//! reads an application's public face by its pending request
//! (`POST /serviceprovider/publicinfo/fetch`, open). Every change is in the audit log by field
//! names. An OIDC client's secret is in the create reply only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::State;
use crate::domain::audit::Change;
use crate::domain::ids;
use crate::domain::service_providers::{
    self as sp, LIST_LIMIT, ServiceProvider, ServiceProviderRequest, SpDocument, SpType, oidc_client,
};
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};

mod featured;
mod public;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(public::idp_initiated),
        endpoint!(get_service_provider),
        endpoint!(fetch_service_providers),
        endpoint!(public::public_info),
        endpoint!(create_service_provider),
        endpoint!(featured::create_featured),
        endpoint!(update_service_provider),
        endpoint!(delete_service_provider),
    ]
}

/// A service provider as the administrator reads it (never a secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceProviderView {
    #[serde(rename = "_id")]
    pub id: String,
    #[serde(flatten)]
    pub document: SpDocument,
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    #[serde(rename = "communityId")]
    pub community_id: String,
    /// RFC 3339.
    #[serde(rename = "createdAt")]
    pub created_at: String,
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
    /// Bumped by every update.
    #[serde(rename = "__v")]
    pub version: i64,
}

fn rfc3339(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// The view of a stored provider.
pub fn view(sp: &ServiceProvider) -> ServiceProviderView {
    ServiceProviderView {
        id: sp.id.clone(),
        document: sp.document.clone(),
        tenant_id: sp.tenant_id.clone(),
        community_id: sp.community_id.clone(),
        created_at: rfc3339(sp.created_at),
        updated_at: rfc3339(sp.updated_at),
        version: sp.version,
    }
}

fn change(sp: &ServiceProvider, action: &str, fields: Vec<String>, actor: &str, at: i64) -> Change {
    Change {
        tenant_id: sp.tenant_id.clone(),
        community_id: sp.community_id.clone(),
        kind: "service_provider".into(),
        record: sp.id.clone(),
        action: action.into(),
        fields,
        actor: actor.to_owned(),
        at,
    }
}

/// The provider `id` of the administrator's community (404 for another community's).
async fn find(state: &State, community_id: &str, id: &str) -> AppResult<ServiceProvider> {
    let id = ids::object_id("id", id)?;
    Ok(state
        .stores
        .service_providers
        .get(community_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such service provider in the community"))?)
}

/// Get Service Provider by ID.
///
/// The service provider `id` of the administrator's community, sealed; an OIDC client's
/// `oidc_config` has its `client_id`, never its secret. Another community's: 404.
/// Administrators.
#[utoipa::path(
    get,
    path = "/serviceprovider/{id}",
    params(("id" = String, Path, description = "The service provider's id (24 hex digits)")),
    responses(
        (status = 200, description = "The service provider, sealed", body = Sealable<ServiceProviderView>),
        (status = 400, description = "Not an id", body = ErrorBody),
        (status = 404, description = "No such service provider in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn get_service_provider(
    admin: AdminSession<Administrator>,
    id: web::Path<String>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let found = find(&state, &community.id, &id).await?;
    Ok(admin.caller.reply(&view(&found))?)
}

/// Body of `POST /serviceprovider/fetch`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceProviderFetchRequest {
    /// Only the providers of this type (`saml`, `oidc`, `wsfed`).
    #[serde(default, rename = "type")]
    pub sp_type: Option<String>,
}

/// Fetch Service Providers.
///
/// The service providers of the administrator's community (of `type` when given), oldest first,
/// at most 1000, sealed (or plain for a plain request). Administrators.
#[utoipa::path(
    post,
    path = "/serviceprovider/fetch",
    request_body = Sealable<ServiceProviderFetchRequest>,
    responses(
        (status = 200, description = "The service providers", body = Sealable<Vec<ServiceProviderView>>),
        (status = 400, description = "An unknown type", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_service_providers(
    admin: AdminSession<Administrator>,
    body: Body<ServiceProviderFetchRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let sp_type = value.sp_type.as_deref().map(SpType::parse).transpose()?;
    let community = home_of(&platform, &admin).await?;
    let list = state.stores.service_providers.list(&community.id, sp_type, LIST_LIMIT).await?;
    let views: Vec<ServiceProviderView> = list.iter().map(view).collect();
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &views)?)
}

/// Create Service Provider.
///
/// A service provider in the administrator's community: `name`, `type` (`saml`, `oidc`,
/// `wsfed`) and that type's configuration (`saml_config`, `oidc_config` or `wsfed_config`, the
/// others refused), every field checked by name. An OIDC client gets its `client_id` and a
/// generated `client_secret`, in this reply only (`oidc_config.client_secret`): only its MAC is
/// kept. 200 with the provider, sealed like the request. Administrators.
#[utoipa::path(
    put,
    path = "/serviceprovider",
    request_body = Sealable<ServiceProviderRequest>,
    responses(
        (status = 200, description = "The service provider (an OIDC client with its secret, once)", body = Sealable<ServiceProviderView>),
        (status = 400, description = "A field missing or invalid, named", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_service_provider(
    admin: AdminSession<Administrator>,
    body: Body<ServiceProviderRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    create(value, encrypted, &admin, &state, &platform).await
}

/// Creates the provider `value` describes in the administrator's community: the reply.
async fn create(
    value: ServiceProviderRequest,
    encrypted: bool,
    admin: &AdminSession<Administrator>,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let community = home_of(platform, admin).await?;
    let document = sp::check(value, None)?;
    let secret = match &document.oidc_config {
        Some(c) if !c.is_public() => Some(oidc_client::new_client_secret()?),
        _ => None,
    };
    let now = state.clock.epoch_secs();
    let created = ServiceProvider {
        id: ids::new_object_id(),
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        client_secret_mac: document
            .oidc_config
            .as_ref()
            .zip(secret.as_deref())
            .map(|(c, s)| oidc_client::secret_mac(&state.sealer, &c.client_id, s)),
        document,
        version: 0,
        created_by: admin.session.uid.clone(),
        created_at: now,
        updated_at: now,
    };
    let fields = sp::changed(None, &created.document);
    state
        .stores
        .service_providers
        .insert(&created, &change(&created, "create", fields, &admin.session.uid, now))
        .await?;
    tracing::info!(id = %created.id, sp_type = created.document.sp_type.as_str(), "service provider created");
    let mut reply = serde_json::to_value(view(&created)).map_err(kit::AppError::internal)?;
    if let (Some(secret), Some(config)) = (secret, reply.get_mut("oidc_config")) {
        config["client_secret"] = Value::String(secret);
    }
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Update Service Provider.
///
/// Replaces the configuration of the service provider `id` of the administrator's community,
/// checked as on create; its type cannot change, an OIDC client keeps its id and secret, a SAML
/// configuration keeps its ids and those of the attributes sent back. 200 with the provider,
/// sealed like the request; another community's: 404. Administrators.
#[utoipa::path(
    patch,
    path = "/serviceprovider/{id}",
    params(("id" = String, Path, description = "The service provider's id (24 hex digits)")),
    request_body = Sealable<ServiceProviderRequest>,
    responses(
        (status = 200, description = "The service provider", body = Sealable<ServiceProviderView>),
        (status = 400, description = "A field missing or invalid, named; a change of type", body = ErrorBody),
        (status = 404, description = "No such service provider in the community", body = ErrorBody),
        (status = 409, description = "Changed meanwhile by another request", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_service_provider(
    admin: AdminSession<Administrator>,
    id: web::Path<String>,
    body: Body<ServiceProviderRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let before = find(&state, &community.id, &id).await?;
    let document = sp::check(value, Some(&before.document))?;
    let now = state.clock.epoch_secs();
    let fields = sp::changed(Some(&before.document), &document);
    let after = ServiceProvider { document, version: before.version + 1, updated_at: now, ..before.clone() };
    let record = change(&after, "update", fields, &admin.session.uid, now);
    if !state.stores.service_providers.update(&after, before.version, &record).await? {
        return Err(ApiError::conflict("the service provider changed or was deleted meanwhile: read it again").into());
    }
    tracing::info!(id = %after.id, "service provider updated");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &view(&after))?)
}

/// Delete Service Provider.
///
/// Removes the service provider `id` of the administrator's community (an OIDC client's codes
/// and tokens stop working: the token endpoint and userinfo find no client). 204; another
/// community's: 404. Administrators.
#[utoipa::path(
    delete,
    path = "/serviceprovider/{id}",
    params(("id" = String, Path, description = "The service provider's id (24 hex digits)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such service provider in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_service_provider(
    admin: AdminSession<Administrator>,
    id: web::Path<String>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let found = find(&state, &community.id, &id).await?;
    let now = state.clock.epoch_secs();
    let record = change(&found, "delete", Vec::new(), &admin.session.uid, now);
    if !state.stores.service_providers.delete(&community.id, &found.id, &record).await? {
        return Err(ApiError::not_found("no such service provider in the community").into());
    }
    tracing::info!(id = %found.id, "service provider deleted");
    Ok(HttpResponse::NoContent().finish())
}
