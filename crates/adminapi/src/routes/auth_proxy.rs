//! The catalog group Auth Proxy: a community's auth proxy configurations
//! ([`crate::domain::radius`], the RADIUS rules with the default-method fields), fetched, set
//! and deleted by its administrators. The shared secret is sealed on the way in and never
//! answered; a `PUT` that leaves it out keeps it.

use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;

use crate::State;
use crate::domain::radius::ConfigInput;
use crate::routes::radius::{DeleteConfigRequest, FetchConfigsRequest, delete, fetch, put};
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_auth_proxies), endpoint!(set_auth_proxy), endpoint!(delete_auth_proxy)]
}

/// The `id` of an auth proxy path.
#[derive(Debug, Deserialize)]
pub struct IdPath {
    id: String,
}

/// Fetch AuthProxy config.
///
/// The community's auth proxy configurations (those of `ids` only, when given), each with
/// `sharedSecretSet` and never the secret. Administrators, in their community.
#[utoipa::path(
    post,
    path = "/authproxy/fetch",
    request_body = Sealable<FetchConfigsRequest>,
    responses(
        (status = 200, description = "The configurations, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_auth_proxies(
    admin: AdminSession<Administrator>,
    body: Body<FetchConfigsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    fetch(&state.auth_proxies, admin, body, &platform).await
}

/// Set AuthProxy Config.
///
/// Creates or replaces auth proxy configuration `id` of the community (`tenantId` /
/// `communityId`, default the session's): `name`, `authScheme` (`push`, `ivr`), `pushKeyword`,
/// `ivrKeyword` (required with `ivr`), `isDefaultAuthMethodEnable` (default false),
/// `defaultAuthMethod` (one of `authScheme`, kept only when enabled), and `address`, `port`,
/// `sharedSecret` as for RADIUS (sealed, never answered; left out, the stored one is kept).
/// The reference says "without login" yet lists the `authorization` JWT: a shared secret is
/// only written by the community's administrators.
#[utoipa::path(
    put,
    path = "/authproxy/config/{id}",
    params(("id" = String, Path, description = "The configuration's id: 1 to 64 letters, digits, `_` or `-`")),
    request_body = Sealable<ConfigInput>,
    responses(
        (status = 200, description = "The configuration, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing, unknown or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn set_auth_proxy(
    admin: AdminSession<Administrator>,
    path: web::Path<IdPath>,
    body: Body<ConfigInput>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    put(&state.auth_proxies, admin, &path.id, body, &platform).await
}

/// Delete authproxy config.
///
/// Deletes auth proxy configuration `id` of the community (default: the session's), its
/// shared secret with it. 204. Administrators, in their community.
#[utoipa::path(
    delete,
    path = "/authproxy/config/{id}",
    params(("id" = String, Path, description = "The configuration's id")),
    request_body = Sealable<DeleteConfigRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "A bad id", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such configuration in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_auth_proxy(
    admin: AdminSession<Administrator>,
    path: web::Path<IdPath>,
    body: Body<DeleteConfigRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    delete(&state.auth_proxies, &admin, &path.id, body.value, &platform).await?;
    Ok(HttpResponse::NoContent().finish())
}
