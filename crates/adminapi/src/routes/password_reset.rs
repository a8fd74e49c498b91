//! The password reset endpoints of the catalog group Login Settings: the community's password
//! reset setting ([`crate::domain::guarded_settings::PasswordReset`]), whose user profile API
//! credential is written beside it and kept sealed, and the test of its transformation script:
//! the profile API is called for a user and the script, run in the sandbox, maps the answer.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::{self, Owner, Setting};
use crate::domain::guarded_settings::{Credential, PasswordReset, PasswordResetSecrets, ProfileApi};
use crate::domain::scripts::transform::{Identity, transform};
use crate::routes::settings_io::{named_community, open_field, read, seal_field};
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(get_password_reset), endpoint!(put_password_reset), endpoint!(execute_transformation_script)]
}

/// The largest answer of a user profile API.
const MAX_PROFILE_BYTES: usize = 1 << 20;

/// Get the password reset settings.
///
/// How users reset their password (default: by username; administrators by email with a
/// one-time passcode; no self-service reset). The user profile API's credential is never
/// returned. Administrators.
#[utoipa::path(get, path = "/config/authentication/password_reset",
    responses((status = 200, description = "The settings, sealed", body = Sealable<PasswordReset>)))]
#[tracing::instrument(skip_all)]
pub async fn get_password_reset(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<PasswordReset, _>(&admin, &state, &platform).await
}

/// The credential an API's `auth` needs, named by what is missing.
fn check_credential(api: &ProfileApi, given: Option<&Credential>, stored: bool) -> Result<(), ApiError> {
    let missing = |what: &str| {
        ApiError::bad_request(format!("sspr.user_profile_api.api.credential.{what} is required for {} auth", api.auth))
    };
    match (api.auth.as_str(), given) {
        ("basic", Some(c)) if c.username.is_empty() => Err(missing("username")),
        ("basic", Some(c)) if c.password.is_empty() => Err(missing("password")),
        ("bearer", Some(c)) if c.token.is_empty() => Err(missing("token")),
        ("basic", None) if !stored => Err(missing("password")),
        ("bearer", None) if !stored => Err(missing("token")),
        _ => Ok(()),
    }
}

/// Set the password reset settings.
///
/// `default_input_method` (`username`, `email`, `phone`) is required; `sspr.user_profile_api`
/// names the API a self-service reset asks for the user's profile (`url` with `{username}`,
/// `type` `GET` or `POST`, `auth` `none`, `basic` or `bearer`) and `transformationB64` the script
/// that maps its answer. `credential` (`username` and `password`, or `token`) is kept sealed and
/// never returned; left out, the stored one stays. Administrators.
#[utoipa::path(put, path = "/config/authentication/password_reset", request_body = Sealable<PasswordReset>,
    responses(
        (status = 200, description = "The settings without the credential, sealed when the request was", body = Sealable<PasswordReset>),
        (status = 400, description = "A missing, unknown, mistyped or invalid field; a credential the auth needs", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_password_reset(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: mut given, encrypted } = body;
    let community = named_community(&admin, &mut given, &platform).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let current = state.configs.get::<PasswordReset>(&community.id).await?;
    let mut next = config::apply(&current, given)?;
    let credential = next.sspr.user_profile_api.api.credential.take();
    let mut secrets = state.configs.get::<PasswordResetSecrets>(&community.id).await?;
    check_credential(&next.sspr.user_profile_api.api, credential.as_ref(), !secrets.credential.is_empty())?;
    if let Some(credential) = credential {
        let json = zeroize::Zeroizing::new(serde_json::to_string(&credential).map_err(|_| ApiError::internal())?);
        secrets.credential = seal_field(&state, &community.id, PasswordResetSecrets::KIND, "credential", &json)?;
        state.configs.set(owner, &admin.session.uid, &secrets).await?;
    }
    state.configs.set(owner, &admin.session.uid, &next).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &next)?)
}

/// Body of `POST /config/authentication/sspr/execute_transformation_script`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransformationRequest {
    /// The user whose profile the API is asked for.
    username: String,
}

/// `value` with everything but unreserved characters percent-encoded (one URL path segment).
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The profile the community's user profile API answers for `username`.
async fn fetch_profile(state: &State, community_id: &str, api: &ProfileApi, username: &str) -> AppResult<Value> {
    let bad_gateway = |what: &str| ApiError::new(StatusCode::BAD_GATEWAY, format!("the user profile API {what}"));
    let url = api.url.replace("{username}", &segment(username));
    let mut req = if api.method == "POST" {
        state.outbound.post(&url).json(&serde_json::json!({"username": username}))
    } else {
        state.outbound.get(&url)
    };
    let secrets = state.configs.get::<PasswordResetSecrets>(community_id).await?;
    if api.auth != "none" && !secrets.credential.is_empty() {
        let json = open_field(state, community_id, PasswordResetSecrets::KIND, "credential", &secrets.credential)?;
        let c: Credential = serde_json::from_str(&json).map_err(|_| ApiError::internal())?;
        req = if api.auth == "basic" {
            req.basic_auth(&c.username, Some(&c.password))
        } else {
            req.bearer_auth(&c.token)
        };
    }
    let resp = req.send().await.map_err(|e| {
        tracing::info!(timeout = e.is_timeout(), connect = e.is_connect(), "the user profile API did not answer");
        bad_gateway("did not answer")
    })?;
    if !resp.status().is_success() {
        return Err(bad_gateway(&format!("answered {}", resp.status().as_u16())).into());
    }
    let bytes = resp.bytes().await.map_err(|_| bad_gateway("answer was cut"))?;
    if bytes.len() > MAX_PROFILE_BYTES {
        return Err(bad_gateway("answer is larger than 1 MiB").into());
    }
    Ok(serde_json::from_slice(&bytes).map_err(|_| bad_gateway("answer is not JSON"))?)
}

/// Test the transformation.
///
/// Asks the community's user profile API for `username`'s profile and runs the password reset's
/// transformation script on it in the sandbox: the identity it gives (`firstname`, `lastname`,
/// and `dob`, `email`, `phone` when it has them). Administrators.
#[utoipa::path(post, path = "/config/authentication/sspr/execute_transformation_script",
    request_body = Sealable<TransformationRequest>,
    responses(
        (status = 200, description = "The identity, sealed when the request was", body = Sealable<Identity>),
        (status = 400, description = "No user profile API or script; a script that fails, runs too long or gives no identity", body = ErrorBody),
        (status = 502, description = "The user profile API did not answer, refused, or answered no JSON", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn execute_transformation_script(
    admin: AdminSession<Administrator>,
    body: Body<TransformationRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.username.trim().is_empty() {
        return Err(ApiError::bad_request("username is required").into());
    }
    let community = home_of(&platform, &admin).await?;
    let reset = state.configs.get::<PasswordReset>(&community.id).await?;
    let profile_api = &reset.sspr.user_profile_api;
    if !profile_api.enabled || profile_api.transformationB64.is_empty() {
        return Err(ApiError::bad_request(
            "the community's password reset has no user profile API and transformation (sspr.user_profile_api)",
        )
        .into());
    }
    let profile = fetch_profile(&state, &community.id, &profile_api.api, r.username.trim()).await?;
    let identity = transform(&state.scripts, &profile_api.transformationB64, &profile).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &identity)?)
}
