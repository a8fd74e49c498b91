//! The Service Providers endpoints outside the administrators' reach: the IdP-initiated apps
//! of any logged-in user's community (`GET /serviceprovider/idp-initiated`) and the public face
//! of the application a pending request is for (`POST /serviceprovider/publicinfo/fetch`, open).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::ids;
use crate::domain::service_providers::SpType;
use crate::routes::users::home_of;
use crate::session::{AdminSession, LoggedIn};

/// One IdP-initiated app.
#[derive(Debug, Serialize, ToSchema)]
pub struct IdpInitiatedApp {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub logo: Option<String>,
    #[serde(rename = "type")]
    pub sp_type: SpType,
    #[serde(rename = "idpInitiated")]
    pub idp_initiated: bool,
}

/// Fetch IDP-Initiated Apps.
///
/// The SAML service providers of the logged-in user's community that enable IdP-initiated login
/// (`saml_config.idpInitiated`): `[{_id, name, logo, type, idpInitiated}]`, sealed. Any
/// logged-in user (the "My Apps" tab).
#[utoipa::path(
    get,
    path = "/serviceprovider/idp-initiated",
    responses((status = 200, description = "The apps, sealed", body = Sealable<Vec<IdpInitiatedApp>>))
)]
#[tracing::instrument(skip_all)]
pub async fn idp_initiated(
    user: AdminSession<LoggedIn>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &user).await?;
    let apps: Vec<IdpInitiatedApp> = state
        .stores
        .service_providers
        .idp_initiated(&community.id)
        .await?
        .into_iter()
        .map(|s| IdpInitiatedApp {
            id: s.id,
            name: s.document.name,
            logo: s.document.logo,
            sp_type: s.document.sp_type,
            idp_initiated: true,
        })
        .collect();
    Ok(user.caller.reply(&apps)?)
}

/// Body of `POST /serviceprovider/publicinfo/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicInfoRequest {
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    #[serde(rename = "communityId")]
    pub community_id: String,
    /// A pending SAML request, as the SSO endpoint gave it to the login page.
    #[serde(default, rename = "SAMLRequest")]
    pub saml_request: Option<String>,
    /// A pending OIDC request, as the authorization endpoint gave it to the login page.
    #[serde(default, rename = "OIDCRequest")]
    pub oidc_request: Option<String>,
}

/// Get Service Provider public info by SAML request or OIDC request.
///
/// The public face of the application a pending request of the community is for: `_id`,
/// `name`, `logo` and, for OIDC, the requested `scope`, `requestedAuthnContext` (the request's
/// `acr_values`), for SAML `forceAuthn` (a fresh login is asked for), and the login page's `hideBanner`, `hideMobileLinks` and `mobileAppLabel`. Exactly one of `SAMLRequest` and `OIDCRequest`; an unknown or
/// expired request, or one of another community: 404. Open (signed headers only).
#[utoipa::path(
    post,
    path = "/serviceprovider/publicinfo/fetch",
    request_body = Sealable<PublicInfoRequest>,
    responses(
        (status = 200, description = "The application's public info", body = Sealable<Object>),
        (status = 400, description = "Neither or both requests, bad ids", body = ErrorBody),
        (status = 404, description = "No such pending request in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn public_info(
    caller: Caller,
    body: Body<PublicInfoRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let tenant_id = ids::object_id("tenantId", &value.tenant_id)?;
    let community_id = ids::object_id("communityId", &value.community_id)?;
    let oidc_request = match (value.saml_request, value.oidc_request) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::bad_request("give exactly one of SAMLRequest and OIDCRequest").into());
        }
        (Some(handle), None) => {
            let unknown = || ApiError::not_found("no pending SAML request with this SAMLRequest in the community");
            let request = state.saml.pending(&handle).await?.ok_or_else(unknown)?;
            if request.tenant_id != tenant_id || request.community_id != community_id {
                return Err(unknown().into());
            }
            let found = state.stores.service_providers.get(&community_id, &request.sp_id).await?.ok_or_else(unknown)?;
            let d = &found.document;
            let info = json!({"_id": found.id, "name": d.name, "logo": d.logo, "forceAuthn": request.force_authn});
            return Ok(caller.reply_like(encrypted, StatusCode::OK, &info)?);
        }
        (None, Some(r)) => r,
    };
    let unknown = || ApiError::not_found("no pending OIDC request with this OIDCRequest in the community");
    let request = state.oidc.pending(&oidc_request).await?.ok_or_else(unknown)?;
    if request.tenant_id != tenant_id || request.community_id != community_id {
        return Err(unknown().into());
    }
    let found = state.stores.service_providers.get(&community_id, &request.sp_id).await?.ok_or_else(unknown)?;
    let d = &found.document;
    // What the login page shows of the application, and how it dresses itself for it.
    let mut info = json!({"_id": found.id, "name": d.name, "logo": d.logo, "scope": request.scope,
        "hideBanner": d.hide_banner, "hideMobileLinks": d.hide_mobile_links, "mobileAppLabel": d.mobile_app_label});
    if let Some(acr) = &request.acr_values {
        info["requestedAuthnContext"] = json!({"class": acr});
    }
    Ok(caller.reply_like(encrypted, StatusCode::OK, &info)?)
}
