//! The catalog group Passkey Management: register a server-held passkey for a user (the private
//! key JWK given by the caller, checked and sealed: [`crate::domain::passkeys`]) and fetch it back.
//! System, service and service_ext keys act without further checks; app and app_ext keys need a
//! JWT, a live proof of authentication of that very user issued by this service (`jwt` in the
//! body, or the `authorization` header). The private key is answered only inside a sealed reply,
//! and never logged.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{CommunityRef, Located};
use kit::openapi::{ErrorBody, Sealable, SealedBody};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::passkeys::{Holder, PrivateKey, Registration};
use crate::domain::users::{self, User};
use crate::routes::user_pin::check_jwt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(register_passkey), endpoint!(fetch_passkey)]
}

/// The user named `user_name` in the community (404 when there is none).
async fn passkey_user(state: &State, community: &CommunityRef, user_name: &str) -> AppResult<User> {
    let name = users::username(user_name).map_err(|_| ApiError::bad_request("userName must be a username"))?;
    Ok(state
        .stores
        .users
        .by_community_username(&community.id, &name)
        .await?
        .ok_or_else(|| ApiError::not_found("user not found"))?)
}

/// For app and app_ext keys: the JWT of the body, else of the `authorization` header, must be a
/// live proof of authentication of `user`.
fn check_level(
    auth: &Licensed<AnyLevel>,
    req: &HttpRequest,
    platform: &Platform,
    community: &CommunityRef,
    user: &User,
    jwt: Option<&str>,
) -> AppResult<()> {
    if !matches!(auth.license.level, kit::Level::App | kit::Level::AppExt) {
        return Ok(());
    }
    let header = envelope::server::header(req.headers(), "authorization")?;
    let header = header.as_deref().map(|h| h.trim()).map(|h| match h.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => h,
    });
    let jwt = jwt.filter(|j| !j.trim().is_empty()).or(header);
    check_jwt(platform, community, user, jwt)
}

/// Body of `passkey/register` (the object inside `data`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RegisterPasskeyRequest {
    credential_id: String,
    private_key: PrivateKey,
    rp_id: String,
    /// The WebAuthn user handle.
    user_id: String,
    /// The user's username.
    user_name: String,
    user_display_name: Option<String>,
    entra_auth_method_id: Option<String>,
    /// ISO 8601 (RFC 3339).
    created_at: Option<String>,
    /// A proof of authentication of the user: required for app and app_ext keys (or send it as
    /// `authorization`).
    jwt: Option<String>,
}

impl std::fmt::Debug for RegisterPasskeyRequest {
    /// Without the key or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegisterPasskeyRequest").field("rp_id", &self.rp_id).finish_non_exhaustive()
    }
}

/// Register a passkey credential for a user.
///
/// Stores the passkey `credentialId` of the community's user `userName`: `privateKey.jwk` must
/// be a P-256 key whose `d` is the private key of `x`, `y` (400 naming the flaw otherwise); it is
/// sealed at rest (AES-256-GCM) and never answered here. `{success: true, credentialId}`. A
/// `credentialId` already registered: 409. System, service and service_ext keys; app and app_ext
/// keys with a JWT of the user (`jwt`, or `authorization`; 401 without).
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/passkey/register",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<RegisterPasskeyRequest>,
    responses(
        (status = 200, description = "`success`, `credentialId`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or key", body = ErrorBody),
        (status = 401, description = "An app key without a valid proof of authentication of the user", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 409, description = "The credentialId is registered", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register_passkey(
    auth: Licensed<AnyLevel>,
    community: Located,
    req: HttpRequest,
    body: Body<RegisterPasskeyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    let user = passkey_user(&state, &community, &r.user_name).await?;
    check_level(&auth, &req, &platform, &community, &user, r.jwt.as_deref())?;
    let holder = Holder {
        tenant_id: &community.tenant_id,
        community_id: &community.id,
        uid: &user.uid,
        username: &user.username,
    };
    let registration = Registration {
        credential_id: &r.credential_id,
        private_key: &r.private_key,
        rp_id: &r.rp_id,
        user_handle: &r.user_id,
        user_display_name: r.user_display_name.as_deref(),
        entra_auth_method_id: r.entra_auth_method_id.as_deref(),
        created_at: r.created_at.as_deref(),
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let passkey = state.passkeys.register(holder, &registration, now_ms).await?;
    tracing::info!(event = "E_PASSKEY_REGISTERED", "passkey registered");
    let reply = json!({"success": true, "credentialId": passkey.credential_id});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST passkey` (the object inside `data`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchPasskeyRequest {
    /// The user's username.
    user_name: String,
    /// A proof of authentication of the user: required for app and app_ext keys (or send it as
    /// `authorization`).
    jwt: Option<String>,
}

impl std::fmt::Debug for FetchPasskeyRequest {
    /// Without the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchPasskeyRequest").finish_non_exhaustive()
    }
}

/// Get passkey credential for a user.
///
/// The newest passkey of the community's user `userName`: `{success: true, credential: {id,
/// privateKey, rpId, userHandle, userName, userDisplayName, signCount}}`. The reply holds the
/// private key, so it is always sealed: a request in the clear is refused (400). A user without a
/// passkey: 404. System, service and service_ext keys; app and app_ext keys with a JWT of the user
/// (`jwt`, or `authorization`; 401 without).
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/passkey",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<FetchPasskeyRequest>,
    responses(
        (status = 200, description = "`success`, `credential`, sealed", body = SealedBody),
        (status = 400, description = "A bad body, or a request in the clear", body = ErrorBody),
        (status = 401, description = "An app key without a valid proof of authentication of the user", body = ErrorBody),
        (status = 404, description = "No such user, or no passkey", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_passkey(
    auth: Licensed<AnyLevel>,
    community: Located,
    req: HttpRequest,
    body: Body<FetchPasskeyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let Located(community) = community;
    if !encrypted {
        return Err(ApiError::bad_request(
            "the reply holds a private key: send the request sealed ({\"data\": \"<encrypted JSON>\"})",
        )
        .into());
    }
    let user = passkey_user(&state, &community, &r.user_name).await?;
    check_level(&auth, &req, &platform, &community, &user, r.jwt.as_deref())?;
    let (passkey, private_key) = state.passkeys.latest(&community.id, &user.uid).await?;
    tracing::info!(event = "E_PASSKEY_FETCHED", "passkey fetched");
    let reply = json!({"success": true, "credential": {
        "id": passkey.credential_id,
        "privateKey": private_key,
        "rpId": passkey.rp_id,
        "userHandle": passkey.user_handle,
        "userName": user.username,
        "userDisplayName": passkey.user_display_name,
        "signCount": passkey.sign_count,
    }});
    Ok(auth.caller.reply(&reply)?)
}
