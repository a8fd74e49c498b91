//! The catalog groups Identity Providers (`/idp`) and External Idp (`/external_idp`): a
//! community's SAML and OpenID Connect providers ([`crate::domain::identity_providers`]),
//! created, fetched, updated and deleted by its administrators. One provider of each type per
//! community (409 on a second); an OIDC client secret is sealed and never answered.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::Owner;
use crate::domain::identity_providers::{ProviderInput, Providers};
use crate::routes::radius::{DeleteConfigRequest, target};
use crate::session::{AdminSession, Administrator};

/// The endpoints of both groups.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(fetch_idp),
        endpoint!(create_idp),
        endpoint!(update_idp),
        endpoint!(delete_idp),
        endpoint!(fetch_external_idp),
        endpoint!(create_external_idp),
        endpoint!(update_external_idp),
        endpoint!(delete_external_idp),
    ]
}

/// Body of `POST /idp/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchIdpRequest {
    tenant_id: String,
    community_id: String,
    /// Only this provider.
    id: Option<String>,
    /// Only providers of this type (`saml`, `oidc`).
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Body of `POST /external_idp/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchExternalIdpRequest {
    tenant_id: String,
    community_id: String,
    /// Only these providers (default: all of the community's).
    ids: Option<Vec<String>>,
}

/// The `id` of a provider's path.
#[derive(Debug, Deserialize)]
pub struct IdPath {
    id: String,
}

async fn fetch(
    providers: &Providers,
    admin: AdminSession<Administrator>,
    (tenant, community): (&str, &str),
    ids: Option<&[String]>,
    kind: Option<&str>,
    encrypted: bool,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let community = target(platform, &admin, Some(tenant), Some(community)).await?;
    let found = providers.list(&community.id, ids, kind).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &found)?)
}

async fn write(
    providers: &Providers,
    admin: AdminSession<Administrator>,
    id: Option<&str>,
    body: Body<ProviderInput>,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: input, encrypted } = body;
    let community = target(platform, &admin, input.tenant_id.as_deref(), input.community_id.as_deref()).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let (actor, now) = (&admin.session.uid, envelope::wire::now_epoch());
    let saved = match id {
        None => providers.create(owner, actor, input, now).await?,
        Some(id) => providers.update(owner, actor, id, input, now).await?,
    };
    tracing::info!(kind = ?providers, created = id.is_none(), "identity provider written");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &saved)?)
}

async fn delete(
    providers: &Providers,
    admin: AdminSession<Administrator>,
    id: &str,
    body: DeleteConfigRequest,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let (tenant, community) = body.community();
    let community = target(platform, &admin, tenant, community).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    providers.delete(owner, &admin.session.uid, id, envelope::wire::now_epoch()).await?;
    tracing::info!(kind = ?providers, "identity provider deleted");
    Ok(HttpResponse::NoContent().finish())
}

/// Fetch Identity Providers.
///
/// The community's identity providers (that of `id`, those of `type`, when given), each with
/// `clientSecretSet` and never the secret. Administrators, in their community.
#[utoipa::path(post, path = "/idp/fetch", request_body = Sealable<FetchIdpRequest>,
    responses(
        (status = 200, description = "The providers, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn fetch_idp(
    admin: AdminSession<Administrator>,
    body: Body<FetchIdpRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let ids = r.id.map(|id| vec![id.trim().to_ascii_lowercase()]);
    let ids = (&*r.tenant_id, &*r.community_id, ids);
    fetch(&state.identity_providers, admin, (ids.0, ids.1), ids.2.as_deref(), r.kind.as_deref(), encrypted, &platform)
        .await
}

/// Create Identity Provider.
///
/// Creates an identity provider of the community (`tenantId` / `communityId`, default the
/// session's): `type` (`saml` or `oidc`, one of each per community: 409 on a second), `name`,
/// `enabled`, `provisionUsers`, `emailAttribute`; SAML: `entityId`, `ssoUrl`, `sloUrl`,
/// `certificate` (PEM); OIDC: `issuer`, `clientId`, `clientSecret` (sealed, never answered),
/// `authorizationUrl`, `tokenUrl`, `userinfoUrl`, `jwksUrl`, `scopes`. Answers the provider with
/// its `id`. Administrators, in their community.
#[utoipa::path(put, path = "/idp", request_body = Sealable<ProviderInput>,
    responses(
        (status = 200, description = "The provider, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 409, description = "The community has a provider of this type", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_idp(
    admin: AdminSession<Administrator>,
    body: Body<ProviderInput>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write(&state.identity_providers, admin, None, body, &platform).await
}

/// Update Identity Provider.
///
/// Changes the fields given of identity provider `id` (those of `PUT /idp`); the result must be
/// a complete provider; a client secret left out is kept. 409 when the new type is taken.
/// Administrators, in their community.
#[utoipa::path(patch, path = "/idp/{id}", params(("id" = String, Path, description = "The provider's id (24 hex digits)")),
    request_body = Sealable<ProviderInput>,
    responses(
        (status = 200, description = "The provider, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad id, an unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such provider in the community", body = ErrorBody),
        (status = 409, description = "The community has a provider of the new type", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update_idp(
    admin: AdminSession<Administrator>,
    path: web::Path<IdPath>,
    body: Body<ProviderInput>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write(&state.identity_providers, admin, Some(&path.id), body, &platform).await
}

/// Delete Identity Provider.
///
/// Deletes identity provider `id` of the community (default: the session's), its client secret
/// with it. 204. Administrators, in their community.
#[utoipa::path(delete, path = "/idp/{id}", params(("id" = String, Path, description = "The provider's id")),
    request_body = Sealable<DeleteConfigRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A bad id", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such provider in the community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete_idp(
    admin: AdminSession<Administrator>,
    path: web::Path<IdPath>,
    body: Body<DeleteConfigRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    delete(&state.identity_providers, admin, &path.id, body.value, &platform).await
}

/// fetch ExternalIdp.
///
/// The community's external IdPs (those of `ids` only, when given), each with
/// `clientSecretSet` and never the secret. Administrators, in their community.
#[utoipa::path(post, path = "/external_idp/fetch", request_body = Sealable<FetchExternalIdpRequest>,
    responses(
        (status = 200, description = "The providers, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn fetch_external_idp(
    admin: AdminSession<Administrator>,
    body: Body<FetchExternalIdpRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let (tenant, community) = (&*r.tenant_id, &*r.community_id);
    fetch(&state.external_idps, admin, (tenant, community), r.ids.as_deref(), None, encrypted, &platform).await
}

/// Create ExternalIdp.
///
/// Creates an external IdP the community's users log in with: the fields of `PUT /idp`, one
/// provider of each type per community (409 on a second). A SAML one is what
/// `/saml/samlRequest/generate` and the community's ACS use. Administrators, in their community.
#[utoipa::path(put, path = "/external_idp", request_body = Sealable<ProviderInput>,
    responses(
        (status = 200, description = "The provider, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 409, description = "The community has a provider of this type", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn create_external_idp(
    admin: AdminSession<Administrator>,
    body: Body<ProviderInput>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write(&state.external_idps, admin, None, body, &platform).await
}

/// Update ExternalIdp.
///
/// Changes the fields given of external IdP `id` (as `PATCH /idp/{id}`). Administrators, in
/// their community.
#[utoipa::path(patch, path = "/external_idp/{id}", params(("id" = String, Path, description = "The provider's id (24 hex digits)")),
    request_body = Sealable<ProviderInput>,
    responses(
        (status = 200, description = "The provider, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad id, an unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such provider in the community", body = ErrorBody),
        (status = 409, description = "The community has a provider of the new type", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn update_external_idp(
    admin: AdminSession<Administrator>,
    path: web::Path<IdPath>,
    body: Body<ProviderInput>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write(&state.external_idps, admin, Some(&path.id), body, &platform).await
}

/// Delete External idp.
///
/// Deletes external IdP `id` of the community (default: the session's). 204. Administrators, in
/// their community.
#[utoipa::path(delete, path = "/external_idp/{id}", params(("id" = String, Path, description = "The provider's id")),
    request_body = Sealable<DeleteConfigRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A bad id", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such provider in the community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete_external_idp(
    admin: AdminSession<Administrator>,
    path: web::Path<IdPath>,
    body: Body<DeleteConfigRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    delete(&state.external_idps, admin, &path.id, body.value, &platform).await
}
