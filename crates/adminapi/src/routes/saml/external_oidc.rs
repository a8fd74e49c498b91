//! Logins through the community's `oidc` external IdP (outside the catalog, which has routes for
//! the SAML side only): `GET …/external_idp/oidc/login` sends the user agent to the IdP's
//! authorization endpoint (code flow, PKCE S256, `state`, `nonce`); the IdP sends it back to
//! `GET …/external_idp/oidc/callback`, which exchanges the code, verifies the ID token
//! ([`crate::domain::oidc::external`]) and hands the login to the console exactly as the SAML
//! assertion consumer service does: the same user lookup and provisioning, the same one-time
//! `code` for `POST /saml/acs/token`.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use kit::AppResult;
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::ErrorBody;
use serde::Deserialize;

use super::acs::{destination, federated_user, hand_off};
use super::{base_url, join};
use crate::State;
use crate::domain::DomainError;
use crate::domain::identity_providers::Provider;
use crate::domain::oidc::external::{self, PendingLogin};
use crate::domain::saml::acs::Verified;
use crate::routes::oidc::{CommunityPath, community};

/// Why these routes are served outside the catalog.
pub const REASON: &str = "The community as an OpenID Connect relying party of its oidc external IdP: the \
    catalog has the SAML side only (ACS); these start the code flow and take the IdP's answer.";

fn callback_url(state: &State, req: &HttpRequest, community: &CommunityRef) -> String {
    let base = base_url(state, req);
    join(&base, &["tenant", &community.tenant_id, "community", &community.id, "external_idp", "oidc", "callback"])
}

/// Query of the login.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LoginQuery {
    /// Where the console goes once signed in (a path, or an URL of the login page's origin).
    relay_state: Option<String>,
}

/// Sign in with the community's OpenID Connect IdP (outside the catalog).
///
/// 302 to the authorization endpoint of the community's enabled `oidc` external IdP, asking for
/// a code (PKCE S256, a fresh `state` and `nonce`) at `…/external_idp/oidc/callback`. The login
/// waits `SAML_REQUEST_TTL_SECONDS` for the answer. Open.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/external_idp/oidc/login",
    params(
        ("tenantId" = String, Path, description = "ID of tenant"),
        ("communityId" = String, Path, description = "ID of community"),
        ("relayState" = Option<String>, Query, description = "Where the console goes once signed in"),
    ),
    responses(
        (status = 302, description = "To the IdP's authorization endpoint"),
        (status = 400, description = "A RelayState elsewhere; the IdP's configuration lacks an endpoint", body = ErrorBody),
        (status = 404, description = "No such community, or no enabled oidc external IdP", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn oidc_login(
    path: web::Path<CommunityPath>,
    query: web::Query<LoginQuery>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let relay_state = query.into_inner().relay_state.filter(|r| !r.is_empty());
    if relay_state.as_ref().is_some_and(|r| r.len() > 1024 || r.chars().any(char::is_control)) {
        return Err(DomainError::Invalid("relayState must be at most 1024 printable bytes".into()).into());
    }
    destination(&state, relay_state.as_deref())?;
    let idp = state
        .external_idps
        .of_type(&community.id, "oidc")
        .await?
        .ok_or_else(|| DomainError::NotFound("the community has no enabled oidc external idp".into()))?;
    let login = PendingLogin {
        community_id: community.id.clone(),
        idp_id: idp.id.clone(),
        nonce: crate::domain::oidc::secret()?.to_string(),
        verifier: crate::domain::oidc::secret()?.to_string(),
        redirect_uri: callback_url(&state, &req, &community),
        relay_state,
    };
    let handle = state.saml.begin_oidc(&login).await?;
    let url = external::authorization_url(&idp, &handle, &login)?;
    tracing::info!(idp_id = %idp.id, "login sent to the external oidc IdP");
    Ok(HttpResponse::Found().insert_header((LOCATION, url)).insert_header(("cache-control", "no-store")).finish())
}

/// Query of the callback.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// The external IdP's answer to a login (outside the catalog).
///
/// `code` and `state` (single use, of a login of this community): the code is exchanged at the
/// IdP's token endpoint with the client's credentials and the PKCE verifier; the ID token must be
/// signed by a key of the IdP's JWKS and carry its issuer, the client id as audience, the login's
/// nonce, and not be expired. The user is the community's user whose username is the token's
/// `preferred_username` (else `email`, else `sub`), created without a password when the IdP has
/// `provisionUsers`. Then as the SAML ACS: 302 to the console with a one-time `code`. Open.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/external_idp/oidc/callback",
    params(
        ("tenantId" = String, Path, description = "ID of tenant"),
        ("communityId" = String, Path, description = "ID of community"),
        ("code" = Option<String>, Query, description = "The IdP's authorization code"),
        ("state" = Option<String>, Query, description = "The login's state"),
        ("error" = Option<String>, Query, description = "The IdP's error instead of a code"),
    ),
    responses(
        (status = 302, description = "To RelayState or the login page, with `code`"),
        (status = 200, description = "`code`, `tenantId`, `communityId` (no login page configured)", body = Object),
        (status = 400, description = "An unknown or used state, an error answer, a refused code or ID token", body = ErrorBody),
        (status = 401, description = "The user is not a user of the community, or is disabled or locked", body = ErrorBody),
        (status = 503, description = "The IdP did not answer", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn oidc_callback(
    path: web::Path<CommunityPath>,
    query: web::Query<CallbackQuery>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = community(&platform, &path).await?;
    let query = query.into_inner();
    let unknown = || DomainError::Invalid("state does not name a pending login of this community".into());
    let login = state.saml.take_oidc(query.state.as_deref().unwrap_or_default()).await?.ok_or_else(unknown)?;
    if login.community_id != community.id {
        return Err(unknown().into());
    }
    if query.error.is_some() {
        tracing::info!("the external oidc IdP answered an error");
        return Err(DomainError::Invalid("the external oidc IdP answered an error instead of a code".into()).into());
    }
    let code = query.code.filter(|c| !c.is_empty() && c.len() <= 2048);
    let code = code.ok_or_else(|| DomainError::Invalid("code is required".into()))?;
    let gone = || DomainError::Invalid("the external oidc IdP is no longer enabled in the community".into());
    let idp: Provider = state
        .external_idps
        .list(&community.id, Some(std::slice::from_ref(&login.idp_id)), Some("oidc"))
        .await?
        .into_iter()
        .find(|p| p.enabled)
        .ok_or_else(gone)?;
    let secret = state.external_idps.client_secret(&community.id, &idp.id).await?;
    let now = state.clock.epoch_secs();
    let identity =
        external::complete(&state.outbound, &idp, secret.as_deref().map(String::as_str), &code, &login, now).await?;
    let verified = Verified { name_id: identity.username, attributes: identity.claims };
    let checked = federated_user(&state, &community, &idp, &verified).await?;
    tracing::info!(idp_id = %idp.id, "OIDC login from an external IdP accepted; waiting for the console");
    hand_off(&state, &community, checked, login.relay_state.as_deref()).await
}
