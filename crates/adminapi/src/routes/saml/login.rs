//! The login page's side of the IdP (catalog group Authenticate): `POST /saml/sso` answers a
//! pending SP-initiated request for the signed-in user, once; `POST /saml/idp-init/{id}` makes an
//! unsolicited response for a provider that allows IdP-initiated logins. Both reply (sealed like
//! the request) with the signed `SAMLResponse` and where the login page posts it.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::{IdpUrls, base_url};
use crate::State;
use crate::domain::saml::mapping::{self, UserView};
use crate::domain::saml::response::{self, Assertion};
use crate::domain::service_providers::ServiceProvider;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// Body of `POST /saml/sso`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct SamlSsoRequest {
    /// The pending request's handle the SSO endpoint gave the login page.
    pub SAMLRequest: String,
    /// Checked by the SSO endpoint already (HTTP-Redirect): ignored here.
    #[serde(default, rename = "Signature")]
    pub _signature: Option<String>,
    /// Checked by the SSO endpoint already: ignored here.
    #[serde(default, rename = "SigAlg")]
    pub _sig_alg: Option<String>,
    /// The SSO endpoint kept the provider's relay state: ignored here.
    #[serde(default, rename = "RelayState")]
    pub _relay_state: Option<String>,
}

/// Where the login page sends the response.
#[derive(Debug, Serialize, ToSchema)]
pub struct SamlTarget {
    #[serde(rename = "assertionConsumerServiceURL")]
    pub acs_url: String,
    /// `post` (the response is always sent with the HTTP-POST binding).
    #[serde(rename = "assertionMethod")]
    pub assertion_method: String,
}

/// The response the login page posts to the service provider.
#[derive(Debug, Serialize, ToSchema)]
pub struct SamlSsoResponse {
    /// The signed response, base64 (the form field `SAMLResponse`).
    #[serde(rename = "SAMLResponse")]
    pub saml_response: String,
    /// The form field `RelayState`, when there is one.
    #[serde(rename = "relayState", skip_serializing_if = "Option::is_none")]
    pub relay_state: Option<String>,
    pub sp: SamlTarget,
}

/// The reference's status for a login too old for the request.
fn reauthenticate() -> StatusCode {
    StatusCode::from_u16(420).unwrap_or(StatusCode::UNAUTHORIZED)
}

/// When the session's user signed in.
pub(super) fn auth_time(state: &State, user: &AdminSession<LoggedIn>) -> i64 {
    let s = &user.session;
    if s.issued_at > 0 {
        s.issued_at
    } else {
        s.expires_at.saturating_sub(i64::try_from(state.sessions.ttl.as_secs()).unwrap_or(0))
    }
}

/// The session's community and its user's record in users-mgmt (`data`: email, names…).
pub(super) async fn user_record(
    state: &State,
    platform: &Platform,
    user: &AdminSession<LoggedIn>,
) -> AppResult<(kit::directory::CommunityRef, serde_json::Value)> {
    let community = crate::routes::users::home_of(platform, user).await?;
    let s = &user.session;
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let found =
        state.users_mgmt.call(Method::POST, &path, &json!({"authModule": s.module_id, "username": s.username})).await?;
    Ok((community, found))
}

/// The signed response for the session's user to `sp`.
async fn respond(
    state: &State,
    platform: &Platform,
    req: &HttpRequest,
    user: &AdminSession<LoggedIn>,
    sp: &ServiceProvider,
    in_response_to: Option<&str>,
    idp_entity_id: Option<&str>,
) -> AppResult<String> {
    let config =
        sp.document.saml_config.as_ref().ok_or_else(|| ApiError::not_found("no such SAML service provider"))?;
    let (community, found) = user_record(state, platform, user).await?;
    let s = &user.session;
    let view = UserView { uid: &s.uid, username: &s.username, data: &found["data"] };
    let (name_id, format) = mapping::name_id(config, &view);
    let attributes = mapping::attributes(config, &view);
    let credential = state.saml.credentials.of(&community.tenant_id, &community.id, &community.name).await?;
    let entity_id = match idp_entity_id {
        Some(e) => e.to_owned(),
        None => IdpUrls::of(&base_url(state, req), &community).entity_id,
    };
    let now = state.clock.epoch_secs();
    // The login session's index, so that the provider's LogoutRequest can end it.
    let session_index = state.saml.session_index(&s.sid, now, s.expires_at).await?;
    let assertion = Assertion {
        issuer: &entity_id,
        audience: &config.entity_id,
        acs_url: &config.assertion_consumer_service_url,
        in_response_to,
        name_id: &name_id,
        name_id_format: &format,
        attributes: &attributes,
        authn_instant: auth_time(state, user),
        now,
        lifetime: i64::try_from(state.saml.ttls.assertion).unwrap_or(300),
        session_index: Some(&session_index),
    };
    // RSA signing takes about a millisecond: inline.
    let (id, encoded) = response::signed_response(&assertion, &credential)?;
    tracing::info!(sp_id = %sp.id, response_id = %id, "SAML response issued");
    Ok(encoded)
}

/// Saml SSO.
///
/// Completes the pending SAML request `SAMLRequest` (the handle the SSO endpoint gave the login
/// page) for the logged-in user, once: a response signed by the community's key (the response
/// and its assertion, RSA-SHA256, exclusive C14N) with `InResponseTo`, the provider as audience,
/// `NotOnOrAfter` `SAML_ASSERTION_TTL_SECONDS` ahead, the provider's name id and attributes.
/// The reply (sealed like the request): `SAMLResponse`, `relayState` and the `sp` to post them
/// to. The user must belong to the request's community (403); an unknown, expired or completed
/// request: 404; a login older than a request asking for a fresh one (`ForceAuthn`, or the
/// provider's `forceReauthentication`): 420, and the request waits. Any logged-in user.
#[utoipa::path(
    post,
    path = "/saml/sso",
    request_body = Sealable<SamlSsoRequest>,
    responses(
        (status = 200, description = "The response to post", body = Sealable<SamlSsoResponse>),
        (status = 400, description = "A field missing or invalid", body = ErrorBody),
        (status = 403, description = "The request is of another community", body = ErrorBody),
        (status = 404, description = "No such pending request", body = ErrorBody),
        (status = 420, description = "The login is older than the request allows: sign in again", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn saml_sso(
    user: AdminSession<LoggedIn>,
    body: Body<SamlSsoRequest>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let unknown = || ApiError::not_found("no pending SAML request with this SAMLRequest");
    let request = state.saml.pending(&value.SAMLRequest).await?.ok_or_else(unknown)?;
    let s = &user.session;
    if request.community_id != s.community_id || request.tenant_id != s.tenant_id {
        return Err(ApiError::forbidden("the SAML request is of another community than the login session").into());
    }
    let sp = state.stores.service_providers.get(&request.community_id, &request.sp_id).await?.ok_or_else(unknown)?;
    if request.force_authn && auth_time(&state, &user) < request.created_at {
        return Err(ApiError::new(
            reauthenticate(),
            "the application asks for a fresh login: sign in again, then complete the SAMLRequest",
        )
        .into());
    }
    // Answered once: of two completions, one gets the request.
    let request = state.saml.take(&value.SAMLRequest).await?.ok_or_else(unknown)?;
    let encoded =
        respond(&state, &platform, &req, &user, &sp, Some(&request.request_id), Some(&request.idp_entity_id)).await?;
    let reply = SamlSsoResponse {
        saml_response: encoded,
        relay_state: request.relay_state,
        sp: SamlTarget { acs_url: request.acs_url, assertion_method: "post".into() },
    };
    Ok(user.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Path of the IdP-initiated login.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct SpPath {
    serviceProviderId: String,
}

/// IDP-Initiated SAML SSO.
///
/// An unsolicited response (no `InResponseTo`) for the logged-in user to the service provider
/// `serviceProviderId` of the user's community, which must be of type `saml` with
/// `saml_config.idpInitiated` (403 otherwise); signed and shaped as `POST /saml/sso`'s. The
/// reply (sealed like the request): `SAMLResponse`, `relayState` (the provider's `relayState`)
/// and the `sp` to post them to. Any logged-in user.
#[utoipa::path(
    post,
    path = "/saml/idp-init/{serviceProviderId}",
    params(("serviceProviderId" = String, Path, description = "The SAML service provider's id")),
    responses(
        (status = 200, description = "The response to post", body = Sealable<SamlSsoResponse>),
        (status = 403, description = "The provider does not allow IdP-initiated logins", body = ErrorBody),
        (status = 404, description = "No such service provider", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn idp_init(
    user: AdminSession<LoggedIn>,
    path: web::Path<SpPath>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let unknown = || ApiError::not_found("no such service provider in the user's community");
    let id = path.serviceProviderId.trim();
    if !crate::domain::ids::is_object_id(id) {
        return Err(unknown().into());
    }
    let sp = state
        .stores
        .service_providers
        .get(&user.session.community_id, &id.to_ascii_lowercase())
        .await?
        .ok_or_else(unknown)?;
    let Some(config) = sp.document.saml_config.as_ref() else {
        return Err(ApiError::forbidden("the service provider is not of type saml").into());
    };
    if !config.idp_initiated {
        return Err(ApiError::forbidden("the service provider does not allow IdP-initiated logins").into());
    }
    let encoded = respond(&state, &platform, &req, &user, &sp, None, None).await?;
    let reply = SamlSsoResponse {
        saml_response: encoded,
        relay_state: Some(config.relay_state.clone()).filter(|r| !r.is_empty()),
        sp: SamlTarget { acs_url: config.assertion_consumer_service_url.clone(), assertion_method: "post".into() },
    };
    Ok(user.caller.reply(&reply)?)
}
