//! The catalog group Reset Password: a user who is not logged in resets their own password.
//! `PUT /password_reset/sendverify` mails a magic link with a one-time code (an access code of
//! purpose `password_reset`, [`crate::domain::access_codes`]) to the user's own address,
//! `POST /password_reset/user/fetch` shows the code's user with a fresh `user_token`, and
//! `POST /password_reset` sets the new password with the code (used once), through users-mgmt,
//! whose module policy checks it. The rules are in [`crate::domain::self_reset`]. No code,
//! password, passcode, token or address is logged or put in an error.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::access_codes::{Draft, RedeemError, RedeemOutcome};
use crate::domain::guarded_settings::PasswordReset;
use crate::domain::messaging::Message;
use crate::domain::msg_gateway::Channel;
use crate::domain::self_reset::{self, Refusal};
use crate::domain::templates::{self, Purpose};
use crate::domain::user_token::{self, UserRef};
use crate::routes::users::invitations::{email, human_or_licensed};
use crate::routes::users::invites::user_record;
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(send_verify), endpoint!(fetch_user), endpoint!(reset_password)]
}

/// The answer of `sendverify` and of a reset.
fn ok() -> Value {
    json!({"code": 200, "message": "Ok"})
}

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// The community `tenantId` / `communityId` name.
async fn community(platform: &Platform, tenant_id: &str, community_id: &str) -> AppResult<CommunityRef> {
    let named = Named { community_id, tenant_id: Some(tenant_id), community_name: None };
    Ok(locate(&**platform.directory, named).await?)
}

/// The user a `user_token` names in `community` at `now` (401 otherwise).
fn token_user(state: &State, token: &str, community: &CommunityRef, now: i64) -> AppResult<UserRef> {
    Ok(user_token::open(&state.sealer, token, &community.tenant_id, &community.id, now)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?)
}

/// Body of `PUT /password_reset/sendverify`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct ResetSendVerifyRequest {
    /// The user's own email address (or `email1` / `email2`) the link goes to.
    destination: String,
    /// From `POST /users/find`.
    user_token: String,
    tenantId: String,
    communityId: String,
    /// Required unless a valid `license` is given.
    captchaToken: Option<String>,
    /// A license key valid for the community: no CAPTCHA then.
    license: Option<String>,
}

impl std::fmt::Debug for ResetSendVerifyRequest {
    /// Without the address, the tokens or the license.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetSendVerifyRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// Sends self reset password verification magic link email.
///
/// The user of `user_token` (from `POST /users/find`) asks for a password reset: a one-time code,
/// valid `PASSWORD_RESET_TTL_SECONDS` (1 hour by default), is made and its link
/// (`<PASSWORD_RESET_BASE_URL>/<code>`) emailed with the community's `reset_password` template to
/// `destination`, which must be one of the user's own addresses (`email1`, `email2`). Needs
/// `captchaToken` unless `license` is valid for the community; at most 5 requests per user per
/// hour (429). The answer is always `{"code": 200, "message": "Ok"}`: a user who cannot be found
/// or is disabled, an address that is not theirs, or a mail that could not be sent answer alike.
/// A forged, expired or foreign `user_token`: 401.
#[utoipa::path(
    put,
    path = "/password_reset/sendverify",
    request_body = Sealable<ResetSendVerifyRequest>,
    responses(
        (status = 200, description = "`code` and `message`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or destination, a missing or refused CAPTCHA", body = ErrorBody),
        (status = 401, description = "Bad headers; an invalid or expired user_token", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
        (status = 429, description = "Too many requests for this user", body = ErrorBody),
        (status = 503, description = "users-mgmt or the CAPTCHA verifier is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn send_verify(
    caller: Caller,
    body: Body<ResetSendVerifyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community(&platform, &r.tenantId, &r.communityId).await?;
    let destination = r.destination.trim();
    if !matches!(destination, "email1" | "email2") {
        email("destination", destination)?;
    }
    human_or_licensed(&state, &community, "captchaToken", given(r.captchaToken.as_ref()), given(r.license.as_ref()))
        .await?;
    let now = state.clock.epoch_secs();
    let user = token_user(&state, &r.user_token, &community, now)?;
    if !state.access_codes.count_reset_request(&community.id, &user.uid).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many password resets were requested for this user: try again in an hour",
        )
        .into());
    }
    if let Err(e) = send_link(&state, &community, &user, destination, now).await {
        // Answered as a sent link: the answer must not tell which users or addresses exist.
        tracing::info!(status = actix_web::ResponseError::status_code(&e).as_u16(), "no password reset link was sent");
    }
    Ok(caller.reply_like(encrypted, StatusCode::OK, &ok())?)
}

/// Makes a reset code for `user` and mails its link to their own address `destination`.
async fn send_link(
    state: &State,
    community: &CommunityRef,
    user: &UserRef,
    destination: &str,
    now: i64,
) -> AppResult<()> {
    let record = user_record(state, community, &user.module_id, &user.username).await?;
    if !self_reset::may_reset(&record, user) {
        return Err(ApiError::not_found("no such user").into());
    }
    let to = self_reset::destination_address(&record, destination)
        .ok_or_else(|| ApiError::not_found("destination is not an address of the user"))?;
    let draft = Draft {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        uid: user.uid.clone(),
        username: user.username.clone(),
        module_id: user.module_id.clone(),
        email_to: Some(to.clone()),
        sms_to: None,
        template_key: "default".to_owned(),
        created_by: user.username.clone(),
        created_by_uid: user.uid.clone(),
    };
    let issued = state.access_codes.issue_reset(draft, now).await?;
    let link = state.reset_links.link(community, &issued.code);
    let text = |f: &str| record[f].as_str().unwrap_or_default().to_owned();
    let names = json!({"firstname": text("firstname"), "lastname": text("lastname"), "username": user.username});
    let vars = json!({"user": names, "link": link, "community": {"name": community.name}, "params": {}});
    let sent = async {
        let r = templates::render(
            &*state.stores.templates,
            &community.id,
            Purpose::ResetPassword,
            templates::Channel::Email,
            &vars,
        )
        .await?;
        let message = Message { to, subject: r.subject.unwrap_or_default(), body: r.body };
        state.messenger.send(&community.id, Channel::Email, &message).await
    };
    if let Err(e) = sent.await {
        state.access_codes.undeliverable(&issued.record, now).await?;
        return Err(e.into());
    }
    tracing::info!(id = %issued.record.id, "password reset link sent");
    Ok(())
}

/// Body of `POST /password_reset/user/fetch`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct ResetUserFetchRequest {
    tenantId: String,
    communityId: String,
    /// The code of the link.
    code: String,
}

impl std::fmt::Debug for ResetUserFetchRequest {
    /// Without the code.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResetUserFetchRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// Fetch user object and user_token with acr code for self password reset.
///
/// The user the password reset code `code` was made for (`username`, `uid`, `type`,
/// `disbaled`, `firstname`, `email`, `phone`, `urn`) and a `user_token` naming them, for
/// `POST /password_reset`. The code is not used up. An unknown code, or one of another
/// community: 404; used, revoked or expired: 410.
#[utoipa::path(
    post,
    path = "/password_reset/user/fetch",
    request_body = Sealable<ResetUserFetchRequest>,
    responses(
        (status = 200, description = "`user` and `user_token`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 401, description = "Bad headers", body = ErrorBody),
        (status = 404, description = "No such community or password reset code", body = ErrorBody),
        (status = 410, description = "The code was used, revoked or has expired", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_user(
    caller: Caller,
    body: Body<ResetUserFetchRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community(&platform, &r.tenantId, &r.communityId).await?;
    let now = state.clock.epoch_secs();
    let code = state.access_codes.find_reset(&r.code).await?.ok_or(Refusal::Unknown)?;
    self_reset::check_code(&code, &community.id, None, now)?;
    // A user gone since the code was made: as an unknown code; users-mgmt's other failures stand.
    let record = user_record(&state, &community, &code.module_id, &code.username).await.map_err(|e| {
        if actix_web::ResponseError::status_code(&e) == StatusCode::NOT_FOUND { Refusal::Unknown.into() } else { e }
    })?;
    let user = UserRef {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        module_id: code.module_id.clone(),
        uid: code.uid.clone(),
        username: code.username.clone(),
    };
    if !self_reset::may_reset(&record, &user) {
        return Err(Refusal::Unknown.into());
    }
    let token = user_token::issue(&state.sealer, &user, now)?;
    let reply = json!({"user": self_reset::user_view(&record), "user_token": token});
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /password_reset`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct SelfResetRequest {
    tenantId: String,
    communityId: String,
    /// The code of the link.
    code: Option<String>,
    /// A one-time passcode of the user, when the community's settings want one.
    otp: Option<String>,
    newPassword: String,
    /// From `POST /password_reset/user/fetch`.
    user_token: String,
}

impl std::fmt::Debug for SelfResetRequest {
    /// Without the code, the passcode, the password or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfResetRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// Self reset user's own password based on code and otp and id proofing.
///
/// Sets `newPassword` as the password of the user of `user_token` (from
/// `POST /password_reset/user/fetch`) with the password reset `code` made for that user, which
/// is used up (once: of concurrent resets one wins). When the community's password reset
/// settings name a self-service `sspr.otp`, `otp` (a one-time passcode of the user) is required
/// too. users-mgmt checks the new password against the module's password policy (400, the code
/// stays usable). A reset by identity proofing alone (no `code`) is not served: 400.
#[utoipa::path(
    post,
    path = "/password_reset",
    request_body = Sealable<SelfResetRequest>,
    responses(
        (status = 200, description = "`code` and `message`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, no code, no otp when one is wanted, a password the policy refuses", body = ErrorBody),
        (status = 401, description = "Bad headers; an invalid or expired user_token; a wrong otp", body = ErrorBody),
        (status = 404, description = "No such community or password reset code", body = ErrorBody),
        (status = 410, description = "The code was used, revoked or has expired", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn reset_password(
    caller: Caller,
    body: Body<SelfResetRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community(&platform, &r.tenantId, &r.communityId).await?;
    let Some(code) = given(r.code.as_ref()) else {
        return Err(ApiError::bad_request("code is required (a reset by identity proofing alone is not served)").into());
    };
    if r.newPassword.is_empty() {
        return Err(ApiError::bad_request("newPassword is required").into());
    }
    let now = state.clock.epoch_secs();
    let user = token_user(&state, &r.user_token, &community, now)?;
    let record = state.access_codes.find_reset(code).await?.ok_or(Refusal::Unknown)?;
    self_reset::check_code(&record, &community.id, Some(&user), now)?;
    let settings = state.configs.get::<PasswordReset>(&community.id).await?;
    if self_reset::otp_required(&settings) {
        let otp = given(r.otp.as_ref()).ok_or_else(|| ApiError::bad_request("otp is required"))?;
        if !state.otps.verify(&community.id, &user.username, otp, now).await? {
            return Err(ApiError::unauthorized("otp is invalid, used or expired").into());
        }
    }
    let result = json!({"publicKey": caller.public_key(), "use": "password_reset"}).to_string();
    let redeemed = state.access_codes.redeem(&record, &result, now).await.map_err(|e| match e {
        RedeemOutcome::Refused(RedeemError::Redeemed) => Refusal::Used.into(),
        RedeemOutcome::Refused(RedeemError::Revoked) => Refusal::Revoked.into(),
        RedeemOutcome::Refused(RedeemError::Expired) => Refusal::Expired.into(),
        RedeemOutcome::Failed(e) => kit::AppError::from(e),
    })?;
    let path = UsersMgmt::community_path(&community, "/admin/changepassword");
    let change = json!({"authModule": user.module_id, "username": user.username, "newPassword": r.newPassword});
    if let Err(e) = state.users_mgmt.call(Method::POST, &path, &change).await {
        // The password did not change: the code stays usable for another try.
        state.access_codes.release(&redeemed, now).await?;
        return Err(e.into());
    }
    tracing::info!(id = %redeemed.id, "password reset by the user");
    Ok(caller.reply_like(encrypted, StatusCode::OK, &ok())?)
}
