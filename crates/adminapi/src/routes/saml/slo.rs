//! `GET|POST /community/{communityName}/slo`: the single logout endpoint the community's IdP
//! metadata names. A service provider's `LogoutRequest` ([`crate::domain::saml::logout`]) ends
//! the login sessions its `SessionIndex`es name (the ones the IdP put in its assertions), on
//! every instance, then the user agent goes back to the provider's `SingleLogoutService` with a
//! signed `LogoutResponse`, or, for a provider without one, to the console's logout page
//! (`SAML_LOGOUT_URL`). A visit without a request goes to that page.

use std::time::Duration;

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::ErrorBody;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::sso::CommunityNamePath;
use super::{FormOrJson, IdpUrls, base_url};
use crate::State;
use crate::domain::DomainError;
use crate::domain::oidc::authorize::with_query;
use crate::domain::saml::logout::{self, IdpLogout};
use crate::domain::saml::request::{self, Incoming, MAX_AGE};
use crate::domain::service_providers::SpType;

fn found(to: &str) -> HttpResponse {
    HttpResponse::Found().insert_header((LOCATION, to)).insert_header(("cache-control", "no-store")).finish()
}

async fn single_logout(
    incoming: Incoming,
    community_name: &str,
    req: &HttpRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    if incoming.single("SAMLRequest")?.is_none_or(|r| r.trim().is_empty()) {
        if incoming.single("SAMLResponse")?.is_some() {
            return Err(DomainError::Invalid(
                "a LogoutResponse is not expected: this IdP does not send LogoutRequests".into(),
            )
            .into());
        }
        return match &state.saml_logout_url {
            Some(page) => Ok(found(&with_query(page, &[("communityName", community_name)]))),
            None => Err(DomainError::Invalid("SAMLRequest (a LogoutRequest) is required".into()).into()),
        };
    }
    let issuer = request::issuer_of(&incoming, "LogoutRequest")?;
    let (sp, community) = super::provider(state, platform, req, community_name, &issuer, SpType::Saml).await?;
    let urls = IdpUrls::of(&base_url(state, req), &community);
    let idp = IdpLogout { entity_id: &urls.entity_id, sso_url: &urls.sso, slo_url: &urls.slo };
    let now = state.clock.epoch_secs();
    let checked = logout::check(&idp, &sp, &incoming, now)?;
    let window = Duration::from_secs(MAX_AGE.unsigned_abs().saturating_mul(2));
    if !state.saml.first_logout(&sp.id, &checked.request_id, window).await? {
        tracing::warn!(sp_id = %sp.id, "a SAML LogoutRequest id was presented twice: refused");
        return Err(DomainError::Invalid("the LogoutRequest was used already (its ID was seen before)".into()).into());
    }
    let mut ended = 0_usize;
    for index in &checked.session_indexes {
        let Some(sid) = state.saml.session_of(index).await? else { continue };
        if let Some(session) = state.sessions.by_sid(&sid, now).await?
            && session.community_id == community.id
        {
            state.sessions.close(&session, now).await?;
            ended += 1;
        }
    }
    tracing::info!(sp_id = %sp.id, ended, "SAML single logout");
    if let Some(sp_slo) = logout::sp_slo_url(&sp) {
        let credential = state.saml.credentials.of(&community.tenant_id, &community.id, &community.name).await?;
        return Ok(found(&logout::response_url(&idp, &credential, &sp, &sp_slo, &checked)?));
    }
    let mut params = vec![("tenantId", community.tenant_id.as_str()), ("communityId", community.id.as_str())];
    params.extend(checked.relay_state.as_deref().map(|r| ("RelayState", r)));
    Ok(match &state.saml_logout_url {
        Some(page) => found(&with_query(page, &params)),
        None => HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(json!({
            "ended": ended, "tenantId": community.tenant_id, "communityId": community.id,
            "RelayState": checked.relay_state,
        })),
    })
}

/// Redirect to Admin UI SLO page.
///
/// Single logout over the HTTP-Redirect binding: `SAMLRequest` (a DEFLATEd, base64
/// `LogoutRequest` of one of the community's SAML service providers, its issuer), `RelayState`,
/// `SigAlg` and `Signature` (checked against the provider's `signingCert`, required when it has
/// `logoutRequestSignRequired`). The login sessions its `SessionIndex`es name end; a request id
/// seen before is refused. 302 to the provider's `SingleLogoutService` (from its metadata) with a
/// signed `LogoutResponse`, else to the logout page (`SAML_LOGOUT_URL`) with `tenantId`,
/// `communityId` and `RelayState` (200 with them and `ended` as JSON when none is configured).
/// Without `SAMLRequest`: 302 to the logout page. Open.
#[utoipa::path(
    get,
    path = "/community/{communityName}/slo",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("SAMLRequest" = Option<String>, Query, description = "The LogoutRequest (DEFLATE, base64)"),
        ("RelayState" = Option<String>, Query, description = "Returned to the service provider"),
        ("SigAlg" = Option<String>, Query, description = "The signature algorithm's URI"),
        ("Signature" = Option<String>, Query, description = "The request's signature (base64)"),
    ),
    responses(
        (status = 302, description = "To the provider's SingleLogoutService, or the logout page"),
        (status = 200, description = "The sessions ended (no logout page configured)", body = Object),
        (status = 400, description = "An invalid, unsigned, unknown or replayed request", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn slo_get(
    path: web::Path<CommunityNamePath>,
    query: web::Query<Vec<(String, String)>>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let incoming = Incoming::Redirect { pairs: query.into_inner(), raw_query: req.query_string().to_owned() };
    single_logout(incoming, path.name(), &req, &state, &platform).await
}

/// Body of `POST /community/{communityName}/slo`: the HTTP-POST binding's form (or JSON).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code, non_snake_case)]
#[serde(deny_unknown_fields)]
pub struct SloForm {
    /// The LogoutRequest (base64 XML, with its enveloped signature when required).
    #[serde(default)]
    pub SAMLRequest: Option<String>,
    #[serde(default)]
    pub RelayState: Option<String>,
}

/// Redirect to Admin UI SLO page.
///
/// Single logout over the HTTP-POST binding: a form (or JSON) with `SAMLRequest` (a base64
/// `LogoutRequest`, with its enveloped signature when the provider has
/// `logoutRequestSignRequired`) and `RelayState`. The same checks and answers as the `GET`. Open.
#[utoipa::path(
    post,
    path = "/community/{communityName}/slo",
    params(("communityName" = String, Path, description = "Community Name")),
    request_body(content = SloForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the provider's SingleLogoutService, or the logout page"),
        (status = 200, description = "The sessions ended (no logout page configured)", body = Object),
        (status = 400, description = "An invalid, unsigned, unknown or replayed request", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn slo_post(
    path: web::Path<CommunityNamePath>,
    body: FormOrJson,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    single_logout(Incoming::Post { pairs: body.0 }, path.name(), &req, &state, &platform).await
}
