//! The community as a SAML service provider of its external IdP (catalog group SAML):
//! `POST /saml/samlRequest/generate` makes a signed AuthnRequest for the community's enabled
//! `saml` external IdP (or the one `idpId` names) and remembers its id for the response.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{IdpUrls, base_url, join};
use crate::State;
use crate::domain::DomainError;
use crate::domain::saml::authn::{self, AuthnRequest};
use crate::routes::users::community_of;
use crate::session::{AdminSession, LoggedIn};

/// Body of `POST /saml/samlRequest/generate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenerateSamlRequest {
    tenant_id: String,
    community_id: String,
    /// The external IdP (default: the community's enabled `saml` one).
    idp_id: Option<String>,
    /// Sent back with the response (at most 80 bytes, as SAML bindings allow).
    relay_state: Option<String>,
}

/// What the caller posts to the IdP.
#[derive(Debug, Serialize, ToSchema)]
pub struct GeneratedSamlRequest {
    /// The signed AuthnRequest, base64 (the form field `SAMLRequest`).
    #[serde(rename = "SAMLRequest")]
    saml_request: String,
    /// The form field `RelayState`, when given.
    #[serde(rename = "RelayState", skip_serializing_if = "Option::is_none")]
    relay_state: Option<String>,
    /// The request's id (the response's `InResponseTo`).
    #[serde(rename = "requestId")]
    request_id: String,
    /// Where to post it: the IdP's SSO URL.
    url: String,
    /// `post`.
    binding: String,
}

/// Generate SAML Request.
///
/// A signed AuthnRequest (HTTP-POST binding) from the community (`tenantId` / `communityId`)
/// to its external SAML IdP (`idpId`, default the community's enabled `saml` external IdP),
/// asking for the response at `<base>/community/<name>/saml/acs`; its id is kept for
/// `SAML_REQUEST_TTL_SECONDS`, answerable once. Signed-in users, in their community.
#[utoipa::path(post, path = "/saml/samlRequest/generate", request_body = Sealable<GenerateSamlRequest>,
    responses(
        (status = 200, description = "The request and where to post it, sealed when the request was", body = Sealable<GeneratedSamlRequest>),
        (status = 400, description = "A missing or invalid field (named)", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No such SAML external IdP in the community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn generate_saml_request(
    admin: AdminSession<LoggedIn>,
    body: Body<GenerateSamlRequest>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    if r.relay_state.as_ref().is_some_and(|s| s.len() > 80 || s.chars().any(char::is_control)) {
        return Err(DomainError::Invalid("relayState must be at most 80 bytes of text".into()).into());
    }
    let missing = || DomainError::NotFound("the community has no enabled saml external idp with this id".into());
    let idp = match r.idp_id.as_deref() {
        Some(id) => {
            let id = kit::ids::object_id("idpId", id)?;
            let found = state.external_idps.list(&community.id, Some(&[id]), Some("saml")).await?;
            found.into_iter().find(|p| p.enabled).ok_or_else(missing)?
        }
        None => state.external_idps.of_type(&community.id, "saml").await?.ok_or_else(missing)?,
    };
    let destination = idp.sso_url.as_deref().ok_or_else(missing)?;
    let base = base_url(&state, &req);
    let urls = IdpUrls::of(&base, &community);
    let acs_url = join(&base, &["community", &community.name, "saml", "acs"]);
    let credential = state.saml.credentials.of(&community.tenant_id, &community.id, &community.name).await?;
    let request =
        AuthnRequest { issuer: &urls.entity_id, destination, acs_url: &acs_url, now: state.clock.epoch_secs() };
    let (request_id, saml_request) = authn::signed(&request, &credential)?;
    state.saml.remember_sent(&community.id, &idp.id, &request_id).await?;
    tracing::info!("SAML AuthnRequest made for an external IdP");
    let reply = GeneratedSamlRequest {
        saml_request,
        relay_state: r.relay_state,
        request_id,
        url: destination.to_owned(),
        binding: "post".to_owned(),
    };
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
