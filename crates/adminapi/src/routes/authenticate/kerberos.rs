//! `GET …/request_access_with_kerberos`: a login with a Kerberos ticket (`Authorization:
//! Negotiate <SPNEGO token>`, as browsers and `curl --negotiate` send it). users-mgmt checks the
//! ticket with the keytab of the community's auth module (`user/verify_user_ktoken`) and names the
//! user; then the login goes on as a security key's does (the ticket is a verified factor): the
//! community's authentication journey, and a login session whose access JWT is answered.
//!
//! Without the header the answer is the 401 `WWW-Authenticate: Negotiate` that starts the SPNEGO
//! exchange, before the `requestid` is checked: the client sends the same headers again with its
//! token, and that request's `requestid` is the one verified (and then refused if replayed).

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, ResponseError as _, web};
use envelope::{ApiError, Caller};
use kit::app::Platform;
use kit::directory::Located;
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::Checked;
use super::steps::{self, RequestFacts};
use crate::State;
use crate::users_mgmt::UsersMgmt;

/// The endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(request_access_with_kerberos)]
}

/// Query of `request_access_with_kerberos`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KerberosQuery {
    /// Whether this is a reauthentication (accepted; the login is a fresh one either way).
    pub reauthentication: Option<String>,
}

/// A 401 that asks for (or refuses) a Negotiate token, with the usual error body.
fn negotiate(error: &ApiError) -> HttpResponse {
    let mut response = error.error_response();
    response.headers_mut().insert(WWW_AUTHENTICATE, actix_web::http::header::HeaderValue::from_static("Negotiate"));
    response
}

/// The token of `Authorization: Negotiate <token>`, when the request has one.
fn negotiate_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("negotiate") && !token.is_empty()).then(|| token.to_owned())
}

/// Authenticate with kerberos.
///
/// `Authorization: Negotiate <token>`, a SPNEGO token (base64) for the service principal of the
/// keytab of one of the community's auth modules (`kerberos_config`), checked by users-mgmt
/// (`user/verify_user_ktoken`: the keytab's key, the ticket's times, the clock skew, a replayed
/// authenticator, the client's realm). Its client principal `name@REALM` is the module's user
/// `name`; the community's authentication journey applies (`deny`: 403), then the reply (sealed)
/// is the user (with `roles`) and `jwt_token`, the access JWT of a new login session. Without a
/// Negotiate token: 401 with `WWW-Authenticate: Negotiate` (and nothing checked yet); a refused
/// ticket, an unknown, locked or disabled user: 401 with `WWW-Authenticate: Negotiate`. No
/// license: the caller's keys (`requestid`, `publickey`).
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/request_access_with_kerberos",
    params(
        ("tenantId" = String, Path), ("communityId" = String, Path), KerberosQuery,
        ("authorization" = String, Header, description = "Negotiate {ktoken}"),
        ("requestid" = String, Header, description = "The request id, encrypted with the shared key"),
        ("publickey" = String, Header, description = "The caller's public key"),
    ),
    responses(
        (status = 200, description = "`user` and `jwt_token`, sealed", body = kit::openapi::Sealable<Object>),
        (status = 400, description = "A malformed token, unreadable authentication headers", body = kit::openapi::ErrorBody),
        (status = 401, description = "No Negotiate token, a refused ticket, an unknown, locked or disabled user; stale or replayed authentication headers", body = kit::openapi::ErrorBody),
        (status = 403, description = "Denied by the community's authentication journey", body = kit::openapi::ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = kit::openapi::ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn request_access_with_kerberos(
    req: HttpRequest,
    community: Located,
    query: web::Query<KerberosQuery>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let _ = &query.reauthentication;
    let Some(token) = negotiate_token(&req) else {
        return Ok(negotiate(&ApiError::unauthorized(
            "a Kerberos ticket is required: Authorization: Negotiate <token>",
        )));
    };
    let caller = Caller::from_request(&req, &mut Payload::None).await?;
    let facts = RequestFacts::of(&req, &caller, &state)?;
    let Located(community) = community;
    let path = UsersMgmt::community_path(&community, "/user/verify_user_ktoken");
    let user = match state.users_mgmt.call(Method::POST, &path, &json!({"ktoken": token})).await {
        Ok(user) => user,
        Err(e) if e.status() == StatusCode::UNAUTHORIZED => {
            tracing::info!("kerberos login refused by users-mgmt");
            return Ok(negotiate(&e));
        }
        Err(e) => return Err(e.into()),
    };
    let mut user = user;
    if let Value::Object(map) = &mut user {
        map.remove("proof_of_authentication_jwt");
    }
    let (Some(uid), Some(username), Some(module)) =
        (user["uid"].as_str(), user["username"].as_str(), user["moduleId"].as_str())
    else {
        tracing::error!("users-mgmt verified a ktoken without uid, username or moduleId");
        return Err(ApiError::internal().into());
    };
    let checked =
        Checked { uid: uid.to_owned(), username: username.to_owned(), module: module.to_owned(), user: user.clone() };
    let signed = steps::log_in_verified(&state, &platform, &facts, &community, checked).await?;
    Ok(caller.reply(&json!({"user": signed.user, "jwt_token": signed.token}))?)
}
