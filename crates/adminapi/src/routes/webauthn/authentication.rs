//! Signing in with a security key: the assertion options for a user, then the result of
//! `navigator.credentials.get()` (`POST /webauthn/authenticate_with_security_key`), which opens a
//! login session as the other logins do ([`crate::routes::authenticate::check_verified`], then
//! the community's authentication journeys: [`crate::routes::authenticate::steps`]).
//! Before any login: a license that may act in the community.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Licensed};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use webauthn_rs::prelude::PublicKeyCredential;

use crate::State;
use crate::domain::login_settings::FidoSettings;
use crate::domain::webauthn::ceremony::{challenge_of, url_safe};
use crate::routes::authenticate::check_verified;
use crate::routes::authenticate::steps::{RequestFacts, log_in_verified};
use crate::routes::otp::licensed_community;

/// Body of `POST /webauthn/assertion/options`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AssertionOptionsRequest {
    username: String,
    communityId: String,
    tenantId: String,
}

/// Refuses (403) a community whose FIDO settings disable FIDO authenticators.
fn fido_enabled(fido: &FidoSettings) -> Result<(), ApiError> {
    if fido.fido_disabled {
        Err(ApiError::forbidden("the community's FIDO settings disable FIDO authenticators"))
    } else {
        Ok(())
    }
}

/// Get Assertion Options.
///
/// The options of `navigator.credentials.get()` for `username` of the community: `challenge`,
/// `rpId` (the tenant's DNS name), `timeout`, `userVerification` (`required`; also spelled
/// `UserVerification`, as the spec does), `allowCredentials` (the user's keys of the kinds the
/// community's FIDO settings allow), `status: ok`, `errorMessage`. The challenge is valid for
/// `WEBAUTHN_CEREMONY_TTL_SECONDS` (120) and answers once. A user without such a key: 404; FIDO
/// disabled: 403. Any license that may act in the community.
#[utoipa::path(
    post,
    path = "/webauthn/assertion/options",
    request_body = Sealable<AssertionOptionsRequest>,
    responses(
        (status = 200, description = "The request options, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "FIDO disabled; a license not for this community", body = ErrorBody),
        (status = 404, description = "No such community; the user has no key allowed", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn assertion_options(
    auth: Licensed<AnyLevel>,
    body: Body<AssertionOptionsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = licensed_community(&platform, &auth, &r.tenantId, &r.communityId).await?;
    let fido: FidoSettings = state.configs.get(&community.id).await?;
    fido_enabled(&fido)?;
    let options = state
        .webauthn
        .start_authentication(&community.id, &community.tenant_dns, &r.username, |kind| kind.allowed_by(&fido))
        .await?;
    let mut reply = serde_json::to_value(&options.public_key).map_err(|_| ApiError::internal())?;
    reply["UserVerification"] = reply["userVerification"].clone();
    reply["status"] = json!("ok");
    reply["errorMessage"] = json!("");
    tracing::info!("security key authentication started");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// The tenant a body names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantNamed {
    id: String,
    name: Option<String>,
    tag: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The community a body names.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct CommunityNamed {
    id: String,
    /// When given, the community's name.
    name: Option<String>,
    publicKey: Option<String>,
}

/// Body of `POST /webauthn/authenticate_with_security_key`: the user, and the result of
/// `navigator.credentials.get()` with its `response` spread (binary fields in base64url or base64).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AuthenticateSecurityKeyRequest {
    username: String,
    tenant: TenantNamed,
    community: CommunityNamed,
    id: String,
    rawId: String,
    authenticatorData: String,
    signature: String,
    userHandle: Option<String>,
    clientDataJSON: String,
    #[schema(value_type = Option<Object>)]
    getClientExtensionResults: Option<Value>,
    /// `public-key`.
    #[serde(rename = "type")]
    kind: String,
}

impl std::fmt::Debug for AuthenticateSecurityKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticateSecurityKeyRequest").field("community", &self.community.id).finish_non_exhaustive()
    }
}

/// authenticate with security keys.
///
/// Verifies the result of `navigator.credentials.get()` for the options of
/// `POST /webauthn/assertion/options` (the same user and community; its challenge once, within
/// its time; the tenant's origin; a key registered to the user; user verification; the signature
/// counter growing) and signs the user in as `POST /verifyuser` does, the community's
/// authentication journey applied (`deny`: 403; a key with user verification meets
/// `mfa_required`): `user` (with `roles`),
/// `pon_data` (how: `method`, `deviceId`, `deviceName`, `userVerified`) and `jwt_token`. A replayed
/// or late assertion, a bad signature, a counter that did not grow (a cloned key), an unknown,
/// disabled or locked user: 401. A kind of key the FIDO settings now disable: 403. Any license
/// that may act in the community.
#[utoipa::path(
    post,
    path = "/webauthn/authenticate_with_security_key",
    request_body = Sealable<AuthenticateSecurityKeyRequest>,
    responses(
        (status = 200, description = "`user`, `pon_data`, `jwt_token`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A malformed assertion", body = ErrorBody),
        (status = 401, description = "An assertion that does not verify, a replay, a counter that did not grow; a refused user", body = ErrorBody),
        (status = 403, description = "FIDO disabled; a license not for this community; denied by a journey", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn authenticate_with_security_key(
    auth: Licensed<AnyLevel>,
    req: HttpRequest,
    body: Body<AuthenticateSecurityKeyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = (&r.tenant.name, &r.tenant.tag, &r.tenant.kind, &r.community.publicKey, &r.getClientExtensionResults);
    let facts = RequestFacts::of(&req, &auth.caller, &state)?;
    let community = licensed_community(&platform, &auth, &r.tenant.id, &r.community.id).await?;
    if let Some(name) = r.community.name.as_deref() {
        let named = Named { community_id: &community.id, tenant_id: None, community_name: Some(name) };
        locate(&**platform.directory, named).await?;
    }
    let fido: FidoSettings = state.configs.get(&community.id).await?;
    fido_enabled(&fido)?;
    let raw = json!({
        "id": r.id,
        "rawId": url_safe(&r.rawId),
        "type": r.kind,
        "response": {
            "authenticatorData": url_safe(&r.authenticatorData),
            "clientDataJSON": url_safe(&r.clientDataJSON),
            "signature": url_safe(&r.signature),
            "userHandle": r.userHandle.as_deref().map(url_safe).filter(|h| !h.is_empty()),
        },
        "extensions": {},
    });
    let assertion: PublicKeyCredential =
        envelope::deser::from_value(raw).map_err(|e| ApiError::bad_request(format!("the assertion: {e}")))?;
    let challenge = challenge_of(assertion.response.client_data_json.as_ref())?;
    let now = state.clock.epoch_secs();
    let asserted = state
        .webauthn
        .finish_authentication(&community.id, &r.username, &assertion, &challenge, |kind| kind.check(&fido), now)
        .await?;
    let key = &asserted.credential;
    let checked = check_verified(&state, &community, &key.module_id, &key.uid, &key.username).await?;
    let signed = log_in_verified(&state, &platform, &facts, &community, checked).await?;
    tracing::info!(device = %key.id, "user signed in with a security key");
    let pon = json!({
        "method": key.kind.as_str(),
        "deviceId": key.id,
        "deviceName": key.name,
        "userVerified": asserted.user_verified,
    });
    let reply = json!({"user": signed.user, "pon_data": pon, "jwt_token": signed.token});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
