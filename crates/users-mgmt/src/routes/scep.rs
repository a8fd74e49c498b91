//! `user/scepcredentials`: a certificate for a user of a module enrolled at the module's SCEP
//! server ([`crate::domain::scep`]), for system and service keys only.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use base64::Engine as _;
use envelope::{ApiError, Body};
use kit::directory::Located;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, Licensed, SystemOrService, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::authenticate::user_module;
use crate::State;
use crate::domain::scep::{self, ScepError};
use crate::domain::users;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(scep_credentials)]
}

/// Body of `user/scepcredentials`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScepCredentialsRequest {
    auth_module: String,
    username: String,
}

/// The credentials of `username` (a user of `module`) enrolled at the module's SCEP server, as
/// the reply's `scepCredentials` (DER in base64).
pub(crate) async fn credentials_of(
    state: &State,
    module: &crate::domain::modules::Module,
    username: &str,
) -> AppResult<Value> {
    let server = scep::Server::of(&module.config).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let credentials = scep::enroll(&state.scep_http, &server, username).await.map_err(|e| match e {
        ScepError::NotConfigured(m) => ApiError::bad_request(m),
        ScepError::Unreachable(m) => ApiError::unavailable(m),
        ScepError::Server(m) | ScepError::Refused(m) => {
            tracing::warn!(reason = %m, "scep enrollment failed");
            ApiError::new(StatusCode::BAD_GATEWAY, m)
        }
        ScepError::Internal(m) => {
            tracing::error!(reason = %m, "scep message");
            ApiError::internal()
        }
    })?;
    tracing::info!(module = %module.id, "scep certificate enrolled");
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    Ok(json!({
        "certificate": b64(&credentials.certificate),
        "privatekey": b64(&credentials.private_key),
        "publickey": b64(&credentials.public_key),
    }))
}

/// scep credentials for user.
///
/// A new key pair and certificate for the module's user `username` (no password: system and
/// service keys only), enrolled by SCEP (RFC 8894) at the module's `config.scepurl` (the module
/// must have `scepenabled`; with `challengeurl`, the challenge password is read there): the
/// CSR (`CN=<username>`) enveloped for the CA, the CertRep's signature checked against the CA's
/// certificate. The reply is `scepCredentials` with `certificate` (X.509), `privatekey` (PKCS#8)
/// and `publickey` (SPKI), DER in base64; nothing is stored. An unknown user: 404; a server
/// that refuses or answers something else: 502; one that cannot be reached: 503.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/scepcredentials",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<ScepCredentialsRequest>,
    responses(
        (status = 200, description = "`scepCredentials`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a module that is missing, disabled or without SCEP", body = ErrorBody),
        (status = 404, description = "No such user in the module", body = ErrorBody),
        (status = 502, description = "The SCEP server refused the request or answered something else", body = ErrorBody),
        (status = 503, description = "The SCEP server or the module's directory cannot be reached", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn scep_credentials(
    auth: Licensed<SystemOrService>,
    community: Located,
    body: Body<ScepCredentialsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let module = user_module(&state, &community.id, &r.auth_module).await?;
    let name = users::username(&r.username)?;
    let found = if module.module_type.is_ldap() {
        state.directory().find(&module, &name).await?.map(|p| p.username.clone())
    } else {
        state.stores.users.by_username(&community.id, &module.id, &name).await?.map(|u| u.username)
    };
    let Some(username) = found else {
        return Err(ApiError::not_found("user not found").into());
    };
    let credentials = credentials_of(&state, &module, &username).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"scepCredentials": credentials}))?)
}
