//! Registering a security key or platform authenticator of the logged-in user: the attestation
//! options, then the result of `navigator.credentials.create()` (`POST /webauthn/security_key`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;
use webauthn_rs::prelude::RegisterPublicKeyCredential;

use crate::State;
use crate::domain::login_settings::FidoSettings;
use crate::domain::webauthn::Kind;
use crate::domain::webauthn::ceremony::{Labels, Subject, challenge_of, url_safe};
use crate::routes::users::home_of;
use crate::session::{AdminSession, LoggedIn};

/// `authenticatorSelection` of the attestation options.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    /// Ask for a discoverable (resident) credential.
    require_resident_key: Option<bool>,
    /// `discouraged`, `preferred` or `required`.
    resident_key: Option<String>,
    /// `platform` (a platform authenticator) or `cross-platform` (a security key, the default).
    authenticator_attachment: Option<String>,
    /// Always `required` (the passkey flow): another value is answered as `required`.
    user_verification: Option<String>,
}

/// Body of `POST /webauthn/attestation/options`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AttestationOptionsRequest {
    /// `none`, `indirect`, `direct` or `enterprise` (the attestation conveyance asked for).
    attestation: Option<String>,
    authenticator_selection: Option<AuthenticatorSelection>,
    /// When given, it must be the logged-in user's.
    username: Option<String>,
}

/// Who the session's user is, as a ceremony's subject.
async fn subject_of(platform: &Platform, admin: &AdminSession<LoggedIn>) -> AppResult<Subject> {
    let community = home_of(platform, admin).await?;
    let s = &admin.session;
    Ok(Subject {
        tenant_id: community.tenant_id,
        community_id: community.id,
        dns: community.tenant_dns,
        uid: s.uid.clone(),
        username: s.username.to_lowercase(),
        module_id: s.module_id.clone(),
    })
}

/// The kind an `authenticatorAttachment` asks for.
fn kind_of(attachment: Option<&str>) -> Result<Kind, ApiError> {
    match attachment.map(str::trim) {
        None | Some("" | "cross-platform") => Ok(Kind::SecurityKey),
        Some("platform") => Ok(Kind::PlatformAuthenticator),
        Some(_) => Err(ApiError::bad_request(
            "authenticatorSelection.authenticatorAttachment must be platform or cross-platform",
        )),
    }
}

/// Get Attestation Options.
///
/// The options of `navigator.credentials.create()` for a credential of the logged-in user in
/// their community, flattened as the spec shows them: `rp` (the tenant's DNS name), `user`,
/// `challenge`, `pubKeyCredParams`, `timeout`, `attestation`, `authenticatorSelection`,
/// `excludeCredentials` (the user's registered keys), `status: ok`, `errorMessage`.
/// `authenticatorSelection.authenticatorAttachment` `platform` registers a platform
/// authenticator, anything else a security key; the community's FIDO settings must allow it
/// (403). User verification is required. The challenge is valid for `WEBAUTHN_CEREMONY_TTL_SECONDS`
/// (120) and answers once. A `username` other than the session's: 403. Any logged-in user.
#[utoipa::path(
    post,
    path = "/webauthn/attestation/options",
    request_body = Sealable<AttestationOptionsRequest>,
    responses(
        (status = 200, description = "The creation options, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad attestation or authenticatorAttachment", body = ErrorBody),
        (status = 403, description = "Another user's username; FIDO settings that disable this kind", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn attestation_options(
    admin: AdminSession<LoggedIn>,
    body: Body<AttestationOptionsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.username.as_deref().is_some_and(|u| !u.trim().eq_ignore_ascii_case(&admin.session.username)) {
        return Err(ApiError::forbidden("username must be the logged-in user's").into());
    }
    let selection = r.authenticator_selection.unwrap_or_default();
    let kind = kind_of(selection.authenticator_attachment.as_deref())?;
    let attestation = match r.attestation.as_deref().map(str::trim) {
        None | Some("") => "none",
        Some(a @ ("none" | "indirect" | "direct" | "enterprise")) => a,
        Some(_) => return Err(ApiError::bad_request("attestation must be none, indirect, direct or enterprise").into()),
    };
    let resident = match (selection.resident_key.as_deref(), selection.require_resident_key) {
        (Some(r @ ("discouraged" | "preferred" | "required")), _) => r,
        (Some(_), _) => {
            return Err(ApiError::bad_request(
                "authenticatorSelection.residentKey must be discouraged, preferred or required",
            )
            .into());
        }
        (None, Some(true)) => "required",
        (None, _) => "discouraged",
    };
    let _ = &selection.user_verification;
    let subject = subject_of(&platform, &admin).await?;
    let fido: FidoSettings = state.configs.get(&subject.community_id).await?;
    kind.check(&fido)?;
    let options = state.webauthn.start_registration(&subject, kind).await?;
    let mut reply = serde_json::to_value(&options.public_key).map_err(|_| ApiError::internal())?;
    reply["attestation"] = json!(attestation);
    let attachment = match kind {
        Kind::SecurityKey => "cross-platform",
        Kind::PlatformAuthenticator => "platform",
    };
    reply["authenticatorSelection"] = json!({
        "authenticatorAttachment": attachment,
        "requireResidentKey": resident == "required",
        "residentKey": resident,
        "userVerification": "required",
    });
    reply["status"] = json!("ok");
    reply["errorMessage"] = json!("");
    tracing::info!(kind = kind.as_str(), "security key registration started");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /webauthn/security_key`: the result of `navigator.credentials.create()`, its
/// properties spread (`id`, `rawId`, `response: {attestationObject, clientDataJSON}`, `type`),
/// or nested in `navigator_credentials_create_data`.
#[derive(Deserialize, ToSchema)]
#[allow(non_snake_case)]
pub struct SecurityKeyRequest {
    /// The name the user gives the key (default: `<username>'s FIDO key`).
    deviceName: Option<String>,
    /// A label of the key's kind (default `FIDO`, or `platform`).
    keyType: Option<String>,
    /// When given, the logged-in user's.
    tenantId: Option<String>,
    /// When given, the logged-in user's.
    communityId: Option<String>,
    /// The credential as one object (instead of its properties spread).
    #[schema(value_type = Option<Object>)]
    navigator_credentials_create_data: Option<Value>,
    /// The credential's properties, spread.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    credential: Map<String, Value>,
}

impl std::fmt::Debug for SecurityKeyRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityKeyRequest").finish_non_exhaustive()
    }
}

/// A label of at most 128 characters, trimmed; none when empty.
fn label(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if value.as_ref().is_some_and(|v| v.chars().count() > 128 || v.chars().any(char::is_control)) {
        return Err(ApiError::bad_request(format!("{field} must be at most 128 printable characters")));
    }
    Ok(value)
}

/// Register security key or platform authenticator.
///
/// Verifies the result of `navigator.credentials.create()` for the options of
/// `POST /webauthn/attestation/options` (the same logged-in user; its challenge once, within its
/// time; the tenant's origin; user verification) and stores the credential: `{device: {name,
/// type}, deviceId, type}` (`security_key` or `platform_authenticator`). Refused: an unknown,
/// expired or used challenge and a response that does not verify (401); an authenticator model
/// (AAGUID) the community's vendor metadata denies, or a kind its FIDO settings disable (403); a
/// key already registered (409). Any logged-in user, for themselves.
#[utoipa::path(
    post,
    path = "/webauthn/security_key",
    request_body = Sealable<SecurityKeyRequest>,
    responses(
        (status = 200, description = "`device`, `deviceId`, `type`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A malformed credential or label", body = ErrorBody),
        (status = 401, description = "A challenge unknown, expired or used; a response that does not verify", body = ErrorBody),
        (status = 403, description = "A denied model; a kind the FIDO settings disable; another community", body = ErrorBody),
        (status = 409, description = "The key is registered", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn register_security_key(
    admin: AdminSession<LoggedIn>,
    body: Body<SecurityKeyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let subject = subject_of(&platform, &admin).await?;
    let foreign =
        |given: &Option<String>, own: &str| given.as_deref().is_some_and(|g| !g.trim().eq_ignore_ascii_case(own));
    if foreign(&r.tenantId, &subject.tenant_id) || foreign(&r.communityId, &subject.community_id) {
        return Err(ApiError::forbidden("a security key is registered in the logged-in user's own community").into());
    }
    let labels = Labels { name: label("deviceName", r.deviceName)?, key_type: label("keyType", r.keyType)? };
    let mut raw = match r.navigator_credentials_create_data {
        Some(nested @ Value::Object(_)) => nested,
        Some(_) => {
            return Err(ApiError::bad_request(
                "navigator_credentials_create_data must be an object (or send its properties spread)",
            )
            .into());
        }
        None => Value::Object(r.credential),
    };
    for pointer in ["/rawId", "/response/attestationObject", "/response/clientDataJSON"] {
        if let Some(Value::String(text)) = raw.pointer_mut(pointer) {
            *text = url_safe(text);
        }
    }
    let credential: RegisterPublicKeyCredential = envelope::deser::from_value(raw)
        .map_err(|e| ApiError::bad_request(format!("the credential of navigator.credentials.create(): {e}")))?;
    let challenge = challenge_of(credential.response.client_data_json.as_ref())?;
    let fido: FidoSettings = state.configs.get(&subject.community_id).await?;
    let now = state.clock.epoch_secs();
    let stored = state
        .webauthn
        .finish_registration(&subject, &credential, &challenge, labels, |kind| kind.check(&fido), now)
        .await?;
    tracing::info!(device = %stored.id, kind = stored.kind.as_str(), "security key registered");
    let reply = json!({
        "device": {"name": stored.name, "type": stored.key_type},
        "deviceId": stored.id,
        "type": stored.kind.as_str(),
    });
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
