//! The SAML 2.0 identity provider of each community (catalog groups Community SAML and, for the
//! login page, Authenticate): the IdP metadata, the SSO endpoint of SP-initiated logins over the
//! HTTP-Redirect and HTTP-POST bindings ([`sso`]), and the login page's completion
//! (`POST /saml/sso`) and IdP-initiated logins (`POST /saml/idp-init/{id}`) ([`login`]), and the
//! WS-Federation sign-in of WS-Fed relying parties ([`wsfed`]). The community routes are plain
//! HTTP as the SAML bindings and WS-Federation define them, not the sealed envelope.
//!
//! The IdP's URLs start at `OIDC_ISSUER_BASE_URL` (adminapi's public base URL), else adminapi's
//! URL in `SERVICE_DIRECTORY`, else the request's own scheme and `Host`: its entity id is its
//! metadata URL, `{base}/community/{name}/idp/{communityId}/metadata`.

mod acs;
mod external;
mod external_oidc;
mod login;
mod slo;
mod sso;
mod wsfed;

/// Why `POST /saml/acs/token` is served outside the catalog.
const ACS_TOKEN_REASON: &str = "The console's side of the assertion consumer service: the one-time code the ACS \
    redirect carries becomes a login session, so that no access token travels in a URL.";

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::ApiError;
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::ErrorBody;
use kit::{AppResult, Endpoint, endpoint};
use saml_rs::constants::Binding;
use saml_rs::metadata::{Endpoint as SamlEndpoint, IdpMetadataConfig};
use serde::Deserialize;

use crate::State;
use crate::domain::DomainError;
use crate::domain::service_providers::saml::NAME_ID_FORMATS;
use crate::domain::service_providers::{ServiceProvider, SpType};

/// The routes of the IdP.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(metadata_get),
        endpoint!(metadata_post),
        endpoint!(sso::sso_redirect),
        endpoint!(sso::sso_post),
        endpoint!(login::saml_sso),
        endpoint!(login::idp_init),
        endpoint!(wsfed::wsfed_get),
        endpoint!(wsfed::wsfed_post),
        endpoint!(wsfed::wsfed_sso),
        endpoint!(external::generate_saml_request),
        endpoint!(acs::acs_get),
        endpoint!(acs::acs_post),
        endpoint!(acs::acs_token).outside_catalog(ACS_TOKEN_REASON),
        endpoint!(slo::slo_get),
        endpoint!(slo::slo_post),
        endpoint!(external_oidc::oidc_login).outside_catalog(external_oidc::REASON),
        endpoint!(external_oidc::oidc_callback).outside_catalog(external_oidc::REASON),
    ]
}

/// adminapi's public base URL as this request reaches it.
pub fn base_url(state: &State, req: &HttpRequest) -> String {
    match &state.oidc_issuer_base {
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
    }
}

/// The URLs of a community's IdP.
#[derive(Debug, Clone)]
pub struct IdpUrls {
    pub entity_id: String,
    pub sso: String,
    pub slo: String,
}

impl IdpUrls {
    /// The URLs of `community` from `base`.
    pub fn of(base: &str, community: &CommunityRef) -> Self {
        let at = |tail: &[&str]| {
            let mut segments = vec!["community", community.name.as_str()];
            segments.extend_from_slice(tail);
            join(base, &segments)
        };
        Self { entity_id: at(&["idp", &community.id, "metadata"]), sso: at(&["sso"]), slo: at(&["slo"]) }
    }
}

/// `base` with `segments` appended to its path, each percent-encoded.
pub(crate) fn join(base: &str, segments: &[&str]) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            if let Ok(mut path) = url.path_segments_mut() {
                path.pop_if_empty().extend(segments);
            }
            url.to_string()
        }
        Err(_) => format!("{base}/{}", segments.join("/")),
    }
}

/// The most providers one entity id may name across communities (a bound on the lookup).
const MAX_SAME_ENTITY: u32 = 100;

/// The service provider of `sp_type` of the community named `community_name` whose entity id
/// (SAML) or realm (WS-Fed) is `issuer`, with its community.
pub(crate) async fn provider(
    state: &State,
    platform: &Platform,
    req: &HttpRequest,
    community_name: &str,
    issuer: &str,
    sp_type: SpType,
) -> AppResult<(ServiceProvider, kit::directory::CommunityRef)> {
    let mut found = Vec::new();
    for sp in state.stores.service_providers.by_entity_id(issuer, sp_type, MAX_SAME_ENTITY).await? {
        if let Some(c) = platform.directory.community(&sp.community_id).await.map_err(ApiError::from)?
            && c.name == community_name
        {
            found.push((sp, c));
        }
    }
    if found.len() > 1 {
        // Communities of several tenants share the name: the host names the tenant.
        let host = req.connection_info().host().split(':').next().unwrap_or_default().to_ascii_lowercase();
        let tenant = state.stores.tenancy.tenant_by_dns(&host).await?;
        found.retain(|(_, c)| tenant.as_ref().is_some_and(|t| t.id == c.tenant_id));
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(DomainError::Invalid(format!(
            "the {} is not a {} service provider of this community",
            if sp_type == SpType::Saml { "AuthnRequest's Issuer" } else { "wtrealm" },
            sp_type.as_str()
        ))
        .into()),
        _ => Err(DomainError::Invalid(
            "several tenants have this community and service provider: use the tenant's own host name".into(),
        )
        .into()),
    }
}

/// A form (`application/x-www-form-urlencoded`) or JSON body, as its pairs: the HTTP-POST
/// binding posts a form, the spec's examples JSON.
pub struct FormOrJson(pub Vec<(String, String)>);

impl actix_web::FromRequest for FormOrJson {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/json"));
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = bytes.await?;
            if !json {
                return Ok(Self(url::form_urlencoded::parse(&body).into_owned().collect()));
            }
            let bad = || ApiError::bad_request("the body must be a JSON object of strings and booleans");
            let map: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&body).map_err(|_| bad())?;
            let mut pairs = Vec::new();
            for (k, v) in map {
                match v {
                    serde_json::Value::String(s) => pairs.push((k, s)),
                    serde_json::Value::Bool(b) => pairs.push((k, b.to_string())),
                    serde_json::Value::Null => {}
                    _ => return Err(bad().into()),
                }
            }
            Ok(Self(pairs))
        })
    }
}

impl kit::access::Describe for FormOrJson {
    fn describe(r: &mut kit::access::Requirement) {
        r.body = true;
    }
}

/// Path of the metadata.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct MetadataPath {
    communityName: String,
    idpIdentifier: String,
}

/// Query of the metadata.
#[derive(Debug, Deserialize)]
pub struct MetadataQuery {
    #[serde(default)]
    download: Option<String>,
}

async fn metadata(
    path: &MetadataPath,
    query: &MetadataQuery,
    req: &HttpRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let download = match query.download.as_deref().map(str::trim) {
        None | Some("" | "false") => false,
        Some("true") => true,
        Some(_) => return Err(DomainError::Invalid("download must be true or false".into()).into()),
    };
    let named = Named { community_id: &path.idpIdentifier, tenant_id: None, community_name: Some(&path.communityName) };
    let community = locate(&**platform.directory, named)
        .await
        .map_err(|_| DomainError::NotFound("no SAML IdP has this communityName and idpIdentifier".into()))?;
    let credential = state.saml.credentials.of(&community.tenant_id, &community.id, &community.name).await?;
    let urls = IdpUrls::of(&base_url(state, req), &community);
    let config = IdpMetadataConfig {
        entity_id: urls.entity_id,
        signing_certs: vec![credential.certificate_pem.clone()],
        want_authn_requests_signed: false,
        name_id_format: NAME_ID_FORMATS.iter().map(|(_, urn)| (*urn).to_owned()).collect(),
        single_sign_on_service: vec![
            SamlEndpoint::new(Binding::Redirect, urls.sso.clone()),
            SamlEndpoint::new(Binding::Post, urls.sso),
        ],
        single_logout_service: vec![
            SamlEndpoint::new(Binding::Redirect, urls.slo.clone()),
            SamlEndpoint::new(Binding::Post, urls.slo),
        ],
        ..IdpMetadataConfig::default()
    };
    let xml = saml_rs::metadata::try_generate_idp_metadata(&config).map_err(|e| {
        DomainError::Store(kit::StoreError::Corrupt(format!("the IdP metadata cannot be written: {e}")))
    })?;
    let mut reply = HttpResponse::Ok();
    reply.insert_header((CONTENT_TYPE, "application/samlmetadata+xml; charset=utf-8"));
    reply.insert_header(("cache-control", "public, max-age=300"));
    if download {
        reply.insert_header((CONTENT_DISPOSITION, "attachment; filename=\"idp-metadata.xml\""));
    }
    Ok(reply.body(xml))
}

/// Fetch IDP metadata.
///
/// The SAML 2.0 metadata of the community's identity provider (its `EntityDescriptor`): the
/// entity id (this URL), the signing certificate, the name id formats, the SSO and SLO endpoints
/// over HTTP-Redirect and HTTP-POST. `idpIdentifier` is the community's id. With
/// `download=true`, a `Content-Disposition: attachment` header. Open.
#[utoipa::path(
    get,
    path = "/community/{communityName}/idp/{idpIdentifier}/metadata",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("idpIdentifier" = String, Path, description = "The IdP's identifier: the community's id"),
        ("download" = Option<bool>, Query, description = "Add a Content-Disposition header"),
    ),
    responses(
        (status = 200, description = "The metadata (XML)", content_type = "application/samlmetadata+xml", body = String),
        (status = 400, description = "download is not a boolean", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn metadata_get(
    path: web::Path<MetadataPath>,
    query: web::Query<MetadataQuery>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    metadata(&path, &query, &req, &state, &platform).await
}

/// Fetch IDP metadata.
///
/// As `GET`: the SAML 2.0 metadata of the community's identity provider. Open.
#[utoipa::path(
    post,
    path = "/community/{communityName}/idp/{idpIdentifier}/metadata",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("idpIdentifier" = String, Path, description = "The IdP's identifier: the community's id"),
        ("download" = Option<bool>, Query, description = "Add a Content-Disposition header"),
    ),
    responses(
        (status = 200, description = "The metadata (XML)", content_type = "application/samlmetadata+xml", body = String),
        (status = 400, description = "download is not a boolean", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn metadata_post(
    path: web::Path<MetadataPath>,
    query: web::Query<MetadataQuery>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    metadata(&path, &query, &req, &state, &platform).await
}
