//! The login page's one-time-passcode journey (catalog group Authenticate), after
//! `POST /users/find` gave a `user_token` ([`crate::domain::user_token`]), or after
//! `POST /verifyuser` checked the password and answered one with `next: "otp"` (a step token):
//! `PUT /generate/otp` (and its twin `PUT /authenticate/otp`) issues a passcode
//! ([`crate::domain::otp`]) and sends it to the user's own email or phone as users-mgmt holds
//! them, on the channels the community's MFA settings show; `POST /authenticate` signs the user
//! in with it: the second step of a step token ([`super::steps::finish`]), or a passcode login
//! the community's journeys judge as `POST /verifyuser` does ([`super::steps::log_in`]). No
//! license, no login: the caller's signed headers and the token. The passcode and the token are
//! never answered back, logged or put in an error.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::steps::{self, Outcome, RequestFacts};
use crate::State;
use crate::domain::login_settings::MfaSettings;
use crate::domain::msg_gateway::Channel;
use crate::domain::otp::{self, Kind};
use crate::domain::user_token::{self, Opened};
use crate::routes::otp::send_code;
use crate::users_mgmt::{Factors, UsersMgmt};

/// The endpoints of the journey.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(generate_user_otp), endpoint!(authenticate_otp), endpoint!(authenticate)]
}

/// The community a body names (404) and the token its `user_token` is there (401): one of
/// `POST /users/find` or a step token.
async fn community_and_user(
    state: &State,
    platform: &Platform,
    tenant_id: &str,
    community_id: &str,
    token: &str,
) -> AppResult<(CommunityRef, Opened)> {
    let named = Named { community_id, tenant_id: Some(tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let now = state.clock.epoch_secs();
    let opened = user_token::open_any(&state.sealer, token, &community.tenant_id, &community.id, now)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    Ok((community, opened))
}

/// Body of `PUT /generate/otp` and `PUT /authenticate/otp`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct GenerateOtpRequest {
    communityId: String,
    tenantId: String,
    /// From `POST /users/find`.
    user_token: String,
    /// Not used: the journey is before any login.
    jwt_token: Option<String>,
    /// `email` or `sms`.
    deliveryMethod: String,
    /// Not used: the code is the same for a password reset.
    #[schema(value_type = Option<Object>)]
    isResetPassword: Option<Value>,
    /// Not used: the code goes to the user's own address only.
    destination: Option<String>,
}

impl std::fmt::Debug for GenerateOtpRequest {
    /// Without the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenerateOtpRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// The user's own address for `channel` in their record at users-mgmt.
fn address(record: &Value, channel: Channel) -> Result<String, ApiError> {
    let text = |field: &str| record[field].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    match channel {
        Channel::Email => text("email1")
            .or_else(|| text("email2"))
            .ok_or_else(|| ApiError::bad_request("the user has no email address")),
        _ => {
            let phone = text("phone1").ok_or_else(|| ApiError::bad_request("the user has no phone number"))?;
            // users-mgmt keeps digits: the country code and the number.
            let digits = phone.trim_start_matches('+');
            if digits.len() < 6 || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::bad_request(
                    "the user's phone number is not in international form (6 to 15 digits with the country code)",
                ));
            }
            Ok(format!("+{digits}"))
        }
    }
}

/// Issues a passcode for the user of the token and sends it by `deliveryMethod`.
async fn issue_and_send(
    caller: Caller,
    body: Body<GenerateOtpRequest>,
    state: &State,
    platform: &Platform,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = (&r.jwt_token, &r.isResetPassword, &r.destination);
    let (community, opened) = community_and_user(state, platform, &r.tenantId, &r.communityId, &r.user_token).await?;
    let user = opened.user();
    let channel = match r.deliveryMethod.trim().to_ascii_lowercase().as_str() {
        "email" => Channel::Email,
        "sms" => Channel::Sms,
        _ => return Err(ApiError::bad_request("deliveryMethod must be email or sms").into()),
    };
    let mfa: MfaSettings = state.configs.get(&community.id).await?;
    if (channel == Channel::Email && !mfa.show_otp_email) || (channel == Channel::Sms && !mfa.show_otp_phone) {
        return Err(ApiError::bad_request("deliveryMethod: the community's MFA settings do not offer it").into());
    }
    let body = json!({"authModule": user.module_id, "username": user.username});
    let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
    let gone = || ApiError::unauthorized(user_token::Invalid.to_string());
    let record = state
        .users_mgmt
        .call(Method::POST, &path, &body)
        .await
        .map_err(|e| if e.status() == StatusCode::NOT_FOUND { gone() } else { e })?;
    let record = &record["data"];
    if record["uid"].as_str() != Some(user.uid.as_str()) {
        return Err(gone().into());
    }
    let to = address(record, channel)?;
    let request = otp::Request {
        community_id: &community.id,
        user_id: &user.username,
        kind: Kind::Otp,
        length: otp::DEFAULT_LENGTH,
        validity_seconds: otp::DEFAULT_VALIDITY,
        max_attempts: mfa.otpMaxAttempts,
    };
    let issued = state.otps.issue(&request, state.clock.epoch_secs()).await?;
    let names = json!({
        "username": user.username,
        "firstname": record["firstname"].as_str().unwrap_or(&user.username),
        "lastname": record["lastname"].as_str().unwrap_or_default(),
    });
    send_code(state, &community, &names, &issued, std::iter::once((Some(to), channel))).await?;
    let reply = json!({"message": "OTP sent", "deliveryMethod": channel.as_str(), "expiresAt": issued.expires_at});
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Generate OTP.
///
/// Issues a passcode of 6 digits for the user of `user_token` (from `POST /users/find`; valid
/// 300 s, single use, void after the community's `otpMaxAttempts` wrong codes, at most 5 per user
/// per 15 minutes, else 429) and sends it by `deliveryMethod` (`email`: the user's `email1`, else
/// `email2`, with the `otp` template; `sms`: the user's `phone1`), each only when the community's
/// MFA settings show it (else 400). `destination`, `jwt_token` and `isResetPassword` are not
/// used: the code goes to the user's own address only. A forged, expired or foreign `user_token`:
/// 401. The reply names the channel, never the code. No license.
#[utoipa::path(
    put,
    path = "/generate/otp",
    request_body = Sealable<GenerateOtpRequest>,
    responses(
        (status = 200, description = "`message`, `deliveryMethod`, `expiresAt`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or deliveryMethod, one the MFA settings hide, no address", body = ErrorBody),
        (status = 401, description = "Bad headers; an invalid or expired user_token", body = ErrorBody),
        (status = 404, description = "No such community, or no gateway for the channel", body = ErrorBody),
        (status = 429, description = "Too many passcodes for this user", body = ErrorBody),
        (status = 503, description = "users-mgmt or the gateway is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn generate_user_otp(
    caller: Caller,
    body: Body<GenerateOtpRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    issue_and_send(caller, body, &state, &platform).await
}

/// Create OTP for user.
///
/// The same as `PUT /generate/otp` (the spec's twin): issues a passcode for the user of
/// `user_token` and sends it by `deliveryMethod` to the user's own address. No license.
#[utoipa::path(
    put,
    path = "/authenticate/otp",
    request_body = Sealable<GenerateOtpRequest>,
    responses(
        (status = 200, description = "`message`, `deliveryMethod`, `expiresAt`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or deliveryMethod, one the MFA settings hide, no address", body = ErrorBody),
        (status = 401, description = "Bad headers; an invalid or expired user_token", body = ErrorBody),
        (status = 429, description = "Too many passcodes for this user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn authenticate_otp(
    caller: Caller,
    body: Body<GenerateOtpRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    issue_and_send(caller, body, &state, &platform).await
}

/// Body of `POST /authenticate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct AuthenticateRequest {
    tenantId: String,
    communityId: String,
    /// From `POST /users/find`.
    user_token: String,
    passcode: String,
    /// The alias the user was found by: informative only.
    aliasUsed: Option<String>,
}

impl std::fmt::Debug for AuthenticateRequest {
    /// Without the token and the passcode.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticateRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// Authenticate user.
///
/// Signs the user of `user_token` in with `passcode` (from `PUT /generate/otp`, or a helpdesk
/// passcode; consumed). After `POST /verifyuser` answered `next: "otp"`, its `user_token` (spent
/// by this call, whatever the outcome) finishes the login. A `user_token` of `POST /users/find`
/// is a passcode login, judged by the community's authentication journeys as `POST /verifyuser`
/// judges one: a journey that requires the password first refuses it (401), `deny` is a 403.
/// Answers the same login session, roles and access JWT as `POST /verifyuser`: `user` and
/// `jwt_token`. A wrong, used or expired passcode, a locked or disabled user: 401; a forged,
/// expired, foreign or used `user_token`: 401. No license.
#[utoipa::path(
    post,
    path = "/authenticate",
    request_body = Sealable<AuthenticateRequest>,
    responses(
        (status = 200, description = "`user` and `jwt_token`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or facts header, no passcode", body = ErrorBody),
        (status = 401, description = "Invalid credentials; an invalid, expired or used user_token; the password is required first", body = ErrorBody),
        (status = 403, description = "Denied by the community's authentication journey", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    caller: Caller,
    req: HttpRequest,
    body: Body<AuthenticateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = &r.aliasUsed;
    let facts = RequestFacts::of(&req, &caller, &state)?;
    let factors = Factors::given(None, Some(&r.passcode));
    if factors.is_empty() {
        return Err(ApiError::bad_request("passcode is required").into());
    }
    let (community, opened) = community_and_user(&state, &platform, &r.tenantId, &r.communityId, &r.user_token).await?;
    let signed = match opened {
        Opened::Step(step) => steps::finish(&state, &platform, &community, ("user_token", &step), &r.passcode).await?,
        Opened::Found(user) => {
            let outcome =
                steps::log_in(&state, &platform, &facts, &community, &user.username, factors, Some(&user.uid)).await?;
            match outcome {
                Outcome::SignedIn(signed) => signed,
                Outcome::Next { .. } => {
                    tracing::error!("a passcode login was sent to a second step");
                    return Err(ApiError::internal().into());
                }
            }
        }
    };
    let reply = json!({"user": signed.user, "jwt_token": signed.token});
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
