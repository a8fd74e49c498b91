//! `POST /oidc/sso`: the login page completes a pending OpenID Connect authorization request
//! (`OIDCRequest`, from the authorization endpoint, [`crate::routes::oidc`]) for the signed-in
//! user: a one-time code for the client, and the URL the user agent goes back to.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::oidc::GrantedUser;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The reference's status for a login too old for the request (`forceReauthentication`,
/// `prompt=login`, `max_age`): the pending request stays, for a fresh login to complete.
fn reauthenticate() -> StatusCode {
    StatusCode::from_u16(420).unwrap_or(StatusCode::UNAUTHORIZED)
}

/// The endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(oidc_sso)]
}

/// Body of `POST /oidc/sso`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcSsoRequest {
    /// The pending request the authorization endpoint gave the login page.
    #[serde(rename = "OIDCRequest")]
    pub oidc_request: String,
    /// The authentication context class of the login (the ID token's `acr`); default: the
    /// request's `acr_values`.
    #[serde(default)]
    pub acr: Option<String>,
}

/// What the login page does next.
#[derive(Debug, Serialize, ToSchema)]
pub struct OidcSsoResponse {
    /// The client's redirect URI with `code` and `state`: where to send the user agent.
    pub redirect_uri: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// Oidc SSO.
///
/// Completes the pending OIDC request `OIDCRequest` for the logged-in user, once: a code bound to
/// the client, its redirect URI and PKCE challenge, valid `OIDC_CODE_TTL_SECONDS`. The reply
/// (sealed like the request) is the redirect URI with `code` and `state` to send the user agent
/// to. The user must belong to the request's community (403 otherwise); an unknown, expired or
/// completed request: 404. When the service provider has `forceReauthentication`, or the client
/// sent `prompt=login`, the login must be newer than the request, and within `max_age` when the
/// client sent one: else 420, and the request waits for a fresh login. Any logged-in user.
#[utoipa::path(
    post,
    path = "/oidc/sso",
    request_body = Sealable<OidcSsoRequest>,
    responses(
        (status = 200, description = "Where to send the user agent", body = Sealable<OidcSsoResponse>),
        (status = 400, description = "A field missing or invalid", body = ErrorBody),
        (status = 403, description = "The request is of another community", body = ErrorBody),
        (status = 404, description = "No such pending request", body = ErrorBody),
        (status = 420, description = "The login is older than the request allows: sign in again", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn oidc_sso(
    user: AdminSession<LoggedIn>,
    body: Body<OidcSsoRequest>,
    state: web::Data<State>,
    platform: web::Data<kit::app::Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let acr = value.acr.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
    if acr.as_ref().is_some_and(|a| a.len() > 256 || a.chars().any(char::is_control)) {
        return Err(ApiError::bad_request("acr must be at most 256 printable characters").into());
    }
    let unknown = || ApiError::not_found("no pending OIDC request with this OIDCRequest");
    let request = state.oidc.pending(&value.oidc_request).await?.ok_or_else(unknown)?;
    let s = &user.session;
    if request.community_id != s.community_id || request.tenant_id != s.tenant_id {
        return Err(ApiError::forbidden("the OIDC request is of another community than the login session").into());
    }
    // The client may have been deleted since the request was made.
    if state.stores.service_providers.get(&request.community_id, &request.sp_id).await?.is_none() {
        return Err(unknown().into());
    }
    let community = crate::routes::users::home_of(&platform, &user).await?;
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let found =
        state.users_mgmt.call(Method::POST, &path, &json!({"authModule": s.module_id, "username": s.username})).await?;
    let data = &found["data"];
    let text = |name: &str| data[name].as_str().map(str::to_owned).filter(|v| !v.is_empty());
    let granted = GrantedUser {
        uid: s.uid.clone(),
        username: s.username.clone(),
        email: text("email1").or_else(|| text("email")),
        given_name: text("firstname"),
        family_name: text("lastname"),
    };
    let auth_time = if s.issued_at > 0 {
        s.issued_at
    } else {
        s.expires_at.saturating_sub(i64::try_from(state.sessions.ttl.as_secs()).unwrap_or(0))
    };
    if !request.accepts_login(auth_time, state.clock.epoch_secs()) {
        return Err(ApiError::new(
            reauthenticate(),
            "the application asks for a fresh login: sign in again, then complete the OIDCRequest",
        )
        .into());
    }
    let (redirect_uri, code) = state.oidc.complete(&value.oidc_request, granted, auth_time, acr).await?;
    tracing::info!(client_id = %request.client_id, "OIDC authorization completed");
    let reply = OidcSsoResponse { redirect_uri, code: code.to_string(), state: request.state };
    Ok(user.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
