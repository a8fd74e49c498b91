//! The OpenID Connect provider of each community, outside the catalog (the reference documents
//! only `POST /oidc/sso`, in [`crate::routes::authenticate`]): under the issuer
//! `{base}/tenant/{tenantId}/community/{communityId}/oidc`, the discovery document, the JWKS,
//! the authorization endpoint ([`authorize`]), the token endpoint and userinfo ([`token`]). The
//! relying parties are the community's OIDC service providers. These routes are plain HTTP as
//! OAuth 2.0 defines it (query strings, form bodies, JSON replies), not the sealed envelope.
//!
//! The issuer's base is `OIDC_ISSUER_BASE_URL`, else adminapi's URL in `SERVICE_DIRECTORY`,
//! else the request's own scheme and `Host` (set one of the first two in production: the
//! issuer must be the same on every request).

mod authorize;
mod token;

use actix_web::{HttpRequest, HttpResponse, web};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::ErrorBody;
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::json;

use crate::State;
use crate::domain::service_providers::oidc_client;

/// The routes of the provider.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(discovery)
            .outside_catalog("OpenID Connect Discovery 1.0: the provider metadata of a community's issuer"),
        endpoint!(jwks).outside_catalog("OpenID Connect: the keys a community's ID tokens are signed with (RFC 7517)"),
        endpoint!(authorize::authorize).outside_catalog(
            "OpenID Connect: the authorization endpoint (RFC 6749 4.1.1), sending the user to the login page",
        ),
        endpoint!(token::token)
            .outside_catalog("OpenID Connect: the token endpoint (RFC 6749 3.2), codes and refresh tokens"),
        endpoint!(token::userinfo).outside_catalog("OpenID Connect: the userinfo endpoint (OIDC Core 5.3)"),
    ]
}

/// The community of the path.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct CommunityPath {
    tenantId: String,
    communityId: String,
}

/// The community the path names (404 when it does not exist).
pub(crate) async fn community(platform: &Platform, path: &CommunityPath) -> AppResult<CommunityRef> {
    let named = Named { community_id: &path.communityId, tenant_id: Some(&path.tenantId), community_name: None };
    Ok(locate(&**platform.directory, named).await?)
}

/// The issuer of `community` as this request reaches it.
pub fn issuer(state: &State, req: &HttpRequest, community: &CommunityRef) -> String {
    let base = match &state.oidc_issuer_base {
        Some(base) => base.clone(),
        None if state.trust_forwarded => {
            let info = req.connection_info();
            format!("{}://{}", info.scheme(), info.host())
        }
        None => {
            let scheme = if req.app_config().secure() { "https" } else { "http" };
            let host = req
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or_else(|| req.app_config().host());
            format!("{scheme}://{host}")
        }
    };
    format!("{base}/tenant/{}/community/{}/oidc", community.tenant_id, community.id)
}

/// OpenID Provider Configuration.
///
/// The discovery document of the community's issuer (OpenID Connect Discovery 1.0 section 3):
/// its endpoints, the authorization code flow with PKCE S256, ES256 and RS256 ID tokens, client
/// authentication by secret (basic or post) or none for public clients. Plain JSON, open.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/oidc/.well-known/openid-configuration",
    params(
        ("tenantId" = String, Path, description = "The tenant's id"),
        ("communityId" = String, Path, description = "The community's id"),
    ),
    responses(
        (status = 200, description = "The provider metadata", body = Object),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn discovery(
    path: web::Path<CommunityPath>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let issuer = issuer(&state, &req, &community);
    let document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": oidc_client::GRANT_TYPES,
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": oidc_client::ID_TOKEN_ALGORITHMS,
        "scopes_supported": oidc_client::SCOPES,
        "token_endpoint_auth_methods_supported": oidc_client::AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "azp",
            "preferred_username", "name", "given_name", "family_name", "email"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    Ok(HttpResponse::Ok().insert_header(("cache-control", "public, max-age=300")).json(document))
}

/// JSON Web Key Set.
///
/// The public keys of the community's ID tokens (RFC 7517): the signing key of each algorithm
/// (made by the first read, so that a relying party caching the set at discovery knows the key
/// of the first token) and the retired keys whose tokens may still be valid. Plain JSON, open.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/oidc/jwks",
    params(
        ("tenantId" = String, Path, description = "The tenant's id"),
        ("communityId" = String, Path, description = "The community's id"),
    ),
    responses(
        (status = 200, description = "The key set", body = Object),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn jwks(
    path: web::Path<CommunityPath>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let now = state.clock.epoch_secs();
    for alg in oidc_client::ID_TOKEN_ALGORITHMS {
        state.oidc.keys.signer(&community.tenant_id, &community.id, alg, now).await?;
    }
    let set = state.oidc.keys.jwks(&community.id, now).await?;
    Ok(HttpResponse::Ok().insert_header(("cache-control", "public, max-age=60")).json(set))
}
