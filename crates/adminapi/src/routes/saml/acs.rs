//! The community's assertion consumer service for its external SAML IdP (catalog group Community
//! SAML): `GET|POST /community/{communityName}/saml/acs` takes the IdP's response to an
//! AuthnRequest of `POST /saml/samlRequest/generate` ([`crate::domain::saml::acs`] verifies it),
//! finds the user its `NameID` names in the community's login module, or creates them when the
//! IdP has `provisionUsers`, and hands the login to the console with a one-time `code`, which
//! `POST /saml/acs/token` turns into the user and an access JWT. A browser never carries the
//! token itself in a URL.

use actix_web::http::StatusCode;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::AppResult;
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::sso::CommunityNamePath;
use super::{FormOrJson, IdpUrls, base_url, join};
use crate::State;
use crate::domain::DomainError;
use crate::domain::identity_providers::Provider;
use crate::domain::oidc::authorize::with_query;
use crate::domain::saml::FederatedLogin;
use crate::domain::saml::acs::{self, Consumer, ExternalIdp, Verified};
use crate::domain::saml::request::Incoming;
use crate::routes::authenticate::{Checked, check_verified, open_session};
use crate::users_mgmt::UsersMgmt;

fn invalid(message: &str) -> DomainError {
    DomainError::Invalid(message.to_owned())
}

/// The community's entity id and this ACS, as `generate` named them.
fn consumer_urls(state: &State, req: &HttpRequest, community: &CommunityRef) -> (String, String) {
    let base = base_url(state, req);
    let entity_id = IdpUrls::of(&base, community).entity_id;
    (entity_id, join(&base, &["community", &community.name, "saml", "acs"]))
}

/// Where the console goes with the code: a `RelayState` that is a path, or an URL of the login
/// page's origin, else the login page (`SAML_LOGIN_URL`); `None` without a login page.
pub(super) fn destination(state: &State, relay_state: Option<&str>) -> Result<Option<String>, DomainError> {
    let Some(login) = state.saml_login_url.as_deref() else { return Ok(None) };
    let Some(relay) = relay_state else { return Ok(Some(login.to_owned())) };
    let login_url = url::Url::parse(login).map_err(|_| invalid("SAML_LOGIN_URL is not a URL"))?;
    let target = if relay.starts_with('/') && !relay.starts_with("//") && !relay.contains('\\') {
        login_url.join(relay).ok()
    } else {
        url::Url::parse(relay).ok().filter(|u| u.origin() == login_url.origin())
    };
    target
        .map(|u| Some(u.to_string()))
        .ok_or_else(|| invalid("RelayState must be a path or a URL of the login page's origin"))
}

/// The user `verified` names in `community`, created first when `idp` provisions users.
pub(super) async fn federated_user(
    state: &State,
    community: &CommunityRef,
    idp: &Provider,
    verified: &Verified,
) -> AppResult<Checked> {
    let refused = || ApiError::unauthorized("the user the external IdP signed in is not a user of this community");
    let Some(module) = state.users_mgmt.login_module(community).await? else {
        tracing::info!("SAML login refused: the community has no enabled db module");
        return Err(refused().into());
    };
    let username = verified.name_id.as_str();
    let mut found = fetch(state, community, &module, username).await?;
    if found.is_none() && idp.provision_users {
        provision(state, community, &module, idp, verified).await?;
        found = fetch(state, community, &module, username).await?;
    }
    let Some(user) = found else {
        tracing::info!("SAML login refused: no such user and the IdP does not provision users");
        return Err(refused().into());
    };
    let uid = user["uid"].as_str().ok_or_else(ApiError::internal)?;
    let name = user["username"].as_str().unwrap_or(username);
    // Enabled and not locked, as for any login.
    check_verified(state, community, &module, uid, name).await
}

/// The user `username` of `module`, if any.
async fn fetch(state: &State, community: &CommunityRef, module: &str, username: &str) -> AppResult<Option<Value>> {
    let path = UsersMgmt::community_path(community, "/user/fetch_single_user_by_username");
    match state.users_mgmt.call(Method::POST, &path, &json!({"authModule": module, "username": username})).await {
        Ok(found) => Ok(Some(found["data"].clone())),
        Err(e) if e.status() == StatusCode::NOT_FOUND => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Creates the user `verified` names (no password: they sign in through the IdP), named and
/// mailed from the assertion's attributes. A create that loses a race to another one is fine:
/// the user is fetched again.
async fn provision(
    state: &State,
    community: &CommunityRef,
    module: &str,
    idp: &Provider,
    verified: &Verified,
) -> AppResult<()> {
    let email = match idp.email_attribute.as_deref() {
        Some(attribute) => verified.attribute(attribute),
        None => verified.attribute("mail").or_else(|| verified.attribute("email")),
    }
    .unwrap_or(&verified.name_id);
    let first = ["givenName", "given_name", "firstname", "first_name"].iter().find_map(|a| verified.attribute(a));
    let last = ["sn", "family_name", "surname", "lastname", "last_name"].iter().find_map(|a| verified.attribute(a));
    let mut user = json!({"username": verified.name_id, "email1": email, "idpId": idp.id});
    if let Some(first) = first {
        user["firstname"] = json!(first);
    }
    if let Some(last) = last {
        user["lastname"] = json!(last);
    }
    let path = UsersMgmt::community_path(community, "/users/create");
    let reply = state.users_mgmt.call(Method::PUT, &path, &json!({"authModule": module, "users": [user]})).await?;
    if reply["created"] == json!(1) {
        tracing::info!(idp_id = %idp.id, "user provisioned at the first SAML login");
    } else {
        tracing::info!(idp_id = %idp.id, "provisioning a SAML user did not create one (taken meanwhile, or refused)");
    }
    Ok(())
}

async fn consume(
    pairs: Vec<(String, String)>,
    community_name: &str,
    req: &HttpRequest,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let incoming = Incoming::Post { pairs };
    let encoded = match incoming.single("SAMLResponse")? {
        Some(r) if !r.trim().is_empty() => r,
        _ => return Err(invalid("SAMLResponse is required").into()),
    };
    let relay_state = incoming.relay_state()?;
    let request_id = acs::in_response_to(encoded)?.ok_or_else(|| {
        invalid("the SAMLResponse must answer an AuthnRequest of this community (InResponseTo); unsolicited responses are refused")
    })?;
    let unknown = || {
        invalid(
            "the SAMLResponse does not answer a pending AuthnRequest of this community (unknown, expired or answered already)",
        )
    };
    let sent = state.saml.sent(&request_id).await?.ok_or_else(unknown)?;
    let community = platform
        .directory
        .community(&sent.community_id)
        .await
        .map_err(ApiError::from)?
        .filter(|c| c.name == community_name)
        .ok_or_else(unknown)?;
    let gone = || invalid("the external IdP the request was sent to is no longer an enabled saml IdP of the community");
    let idp = state
        .external_idps
        .list(&community.id, Some(std::slice::from_ref(&sent.idp_id)), Some("saml"))
        .await?
        .into_iter()
        .find(|p| p.enabled)
        .ok_or_else(gone)?;
    let (Some(entity_id), Some(sso_url), Some(certificate)) = (&idp.entity_id, &idp.sso_url, &idp.certificate) else {
        return Err(gone().into());
    };
    let (own_entity, acs_url) = consumer_urls(state, req, &community);
    let consumer = Consumer { entity_id: &own_entity, acs_url: &acs_url };
    let external = ExternalIdp { entity_id, sso_url, certificate_pem: certificate };
    let verified = acs::verify(&consumer, &external, encoded, &request_id)?;
    // Answered once: of two copies of the response, one signs in.
    if !state.saml.take_sent(&request_id).await? {
        tracing::warn!("a SAML response was presented twice: refused");
        return Err(unknown().into());
    }
    let checked = federated_user(state, &community, &idp, &verified).await?;
    tracing::info!(idp_id = %idp.id, "SAML login from an external IdP accepted; waiting for the console");
    hand_off(state, &community, checked, relay_state.as_deref()).await
}

/// Hands the login of `checked` to the console: a one-time code for `POST /saml/acs/token`, in
/// a 302 to `relay_state` or the login page, or as JSON without a login page.
pub(super) async fn hand_off(
    state: &State,
    community: &CommunityRef,
    checked: Checked,
    relay_state: Option<&str>,
) -> AppResult<HttpResponse> {
    let login = FederatedLogin {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        module: checked.module,
        uid: checked.uid,
        username: checked.username,
    };
    let code = state.saml.hand_off(&login).await?;
    let mut params = vec![("code", code.as_str()), ("tenantId", &community.tenant_id), ("communityId", &community.id)];
    Ok(match destination(state, relay_state)? {
        Some(to) => HttpResponse::Found()
            .insert_header((LOCATION, with_query(&to, &params)))
            .insert_header(("cache-control", "no-store"))
            .finish(),
        None => {
            params.extend(relay_state.map(|r| ("RelayState", r)));
            let map: serde_json::Map<String, Value> =
                params.into_iter().map(|(k, v)| (k.to_owned(), json!(v))).collect();
            HttpResponse::Ok().insert_header(("cache-control", "no-store")).json(map)
        }
    })
}

/// Query of `GET /community/{communityName}/saml/acs`.
#[derive(Debug, Deserialize)]
#[allow(non_snake_case)]
pub struct AcsQuery {
    SAMLResponse: Option<String>,
    RelayState: Option<String>,
}

/// Redirect to Admin UI SSO page.
///
/// The external SAML IdP's response (`SAMLResponse`, base64 XML as the HTTP-POST binding
/// carries it, and `RelayState`) to an AuthnRequest of `POST /saml/samlRequest/generate`. The
/// response must be signed by the IdP's registered certificate (its assertion at least), name
/// the request in `InResponseTo`, this community as audience and this endpoint as destination,
/// and be within its time window; it is taken once. The user is the community's user whose
/// username is the `NameID` (created without a password, with the `mail`/`givenName`/`sn`
/// attributes, when the IdP has `provisionUsers`), enabled and not locked. 302 to `RelayState`
/// (a path, or an URL of the login page's origin) or the login page (`SAML_LOGIN_URL`) with a
/// one-time `code` (120 s) for `POST /saml/acs/token`, `tenantId` and `communityId`; 200 with
/// them as JSON when no login page is configured. Open.
#[utoipa::path(
    get,
    path = "/community/{communityName}/saml/acs",
    params(
        ("communityName" = String, Path, description = "Community Name"),
        ("SAMLResponse" = String, Query, description = "The IdP's response (base64 XML)"),
        ("RelayState" = Option<String>, Query, description = "Where the console goes next"),
    ),
    responses(
        (status = 302, description = "To RelayState or the login page, with `code`"),
        (status = 200, description = "`code`, `tenantId`, `communityId` (no login page configured)", body = Object),
        (status = 400, description = "An invalid, unsigned, expired, misdirected, unsolicited or replayed response", body = ErrorBody),
        (status = 401, description = "The user is not a user of the community, or is disabled or locked", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn acs_get(
    path: web::Path<CommunityNamePath>,
    query: web::Query<AcsQuery>,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let AcsQuery { SAMLResponse, RelayState } = query.into_inner();
    let pairs = [("SAMLResponse", SAMLResponse), ("RelayState", RelayState)]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
        .collect();
    consume(pairs, path.name(), &req, &state, &platform).await
}

/// Body of `POST /community/{communityName}/saml/acs`: the HTTP-POST binding's form (or JSON).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code, non_snake_case)]
#[serde(deny_unknown_fields)]
pub struct AcsForm {
    /// The IdP's response (base64 XML).
    pub SAMLResponse: String,
    #[serde(default)]
    pub RelayState: Option<String>,
}

/// Redirect to RelayState or AdminUI login page (if no RelayState present).
///
/// The HTTP-POST binding of the external SAML IdP's response: a form (or JSON) with
/// `SAMLResponse` and `RelayState`. The same checks and answers as the `GET`. Open.
#[utoipa::path(
    post,
    path = "/community/{communityName}/saml/acs",
    params(("communityName" = String, Path, description = "Community Name")),
    request_body(content = AcsForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 302, description = "To RelayState or the login page, with `code`"),
        (status = 200, description = "`code`, `tenantId`, `communityId` (no login page configured)", body = Object),
        (status = 400, description = "An invalid, unsigned, expired, misdirected, unsolicited or replayed response", body = ErrorBody),
        (status = 401, description = "The user is not a user of the community, or is disabled or locked", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn acs_post(
    path: web::Path<CommunityNamePath>,
    body: FormOrJson,
    req: HttpRequest,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    consume(body.0, path.name(), &req, &state, &platform).await
}

/// Body of `POST /saml/acs/token`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcsTokenRequest {
    /// The one-time code the assertion consumer service gave the console.
    code: String,
}

impl std::fmt::Debug for AcsTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcsTokenRequest").finish_non_exhaustive()
    }
}

/// Redeem a SAML login (outside the reference: the console's side of the ACS).
///
/// The one-time `code` the assertion consumer service handed the console (within 120 s, once)
/// becomes a login session: the user (with `roles`) and `jwt_token`, as `POST /verifyuser`
/// answers. The user must still be enabled and not locked. No license: the caller's keys only.
#[utoipa::path(
    post,
    path = "/saml/acs/token",
    request_body = Sealable<AcsTokenRequest>,
    responses(
        (status = 200, description = "`user` and `jwt_token`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "code is missing", body = ErrorBody),
        (status = 401, description = "An unknown, expired or redeemed code; a user disabled or locked since", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn acs_token(
    caller: Caller,
    body: Body<AcsTokenRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let refused = || ApiError::unauthorized("the code is unknown, expired or redeemed already");
    let login = state.saml.redeem(value.code.trim()).await?.ok_or_else(refused)?;
    let community =
        platform.directory.community(&login.community_id).await.map_err(ApiError::from)?.ok_or_else(refused)?;
    let checked = check_verified(&state, &community, &login.module, &login.uid, &login.username).await?;
    let signed = open_session(&state, &platform, &community, checked).await?;
    Ok(caller.reply_like(encrypted, StatusCode::OK, &json!({"user": signed.user, "jwt_token": signed.token}))?)
}
