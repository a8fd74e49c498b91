//! `GET|POST /community/{communityName}/sso`: the SSO endpoint of SP-initiated logins. The
//! `AuthnRequest` (HTTP-Redirect: query; HTTP-POST: form, or the spec's JSON body) is checked
//! for the community's service provider its issuer names ([`crate::domain::saml::request`]),
//! its id refused when seen before, then kept as a pending request; the user agent goes to the
//! login page (`SAML_LOGIN_URL`, else `OIDC_LOGIN_URL`) with the pending request's handle as
//! `SAMLRequest`, which the login page completes with `POST /saml/sso`.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::ErrorBody;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{FormOrJson, IdpUrls, base_url};
use crate::State;
use crate::domain::DomainError;
use crate::domain::oidc::authorize::with_query;
use crate::domain::saml::request::{self, IdpEndpoints, Incoming};
use crate::domain::service_providers::SpType;

/// Path of the SSO endpoint.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct CommunityNamePath {
    communityName: String,
}

impl CommunityNamePath {
    /// The community's name.
    pub fn name(&self) -> &str {
        &self.communityName
    }
}

fn flag(text: Option<&str>, field: &str) -> Result<bool, DomainError> {
    match text.map(str::trim) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(DomainError::Invalid(format!("{field} must be true or false"))),
    }
}

async fn begin(
    incoming: Incoming,
    force_authn: bool,
    community_name: &str,
    req: &HttpRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let issuer = request::issuer(&incoming)?;
    let (sp, community) = super::provider(state, platform, req, community_name, &issuer, SpType::Saml).await?;
    let urls = IdpUrls::of(&base_url(state, req), &community);
    let idp = IdpEndpoints { entity_id: urls.entity_id, sso_url: urls.sso };
    let now = state.clock.epoch_secs();
    let pending = request::check(&idp, &sp, &community.name, &incoming, force_authn, now)?;
    let handle = state.saml.begin(&pending).await?;
    tracing::info!(sp_id = %sp.id, "SAML AuthnRequest accepted, waiting for the login");
    let params = [("SAMLRequest", handle.as_str()), ("tenantId", &community.tenant_id), ("communityId", &community.id)];
    Ok(match &state.saml_login_url {
        Some(login) => HttpResponse::Found()
            .insert_header((LOCATION, with_query(login, &params)))
            .insert_header(("cache-control", "no-store"))
            .finish(),
        None => HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(json!({
            "SAMLRequest": handle.as_str(), "tenantId": community.tenant_id, "communityId": community.id,
        })),
    })
}

/// Redirect to Admin UI SSO page.
///
/// The HTTP-Redirect binding of an SP-initiated login: `SAMLRequest` (a DEFLATEd, base64
/// `AuthnRequest` of one of the community's SAML service providers, its issuer), `RelayState`,
/// `SigAlg` and `Signature` (checked against the provider's `signingCert` when it has
/// `authRequestSignRequired`), `ForceAuthn`. The requested assertion consumer service must be the
/// registered one; a request id seen before is refused. 302 to `SAML_LOGIN_URL` with the pending
/// request's handle as `SAMLRequest`, and `tenantId` and `communityId` (200 with them as JSON
/// when no login page is configured). Open.
#[utoipa::path(
    get,
    path = "/community/{communityName}/sso",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("SAMLRequest" = String, Query, description = "The AuthnRequest (DEFLATE, base64)"),
        ("RelayState" = Option<String>, Query, description = "Returned to the service provider"),
        ("ForceAuthn" = Option<bool>, Query, description = "Ask for a fresh login"),
        ("SigAlg" = Option<String>, Query, description = "The signature algorithm's URI"),
        ("Signature" = Option<String>, Query, description = "The request's signature (base64)"),
    ),
    responses(
        (status = 302, description = "To the login page"),
        (status = 200, description = "The pending request (no login page configured)", body = Object),
        (status = 400, description = "An invalid, unsigned, unknown or replayed request", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sso_redirect(
    path: web::Path<CommunityNamePath>,
    query: web::Query<Vec<(String, String)>>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let incoming = Incoming::Redirect { pairs: query.into_inner(), raw_query: req.query_string().to_owned() };
    let force = flag(incoming.single("ForceAuthn")?, "ForceAuthn")?;
    begin(incoming, force, &path.communityName, &req, &state, &platform).await
}

/// Body of `POST /community/{communityName}/sso`: a form (the HTTP-POST binding) or JSON with
/// these fields (the schema of the OpenAPI document; the handler reads the pairs, [`FormOrJson`]).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct SamlPostRequest {
    /// The AuthnRequest (base64 XML).
    pub SAMLRequest: String,
    #[serde(default)]
    pub RelayState: Option<String>,
    #[serde(default)]
    pub ForceAuthn: Option<bool>,
}

/// Query of `POST /community/{communityName}/sso`.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct SsoPostQuery {
    #[serde(default)]
    RelayState: Option<String>,
    #[serde(default)]
    ForceAuthn: Option<String>,
}

/// Redirect to Admin UI SSO page.
///
/// The HTTP-POST binding of an SP-initiated login: a form (or JSON) with `SAMLRequest` (a base64
/// `AuthnRequest`, with its enveloped signature when the provider has
/// `authRequestSignRequired`), `RelayState` and `ForceAuthn` (also taken from the query). The
/// same checks and the same 302 as the HTTP-Redirect binding. Open.
#[utoipa::path(
    post,
    path = "/community/{communityName}/sso",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("RelayState" = Option<String>, Query, description = "Returned to the service provider"),
        ("ForceAuthn" = Option<bool>, Query, description = "Ask for a fresh login"),
    ),
    request_body(content = SamlPostRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the login page"),
        (status = 200, description = "The pending request (no login page configured)", body = Object),
        (status = 400, description = "An invalid, unsigned, unknown or replayed request", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sso_post(
    path: web::Path<CommunityNamePath>,
    query: web::Query<SsoPostQuery>,
    body: FormOrJson,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let mut pairs = body.0;
    if !pairs.iter().any(|(k, _)| k == "RelayState") {
        pairs.extend(query.RelayState.clone().map(|r| ("RelayState".to_owned(), r)));
    }
    let incoming = Incoming::Post { pairs };
    let force = flag(incoming.single("ForceAuthn")?, "ForceAuthn")? || flag(query.ForceAuthn.as_deref(), "ForceAuthn")?;
    begin(incoming, force, &path.communityName, &req, &state, &platform).await
}
