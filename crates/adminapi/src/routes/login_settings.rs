//! The catalog group Login Settings: a community's login settings
//! ([`crate::domain::login_settings`]), read from the administrator's own community and written to
//! the community a body names (the session's by default). A write gives the required fields and
//! any others; the fields it leaves out keep their value. The settings are answered sealed, or
//! plain when the request was.

use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde_json::{Map, Value};

use crate::State;
use crate::domain::login_settings::{
    FidoSettings, FirstTimeEnrollment, LiveidSelfie, MfaSettings, OrionSettings, PwdlessSettings, WindowsMfaSettings,
};
use crate::domain::tenancy::{self, CommunityQuery};
use crate::routes::settings_io::{read, take_text, write};
use crate::session::{AdminSession, Administrator, LoggedIn};

/// The endpoints of the group built so far.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(get_fido),
        endpoint!(put_fido),
        endpoint!(get_first_time_enrollment),
        endpoint!(put_first_time_enrollment),
        endpoint!(get_liveid_selfie),
        endpoint!(put_liveid_selfie),
        endpoint!(get_mfa),
        endpoint!(put_mfa),
        endpoint!(get_orion),
        endpoint!(put_orion),
        endpoint!(get_pwdless),
        endpoint!(put_pwdless),
        endpoint!(get_windows_mfa),
        endpoint!(put_windows_mfa),
    ]
}

/// Get the FIDO settings.
///
/// Which FIDO authenticators the administrator's community allows (default: all).
/// Administrators.
#[utoipa::path(get, path = "/config/authentication/fido_settings",
    responses((status = 200, description = "The settings, sealed", body = Sealable<FidoSettings>)))]
#[tracing::instrument(skip_all)]
pub async fn get_fido(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<FidoSettings, _>(&admin, &state, &platform).await
}

/// Set the FIDO settings.
///
/// `tenantId` and `communityId` (default: the session's) and the three flags, all required.
/// Administrators.
#[utoipa::path(put, path = "/config/authentication/fido_settings", request_body = Sealable<FidoSettings>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<FidoSettings>),
        (status = 400, description = "A missing, unknown or mistyped field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_fido(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<FidoSettings, _>(&admin, body, &state, &platform).await
}

/// Get the first-time enrollment settings.
///
/// Whether users enroll a factor at their first login, and which (default: off). Any
/// logged-in user of the community.
#[utoipa::path(get, path = "/config/authentication/first_time_enrollment_settings",
    responses((status = 200, description = "The settings, sealed", body = Sealable<FirstTimeEnrollment>)))]
#[tracing::instrument(skip_all)]
pub async fn get_first_time_enrollment(
    admin: AdminSession<LoggedIn>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<FirstTimeEnrollment, _>(&admin, &state, &platform).await
}

/// Set the first-time enrollment settings.
///
/// `first_time_login_enrollment` (required) and `allowed_factors` (each once; at least one
/// when enrollment is on). Administrators.
#[utoipa::path(put, path = "/config/authentication/first_time_enrollment_settings",
    request_body = Sealable<FirstTimeEnrollment>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<FirstTimeEnrollment>),
        (status = 400, description = "A missing, unknown, mistyped or repeated factor", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_first_time_enrollment(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<FirstTimeEnrollment, _>(&admin, body, &state, &platform).await
}

/// Get the LiveID selfie settings.
///
/// Whether LiveID selfie verification is on (default: off). Administrators.
#[utoipa::path(get, path = "/config/authentication/liveid_selfie_settings",
    responses((status = 200, description = "The settings, sealed", body = Sealable<LiveidSelfie>)))]
#[tracing::instrument(skip_all)]
pub async fn get_liveid_selfie(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<LiveidSelfie, _>(&admin, &state, &platform).await
}

/// Set the LiveID selfie settings.
///
/// `liveid_selfie_enabled`, required. Administrators.
#[utoipa::path(put, path = "/config/authentication/liveid_selfie_settings", request_body = Sealable<LiveidSelfie>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<LiveidSelfie>),
        (status = 400, description = "A missing, unknown or mistyped field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_liveid_selfie(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<LiveidSelfie, _>(&admin, body, &state, &platform).await
}

/// Get the MFA settings.
///
/// The one-time passcode factors the community shows and their lockout (defaults: email only;
/// 5 attempts, 15 minutes). Administrators.
#[utoipa::path(get, path = "/config/authentication/mfa_settings",
    responses((status = 200, description = "The settings, sealed", body = Sealable<MfaSettings>)))]
#[tracing::instrument(skip_all)]
pub async fn get_mfa(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<MfaSettings, _>(&admin, &state, &platform).await
}

/// Set the MFA settings.
///
/// The four `show_otp_*` flags are required; `otpMaxAttempts` 1 to 100, `lockDurationMinutes`
/// 1 to 10080, `onespan_url` an http(s) URL. Administrators.
#[utoipa::path(put, path = "/config/authentication/mfa_settings", request_body = Sealable<MfaSettings>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<MfaSettings>),
        (status = 400, description = "A missing, unknown, mistyped or out-of-range field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_mfa(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<MfaSettings, _>(&admin, body, &state, &platform).await
}

/// Get the Orion settings.
///
/// The Orion authenticator (default: off, 1500 ms). Administrators.
#[utoipa::path(get, path = "/config/authentication/orion_settings",
    responses((status = 200, description = "The settings, sealed", body = Sealable<OrionSettings>)))]
#[tracing::instrument(skip_all)]
pub async fn get_orion(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<OrionSettings, _>(&admin, &state, &platform).await
}

/// Set the Orion settings.
///
/// `orion_authenticator_enabled` (required) and `orion_authenticator_wait_time_ms` (0 to
/// 60000). Administrators.
#[utoipa::path(put, path = "/config/authentication/orion_settings", request_body = Sealable<OrionSettings>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<OrionSettings>),
        (status = 400, description = "A missing, unknown, mistyped or out-of-range field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_orion(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<OrionSettings, _>(&admin, body, &state, &platform).await
}

/// Get the passwordless settings.
///
/// The passwordless login of the community named by its tenant's dns and its name. Any
/// logged-in user of that community.
#[utoipa::path(get, path = "/config/authentication/pwdless_settings/{dns}/{communityName}",
    params(("dns" = String, Path, description = "The tenant's dns"), ("communityName" = String, Path, description = "The community's name")),
    responses(
        (status = 200, description = "The settings, sealed", body = Sealable<PwdlessSettings>),
        (status = 403, description = "A community the session does not reach", body = ErrorBody),
        (status = 404, description = "No such tenant or community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn get_pwdless(
    admin: AdminSession<LoggedIn>,
    path: web::Path<(String, String)>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let (dns, name) = path.into_inner();
    let query = CommunityQuery { dns: Some(dns), community_name: Some(name), ..CommunityQuery::default() };
    let (tenant, community) = tenancy::find_community(&*state.stores.tenancy, &query).await?;
    admin.require_community(&tenant.id, &community.id)?;
    let value = state.configs.get::<PwdlessSettings>(&community.id).await?;
    Ok(admin.caller.reply(&value)?)
}

/// Set the passwordless settings.
///
/// Methods (`Fingerprint`, `Face`, `Pin`, `None`), self-onboarding, the account and person
/// limits (1 to 100) and their rule (`cleanup`, `block`), and the QR, push and passwordless
/// switches; `dns` and `communityName` may name the community instead of its ids.
/// Administrators.
#[utoipa::path(put, path = "/config/authentication/pwdless_settings", request_body = Sealable<PwdlessSettings>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<PwdlessSettings>),
        (status = 400, description = "A missing, unknown, mistyped or out-of-range field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_pwdless(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let mut body = body;
    let (dns, name) = (take_text(&mut body.value, "dns"), take_text(&mut body.value, "communityName"));
    if let (Some(dns), Some(name), false) = (dns, name, body.value.contains_key("communityId")) {
        let query = CommunityQuery { dns: Some(dns), community_name: Some(name), ..CommunityQuery::default() };
        let (tenant, community) = tenancy::find_community(&*state.stores.tenancy, &query).await?;
        body.value.insert("tenantId".into(), Value::String(tenant.id));
        body.value.insert("communityId".into(), Value::String(community.id));
    }
    write::<PwdlessSettings, _>(&admin, body, &state, &platform).await
}

/// Get the Windows MFA settings.
///
/// What a Windows login may enroll and its fallback (defaults: PIN and typing pattern,
/// fallback after 4 attempts). Administrators.
#[utoipa::path(get, path = "/config/authentication/windows_mfa_settings",
    responses((status = 200, description = "The settings, sealed", body = Sealable<WindowsMfaSettings>)))]
#[tracing::instrument(skip_all)]
pub async fn get_windows_mfa(
    admin: AdminSession<Administrator>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read::<WindowsMfaSettings, _>(&admin, &state, &platform).await
}

/// Set the Windows MFA settings.
///
/// `allowed_enrollments` (`behavior_auth`, `user_pin`) is required;
/// `maxAuthAttemptsBeforeFallback` 1 to 20. Administrators.
#[utoipa::path(put, path = "/config/authentication/windows_mfa_settings", request_body = Sealable<WindowsMfaSettings>,
    responses(
        (status = 200, description = "The settings, sealed when the request was", body = Sealable<WindowsMfaSettings>),
        (status = 400, description = "A missing, unknown, mistyped or out-of-range field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_windows_mfa(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<WindowsMfaSettings, _>(&admin, body, &state, &platform).await
}
