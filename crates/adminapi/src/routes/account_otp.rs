//! The catalog group Account OTP: `PUT /generate/account_otp`, the logged-in user's rolling code
//! ([`crate::domain::account_otp`]).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::ApiError;
use kit::openapi::ErrorBody;
use kit::{AppResult, Endpoint, endpoint};
use serde_json::json;

use crate::State;
use crate::session::{AdminSession, LoggedIn};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(generate_account_otp)]
}

/// Create Account OTP.
///
/// The logged-in user's current account OTP (six digits, a TOTP of 30-second steps derived for
/// the user from the deployment's key) and `secondsRemaining` until the next: `{code,
/// secondsRemaining}`, sealed. At most 20 a minute per user (429 beyond). Any logged-in user.
#[utoipa::path(
    put,
    path = "/generate/account_otp",
    responses(
        (status = 200, description = "`code` and `secondsRemaining`, sealed", body = kit::openapi::Sealable<Object>),
        (status = 429, description = "Too many codes requested in the minute", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn generate_account_otp(admin: AdminSession<LoggedIn>, state: web::Data<State>) -> AppResult<HttpResponse> {
    let s = &admin.session;
    let now = state.clock.epoch_secs();
    let Some(otp) = state.account_otps.generate(&s.community_id, &s.uid, now).await? else {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many account OTPs were requested: try again in a minute",
        )
        .into());
    };
    let reply = json!({"code": otp.code, "secondsRemaining": otp.seconds_remaining});
    Ok(admin.caller.reply_with(StatusCode::OK, &reply)?)
}
