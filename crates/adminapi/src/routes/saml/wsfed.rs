//! WS-Federation passive requestor sign-in for the community's WS-Fed relying parties:
//! `GET|POST /community/{communityName}/wsfed` checks `wa=wsignin1.0`, the realm (`wtrealm`, a
//! registered relying party of the community) and `wreply` (the registered reply URL), then sends
//! the user agent to the login page with them; the login page, once the user is signed in,
//! calls `POST /wsfed/sso` for the `wresult` (a token response with a signed SAML 2.0 assertion)
//! and posts `wa`, `wresult` and `wctx` to the relying party.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::login::{auth_time, user_record};
use super::sso::CommunityNamePath;
use super::{FormOrJson, IdpUrls, base_url, provider};
use crate::State;
use crate::domain::DomainError;
use crate::domain::oidc::authorize::with_query;
use crate::domain::saml::mapping::{self, UserView};
use crate::domain::saml::response::{self, Assertion};
use crate::domain::saml::wsfed::{self, MAX_WCTX, SIGN_IN};
use crate::domain::service_providers::{LIST_LIMIT, SpType, WsfedConfig};
use crate::session::{AdminSession, LoggedIn};

/// A sign-in request's parameters.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct WsfedParams {
    /// `wsignin1.0`.
    #[serde(default)]
    pub wa: Option<String>,
    /// The relying party's realm.
    #[serde(default)]
    pub wtrealm: Option<String>,
    /// Where the token goes: the registered reply URL (default).
    #[serde(default)]
    pub wreply: Option<String>,
    /// Returned to the relying party unchanged.
    #[serde(default)]
    pub wctx: Option<String>,
    /// Home realm: ignored (the community is the home realm).
    #[serde(default)]
    pub whr: Option<String>,
    /// Freshness in minutes: `0` asks for a fresh login.
    #[serde(default)]
    pub wfresh: Option<String>,
}

fn invalid(message: &str) -> DomainError {
    DomainError::Invalid(message.to_owned())
}

/// The checked `wreply` (the registered reply URL when absent) and `wctx` of `p` for `config`.
fn checked(p: &WsfedParams, config: &WsfedConfig) -> Result<(String, Option<String>), DomainError> {
    match p.wa.as_deref().map(str::trim) {
        Some(SIGN_IN) => {}
        None | Some("") => return Err(invalid("wa is required (wsignin1.0)")),
        Some(_) => return Err(invalid("wa must be wsignin1.0")),
    }
    let reply = match p.wreply.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => config.reply_url.clone(),
        Some(r) if r == config.reply_url => r.to_owned(),
        Some(_) => return Err(invalid("wreply is not the reply URL registered for the relying party")),
    };
    let wctx = p.wctx.clone().filter(|c| !c.is_empty());
    if wctx.as_ref().is_some_and(|c| c.len() > MAX_WCTX || c.chars().any(char::is_control)) {
        return Err(invalid("wctx must be at most 2048 printable characters"));
    }
    Ok((reply, wctx))
}

async fn begin(
    p: WsfedParams,
    community_name: &str,
    req: &HttpRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let realm = p.wtrealm.as_deref().map(str::trim).filter(|r| !r.is_empty() && r.len() <= 1024);
    let realm = realm.ok_or_else(|| invalid("wtrealm is required (at most 1024 characters)"))?;
    let (sp, community) = provider(state, platform, req, community_name, realm, SpType::Wsfed).await?;
    let config = sp.document.wsfed_config.as_ref().ok_or_else(|| invalid("wtrealm is not a WS-Fed relying party"))?;
    let (reply, wctx) = checked(&p, config)?;
    let mut params = vec![
        ("wa", SIGN_IN),
        ("wtrealm", realm),
        ("wreply", reply.as_str()),
        ("tenantId", community.tenant_id.as_str()),
        ("communityId", community.id.as_str()),
    ];
    if let Some(c) = &wctx {
        params.push(("wctx", c));
    }
    if p.wfresh.as_deref() == Some("0") {
        params.push(("wfresh", "0"));
    }
    Ok(match &state.saml_login_url {
        Some(login) => HttpResponse::Found()
            .insert_header((LOCATION, with_query(login, &params)))
            .insert_header(("cache-control", "no-store"))
            .finish(),
        None => {
            let map: serde_json::Map<String, serde_json::Value> =
                params.into_iter().map(|(k, v)| (k.to_owned(), json!(v))).collect();
            HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(map)
        }
    })
}

/// Redirect to Admin UI WSFED SSO page.
///
/// A WS-Federation sign-in (`wa=wsignin1.0`) of the relying party whose realm is `wtrealm` (a WS-Fed
/// service provider of the community); `wreply`, when given, must be its registered reply URL;
/// `wctx` goes back to it unchanged; `wfresh=0` asks for a fresh login. 302 to `SAML_LOGIN_URL`
/// with `wa`, `wtrealm`, `wreply`, `wctx`, `tenantId` and `communityId` (200 with them as JSON
/// when no login page is configured). Open.
#[utoipa::path(
    get,
    path = "/community/{communityName}/wsfed",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("wtrealm" = String, Query, description = "The relying party's realm"),
        ("wa" = String, Query, description = "wsignin1.0"),
        ("wreply" = Option<String>, Query, description = "The registered reply URL"),
        ("wctx" = Option<String>, Query, description = "Returned to the relying party"),
        ("whr" = Option<String>, Query, description = "Home realm (ignored)"),
        ("wfresh" = Option<String>, Query, description = "0: a fresh login"),
    ),
    responses(
        (status = 302, description = "To the login page"),
        (status = 200, description = "The sign-in's parameters (no login page configured)", body = Object),
        (status = 400, description = "An unknown realm, another wreply, another action", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn wsfed_get(
    path: web::Path<CommunityNamePath>,
    query: web::Query<WsfedParams>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    begin(query.into_inner(), path.name(), &req, &state, &platform).await
}

/// Redirect to Admin UI WSFED SSO page.
///
/// As `GET`, the parameters in a form (or JSON) body. Open.
#[utoipa::path(
    post,
    path = "/community/{communityName}/wsfed",
    params(("communityName" = String, Path, description = "Community Name")),
    request_body(content = WsfedParams, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To the login page"),
        (status = 200, description = "The sign-in's parameters (no login page configured)", body = Object),
        (status = 400, description = "An unknown realm, another wreply, another action", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn wsfed_post(
    path: web::Path<CommunityNamePath>,
    body: FormOrJson,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let mut params = WsfedParams::default();
    for (k, v) in body.0 {
        let slot = match k.as_str() {
            "wa" => &mut params.wa,
            "wtrealm" => &mut params.wtrealm,
            "wreply" => &mut params.wreply,
            "wctx" => &mut params.wctx,
            "whr" => &mut params.whr,
            "wfresh" => &mut params.wfresh,
            _ => continue,
        };
        if slot.replace(v).is_some() {
            return Err(invalid("a WS-Fed parameter must not be repeated").into());
        }
    }
    begin(params, path.name(), &req, &state, &platform).await
}

/// Body of `POST /wsfed/sso`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WsfedSsoRequest {
    pub wtrealm: String,
    /// `wsignin1.0` (the default).
    #[serde(default)]
    pub wa: Option<String>,
    #[serde(default)]
    pub wreply: Option<String>,
    #[serde(default)]
    pub wctx: Option<String>,
}

/// The form the login page posts to the relying party.
#[derive(Debug, Serialize, ToSchema)]
pub struct WsfedSsoResponse {
    /// The relying party's reply URL: where to post.
    pub action: String,
    pub wa: String,
    /// The token response (XML) with the signed SAML 2.0 assertion.
    pub wresult: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wctx: Option<String>,
}

/// The standard claim URIs a WS-Fed token carries.
const CLAIMS: &[(&str, &str)] = &[
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "email"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "username"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname", "firstname"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname", "lastname"),
];

/// wsfed SSO.
///
/// The token of a WS-Federation sign-in for the logged-in user to the relying party `wtrealm` of
/// the user's community (400 when it is none; `wreply`, when given, must be its registered reply
/// URL): a `RequestSecurityTokenResponse` carrying a SAML 2.0 assertion signed by the community's
/// key (RSA-SHA256, exclusive C14N; the certificate is in the community's IdP metadata), with the
/// realm as audience, the name id (the relying party's `nameIdAttribute`) and the email, name,
/// given name and surname claims, valid `SAML_ASSERTION_TTL_SECONDS`. The reply (sealed like the
/// request): `action` (the reply URL), `wa`, `wresult` and `wctx` to post. Any logged-in user.
#[utoipa::path(
    post,
    path = "/wsfed/sso",
    request_body = Sealable<WsfedSsoRequest>,
    responses(
        (status = 200, description = "The form to post", body = Sealable<WsfedSsoResponse>),
        (status = 400, description = "An unknown realm, another wreply, another action", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn wsfed_sso(
    user: AdminSession<LoggedIn>,
    body: Body<WsfedSsoRequest>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let realm = value.wtrealm.trim();
    let providers =
        state.stores.service_providers.list(&user.session.community_id, Some(SpType::Wsfed), LIST_LIMIT).await?;
    let config = providers
        .iter()
        .filter_map(|sp| sp.document.wsfed_config.as_ref())
        .find(|c| c.realm == realm)
        .ok_or_else(|| invalid("wtrealm is not a WS-Fed relying party of the user's community"))?;
    let params = WsfedParams {
        wa: Some(value.wa.clone().unwrap_or_else(|| SIGN_IN.to_owned())),
        wreply: value.wreply.clone(),
        wctx: value.wctx.clone(),
        ..WsfedParams::default()
    };
    let (reply, wctx) = checked(&params, config)?;
    let (community, found) = user_record(&state, &platform, &user).await?;
    let s = &user.session;
    let view = UserView { uid: &s.uid, username: &s.username, data: &found["data"] };
    let name_id =
        mapping::values(&view, &config.name_id_attribute).into_iter().next().unwrap_or_else(|| s.username.clone());
    let format = if config.name_id_attribute == "email" {
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    } else {
        "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
    };
    let attributes: Vec<(String, Vec<String>)> = CLAIMS
        .iter()
        .map(|(uri, name)| ((*uri).to_owned(), mapping::values(&view, name)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let credential = state.saml.credentials.of(&community.tenant_id, &community.id, &community.name).await?;
    let issuer = IdpUrls::of(&base_url(&state, &req), &community).entity_id;
    let now = state.clock.epoch_secs();
    let lifetime = i64::try_from(state.saml.ttls.assertion).unwrap_or(300);
    let assertion = Assertion {
        issuer: &issuer,
        audience: &config.realm,
        acs_url: &reply,
        in_response_to: None,
        name_id: &name_id,
        name_id_format: format,
        attributes: &attributes,
        authn_instant: auth_time(&state, &user),
        now,
        lifetime,
        session_index: None,
    };
    let signed = response::signed_assertion(&assertion, &credential)?;
    let wresult = wsfed::wresult(&config.realm, &signed, now, lifetime)?;
    tracing::info!("WS-Fed token issued");
    let reply = WsfedSsoResponse { action: reply, wa: SIGN_IN.to_owned(), wresult, wctx };
    Ok(user.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
