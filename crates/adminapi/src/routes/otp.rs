//! The helper SDKs' `BIDOTP` calls, outside the catalog: `POST /api/r2/otp/generate` issues a
//! one-time passcode and sends it through the community's gateway (email with the `otp`
//! template, SMS to `+<smsISDCode><smsTo>`), on the channels the community's MFA settings show;
//! `POST /api/r2/otp/verify` checks and consumes one (the call users-mgmt makes for a login with
//! an `otp`, with its INFRA key). Any license that may act in the community; a sealed or plain
//! body. The passcode is never answered, logged or put in an error.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::login_settings::MfaSettings;
use crate::domain::messaging::Message;
use crate::domain::msg_gateway::Channel;
use crate::domain::otp::{self, Kind};
use crate::domain::templates::{self, Purpose};

/// The routes of `BIDOTP`.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(generate_otp)
            .outside_catalog("BIDOTP.requestOTP: issue a one-time passcode and send it by email or SMS"),
        endpoint!(verify_otp)
            .outside_catalog("BIDOTP.verifyOTP: check and consume a one-time passcode (users-mgmt's otp logins)"),
    ]
}

/// The longest `userId`.
const MAX_USER_ID: usize = 256;

/// The community a body names, which must exist (404) and be one the license may act on (403).
pub(crate) async fn licensed_community(
    platform: &Platform,
    auth: &Licensed<AnyLevel>,
    tenant_id: &str,
    community_id: &str,
) -> AppResult<CommunityRef> {
    let named = Named { community_id, tenant_id: Some(tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    if !auth.license.allows_community(&community.id) {
        return Err(ApiError::forbidden("the license is not authorized for this community").into());
    }
    Ok(community)
}

/// The `userId` of a body, trimmed: 1 to 256 characters.
pub(crate) fn user_id(given: &str) -> Result<&str, ApiError> {
    let user = given.trim();
    if user.is_empty() || user.chars().count() > MAX_USER_ID {
        return Err(ApiError::bad_request(format!("userId must be 1 to {MAX_USER_ID} characters")));
    }
    Ok(user)
}

/// The phone number `+<isd><number>`: 1 to 4 digits of country code (a leading `+` allowed) and
/// 4 to 14 of number.
fn phone(isd: &str, number: &str) -> Result<String, ApiError> {
    let isd = isd.trim().trim_start_matches('+');
    if isd.is_empty() || isd.len() > 4 || !isd.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("smsISDCode must be 1 to 4 digits"));
    }
    let number = number.trim();
    if number.len() < 4 || number.len() > 14 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("smsTo must be 4 to 14 digits"));
    }
    Ok(format!("+{isd}{number}"))
}

fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Body of `POST /api/r2/otp/generate`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OtpGenerateRequest {
    /// The user (the username).
    user_id: String,
    tenant_id: String,
    community_id: String,
    /// The address to email the passcode to.
    email_to: Option<String>,
    /// The phone number to text the passcode to, without its country code (with `smsISDCode`).
    sms_to: Option<String>,
    /// The country calling code of `smsTo`.
    #[serde(rename = "smsISDCode")]
    sms_isd_code: Option<String>,
}

/// Request a one-time passcode.
///
/// Issues a passcode of 6 digits for `userId` (valid 300 s, single use, void after the
/// community's `otpMaxAttempts` wrong codes; at most 5 per user per 15 minutes, else 429) and
/// sends it through the community's gateway: by email to `emailTo` (the `otp` template) and by
/// SMS to `+<smsISDCode><smsTo>`, each only when the community's MFA settings show it
/// (`show_otp_email`, `show_otp_phone`), else 400. The reply (sealed) names the channels; it never
/// holds the passcode. Any license that may act in the community.
#[utoipa::path(
    post,
    path = "/api/r2/otp/generate",
    request_body = Sealable<OtpGenerateRequest>,
    responses(
        (status = 200, description = "`message` and `channels`, sealed", body = Sealable<Object>),
        (status = 400, description = "A bad body, no channel, or a channel the MFA settings hide", body = ErrorBody),
        (status = 401, description = "Bad authentication headers, no or unknown licensekey", body = ErrorBody),
        (status = 403, description = "A license that may not act in the community", body = ErrorBody),
        (status = 404, description = "No such community, or no gateway for the channel", body = ErrorBody),
        (status = 429, description = "Too many passcodes for this user", body = ErrorBody),
        (status = 503, description = "The gateway did not take the message", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn generate_otp(
    auth: Licensed<AnyLevel>,
    body: Body<OtpGenerateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let community = licensed_community(&platform, &auth, &r.tenant_id, &r.community_id).await?;
    let user = user_id(&r.user_id)?;
    let email = given(r.email_to);
    let sms = match (given(r.sms_to), given(r.sms_isd_code)) {
        (Some(to), Some(isd)) => Some(phone(&isd, &to)?),
        (None, None) => None,
        _ => return Err(ApiError::bad_request("smsTo and smsISDCode go together").into()),
    };
    if email.is_none() && sms.is_none() {
        return Err(ApiError::bad_request("emailTo, or smsTo with smsISDCode, is required").into());
    }
    let mfa: MfaSettings = state.configs.get(&community.id).await?;
    if email.is_some() && !mfa.show_otp_email {
        return Err(ApiError::bad_request("emailTo: the community's MFA settings do not offer the email OTP").into());
    }
    if sms.is_some() && !mfa.show_otp_phone {
        return Err(ApiError::bad_request("smsTo: the community's MFA settings do not offer the SMS OTP").into());
    }
    let request = otp::Request {
        community_id: &community.id,
        user_id: user,
        kind: Kind::Otp,
        length: otp::DEFAULT_LENGTH,
        validity_seconds: otp::DEFAULT_VALIDITY,
        max_attempts: mfa.otpMaxAttempts,
    };
    let issued = state.otps.issue(&request, state.clock.epoch_secs()).await?;
    // The user's names are not looked up (the user may live in any module): the username greets.
    let names = json!({"username": user, "firstname": user, "lastname": ""});
    let to = [(email, Channel::Email), (sms, Channel::Sms)];
    let channels = send_code(&state, &community, &names, &issued, to.into_iter()).await?;
    Ok(auth.caller.reply(&json!({"message": "OTP sent", "channels": channels, "expiresAt": issued.expires_at}))?)
}

/// Sends the code `issued` through the community's gateway to each address given with its
/// channel, with the `otp` template (`user` is `username`, `firstname`, `lastname`): the
/// channels it went on.
pub(crate) async fn send_code(
    state: &State,
    community: &CommunityRef,
    user: &serde_json::Value,
    issued: &otp::Issued,
    to: impl Iterator<Item = (Option<String>, Channel)>,
) -> AppResult<Vec<&'static str>> {
    let variables = json!({
        "otp": issued.code.as_str(),
        "expires_in_minutes": otp::DEFAULT_VALIDITY / 60,
        "user": user,
        "community": {"name": community.name},
    });
    let mut channels = Vec::new();
    for (to, channel) in to {
        let Some(to) = to else { continue };
        let template = match channel {
            Channel::Email => templates::Channel::Email,
            // A text (SMS, or read out by a voice call).
            _ => templates::Channel::Sms,
        };
        let rendered =
            templates::render(&*state.stores.templates, &community.id, Purpose::Otp, template, &variables).await?;
        let message = Message { to, subject: rendered.subject.unwrap_or_default(), body: rendered.body };
        state.messenger.send(&community.id, channel, &message).await?;
        channels.push(channel.as_str());
    }
    tracing::info!(channels = ?channels, "one-time passcode sent");
    Ok(channels)
}

/// Body of `POST /api/r2/otp/verify`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OtpVerifyRequest {
    /// The user (the username).
    user_id: String,
    /// The passcode.
    code: String,
    tenant_id: String,
    community_id: String,
}

/// Verify a one-time passcode.
///
/// 200 when `code` is an outstanding passcode of `userId` (sent by `POST /api/r2/otp/generate`
/// or given by `POST /helpdesk-passcode/generate`), or a code of a hardware token assigned to the
/// user when the MFA settings show hardware codes (`show_otp_hardware`), which it consumes; 401 for a wrong, used,
/// void or expired one (a wrong one counts towards the community's `otpMaxAttempts`). Any
/// license that may act in the community; the reply is sealed when the request was.
#[utoipa::path(
    post,
    path = "/api/r2/otp/verify",
    request_body = Sealable<OtpVerifyRequest>,
    responses(
        (status = 200, description = "`message`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 401, description = "Bad headers, no license, or a wrong, used or expired passcode", body = ErrorBody),
        (status = 403, description = "A license that may not act in the community", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_otp(
    auth: Licensed<AnyLevel>,
    body: Body<OtpVerifyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = licensed_community(&platform, &auth, &r.tenant_id, &r.community_id).await?;
    let user = user_id(&r.user_id)?;
    let now = state.clock.epoch_secs();
    let mfa: MfaSettings = state.configs.get(&community.id).await?;
    // A hardware token's code first: a token code must not count as a wrong passcode.
    let token = mfa.show_otp_hardware
        && state.hardware_tokens.verify(&community.id, user, &r.code, mfa.sync_window_for_first_usage, now).await?;
    if !token && !state.otps.verify(&community.id, user, &r.code, now).await? {
        return Err(ApiError::unauthorized("the passcode is wrong, used or expired").into());
    }
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"message": "OTP verified"}))?)
}
