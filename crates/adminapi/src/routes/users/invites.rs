//! Invitations (catalog group Users): `PUT /users/invite` (an administrator invites a user of the
//! community), `POST /users/resend/invite` (a new code replaces an outstanding one) and
//! `POST /users/request/invite` (a user asks for their own, with the `user_token` of
//! `POST /users/find`). Each makes an access code ([`crate::domain::access_codes`]) and sends its
//! link through the community's gateway; each needs a CAPTCHA token or a valid license
//! ([`super::invitations::human_or_licensed`]). The code, the tokens and the license are never
//! logged or put in an error.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use super::community_of;
use super::invitations::{deliver, email, human_or_licensed, phone};
use crate::State;
use crate::domain::access_codes::message::{self, TemplateChoice};
use crate::domain::access_codes::{Draft, Issued};
use crate::domain::roles::permission;
use crate::domain::templates;
use crate::domain::user_token;
use crate::session::{AdminSession, Administrator, LoggedIn};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(invite_user), endpoint!(resend_invite), endpoint!(request_invite)]
}

/// The longest `userId`.
const MAX_USER_ID: usize = 256;

fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn name(field: &str, value: &str) -> Result<String, ApiError> {
    kit::ids::name(field, value).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The record of `username` in `module` at users-mgmt (404 when there is none).
pub(crate) async fn user_record(
    state: &State,
    community: &kit::directory::CommunityRef,
    module: &str,
    username: &str,
) -> AppResult<Value> {
    let path = UsersMgmt::community_path(community, "/user/fetch_single_user_by_username");
    let mut found =
        state.users_mgmt.call(Method::POST, &path, &json!({"authModule": module, "username": username})).await?;
    Ok(found["data"].take())
}

/// The reply: the messages' results, the link, the code (when it may be answered) and the id.
fn reply(mut results: Map<String, Value>, link: String, issued: &Issued, with_code: bool) -> Value {
    if with_code {
        results.insert("link".into(), json!(link));
        results.insert("code".into(), json!(issued.code.as_str()));
    }
    results.insert("id".into(), json!(issued.record.id));
    results.insert("expiresAt".into(), json!(issued.record.expires_at));
    Value::Object(results)
}

/// Body of `PUT /users/invite`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct InviteRequest {
    tenantId: String,
    communityId: String,
    authModuleId: String,
    /// The user's username in `authModuleId`.
    userId: String,
    /// Required unless `smsTo` is given.
    emailTo: Option<String>,
    /// A phone number with its country code; required unless `emailTo` is given.
    smsTo: Option<String>,
    firstname: String,
    lastname: String,
    /// The user's uid (it must be the uid of `userId`).
    uid: String,
    /// `default`, a template id, or `invite.<email|sms>.<id>`.
    templateKeyPath: String,
    /// Not used: the login session is the creator.
    createdby: Option<String>,
    /// Not used: the login session is the creator.
    createdbyemail: Option<String>,
    /// Required unless a valid `license` is given.
    captchaToken: Option<String>,
    /// A license key valid for the community: no CAPTCHA then.
    license: Option<String>,
}

impl std::fmt::Debug for InviteRequest {
    /// Without the token, the license or the addresses.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// Invite User.
///
/// Makes an access code for the user `userId` of `authModuleId` (whose uid must be `uid`), valid
/// `INVITATION_TTL_SECONDS` (7 days by default), and sends its link
/// (`<INVITATION_BASE_URL>/<code>`) by email to `emailTo` and / or SMS to `smsTo` through the
/// community's gateways, with the `invite` template `templateKeyPath` picks (`default`, a
/// template id, or `invite.<email|sms>.<id>`). Needs `captchaToken` (checked with the CAPTCHA
/// verifier and the community's `captcha_secret`) unless `license` is valid for the community.
/// The reply holds `emailResult` / `smsResult`, `link`, `code` (answered this once), the code's
/// `id` and `expiresAt`. An administrator of the community (`createdby` is the login session).
#[utoipa::path(
    put,
    path = "/users/invite",
    request_body = Sealable<InviteRequest>,
    responses(
        (status = 200, description = "`emailResult`, `link`, `code`, `id`, `expiresAt`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, no address, a missing or refused CAPTCHA, no verifier", body = ErrorBody),
        (status = 403, description = "Not an administrator of the community", body = ErrorBody),
        (status = 404, description = "No such community, user or template, or no gateway for the channel", body = ErrorBody),
        (status = 503, description = "users-mgmt, the gateway or the CAPTCHA verifier is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn invite_user(
    admin: AdminSession<Administrator>,
    body: Body<InviteRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = (&r.createdby, &r.createdbyemail);
    let community = community_of(&platform, &admin, &r.tenantId, &r.communityId).await?;
    let module =
        kit::ids::object_id("authModuleId", &r.authModuleId).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let username = r.userId.trim();
    if username.is_empty() || username.chars().count() > MAX_USER_ID {
        return Err(ApiError::bad_request(format!("userId must be 1 to {MAX_USER_ID} characters")).into());
    }
    let choice = message::template_choice(&r.templateKeyPath)?;
    let email_to = given(r.emailTo.as_ref()).map(|e| email("emailTo", e)).transpose()?;
    let sms_to = given(r.smsTo.as_ref()).map(|p| phone("smsTo", p)).transpose()?;
    if email_to.is_none() && sms_to.is_none() {
        return Err(ApiError::bad_request("emailTo or smsTo is required").into());
    }
    let (first, last) = (name("firstname", &r.firstname)?, name("lastname", &r.lastname)?);
    let channels: Vec<templates::Channel> =
        [(email_to.is_some(), templates::Channel::Email), (sms_to.is_some(), templates::Channel::Sms)]
            .into_iter()
            .filter_map(|(on, c)| on.then_some(c))
            .collect();
    message::check(&*state.stores.templates, &community, &choice, &channels).await?;
    human_or_licensed(&state, &community, "captchaToken", given(r.captchaToken.as_ref()), given(r.license.as_ref()))
        .await?;
    let record = user_record(&state, &community, &module, username).await?;
    let Some(uid) = record["uid"].as_str().filter(|uid| *uid == r.uid.trim()) else {
        return Err(ApiError::bad_request("uid is not the uid of the user userId").into());
    };
    let s = &admin.session;
    let draft = Draft {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        uid: uid.to_owned(),
        username: record["username"].as_str().unwrap_or(username).to_owned(),
        module_id: module,
        email_to,
        sms_to,
        template_key: r.templateKeyPath.trim().to_owned(),
        created_by: s.username.clone(),
        created_by_uid: s.uid.clone(),
    };
    let now = state.clock.epoch_secs();
    let issued = state.access_codes.issue(draft, now).await?;
    let user = json!({"firstname": first, "lastname": last, "username": issued.record.username});
    let (results, link) = deliver(&state, &community, &issued, &choice, &user, now).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply(results, link, &issued, true))?)
}

/// Body of `POST /users/resend/invite`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct ResendRequest {
    /// The access code to send again: its `id` (as lists show it) or the code itself.
    code: String,
    emailTo: String,
    firstname: String,
    lastname: String,
    /// Required unless a valid `license` is given.
    captchaToken: Option<String>,
    /// A license key valid for the community: no CAPTCHA then.
    license: Option<String>,
}

impl std::fmt::Debug for ResendRequest {
    /// Without the code, the token, the license or the address.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResendRequest").finish_non_exhaustive()
    }
}

/// Resend Invite to user.
///
/// Replaces the access code `code` (its `id`, or the code itself), active or expired, by a new
/// one for the same user with a new expiry, and emails its link to `emailTo` with the template the
/// first invitation used; the old code is revoked. Administrators resend any invitation of their
/// community, other users only their own. Needs `captchaToken` unless `license` is valid for the
/// community. The reply holds `emailResult`, `link`, `code` (answered this once), `id` and
/// `expiresAt`. A redeemed or revoked code: 409.
#[utoipa::path(
    post,
    path = "/users/resend/invite",
    request_body = Sealable<ResendRequest>,
    responses(
        (status = 200, description = "`emailResult`, `link`, `code`, `id`, `expiresAt`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a missing or refused CAPTCHA, no verifier", body = ErrorBody),
        (status = 403, description = "Another user's invitation without being an administrator", body = ErrorBody),
        (status = 404, description = "No such access code, or no gateway for email", body = ErrorBody),
        (status = 409, description = "The code was redeemed or revoked", body = ErrorBody),
        (status = 503, description = "The gateway or the CAPTCHA verifier is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn resend_invite(
    admin: AdminSession<LoggedIn>,
    body: Body<ResendRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let to = email("emailTo", &r.emailTo)?;
    let (first, last) = (name("firstname", &r.firstname)?, name("lastname", &r.lastname)?);
    let unknown = || ApiError::not_found("no such access code");
    let old = state.access_codes.find_by_id_or_code(&r.code).await?.ok_or_else(unknown)?;
    // Another community's code is unknown here, whatever the caller's reach.
    let community = community_of(&platform, &admin, &old.tenant_id, &old.community_id).await.map_err(|_| unknown())?;
    if old.uid != admin.session.uid {
        admin.require(permission::ADMIN)?;
    }
    human_or_licensed(&state, &community, "captchaToken", given(r.captchaToken.as_ref()), given(r.license.as_ref()))
        .await?;
    let choice = message::template_choice(&old.template_key).unwrap_or(TemplateChoice::Default);
    let now = state.clock.epoch_secs();
    let s = &admin.session;
    let issued = state.access_codes.reissue(&old, to, (s.username.as_str(), s.uid.as_str()), now).await?;
    let user = json!({"firstname": first, "lastname": last, "username": issued.record.username});
    let (results, link) = deliver(&state, &community, &issued, &choice, &user, now).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply(results, link, &issued, true))?)
}

/// Body of `POST /users/request/invite`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RequestInviteRequest {
    tenantId: String,
    communityId: String,
    /// From `POST /users/find`.
    user_token: String,
    /// `email1` or `email2`: which of the user's own addresses.
    deliveryMethod: String,
    /// Required unless a valid `license` is given.
    google_token: Option<String>,
    /// A license key valid for the community: no CAPTCHA then.
    license: Option<String>,
}

impl std::fmt::Debug for RequestInviteRequest {
    /// Without the tokens or the license.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestInviteRequest").field("communityId", &self.communityId).finish_non_exhaustive()
    }
}

/// User Request invites.
///
/// The user of `user_token` (from `POST /users/find`) asks for an invitation: an access code is
/// made (as `PUT /users/invite` does, with the community's default `invite` template) and its
/// link emailed to the user's own `deliveryMethod` address (`email1` or `email2`) as users-mgmt
/// holds it. Needs `google_token` (the CAPTCHA) unless `license` is valid for the community; at
/// most 5 requests per user per hour (429). Before any login, anyone may call it: the reply holds
/// `emailResult`, the code's `id` and `expiresAt`, never the link or the code, which only the
/// user's mailbox receives. A forged, expired or foreign `user_token`: 401.
#[utoipa::path(
    post,
    path = "/users/request/invite",
    request_body = Sealable<RequestInviteRequest>,
    responses(
        (status = 200, description = "`emailResult`, `id`, `expiresAt`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or deliveryMethod, no such address, a missing or refused CAPTCHA", body = ErrorBody),
        (status = 401, description = "Bad headers; an invalid or expired user_token", body = ErrorBody),
        (status = 404, description = "No such community, or no gateway for email", body = ErrorBody),
        (status = 429, description = "Too many requests for this user", body = ErrorBody),
        (status = 503, description = "users-mgmt, the gateway or the CAPTCHA verifier is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn request_invite(
    caller: Caller,
    body: Body<RequestInviteRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let named = Named { community_id: &r.communityId, tenant_id: Some(&r.tenantId), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let now = state.clock.epoch_secs();
    let user = user_token::open(&state.sealer, &r.user_token, &community.tenant_id, &community.id, now)
        .map_err(|e| ApiError::unauthorized(e.to_string()))?;
    let field = match r.deliveryMethod.trim() {
        m @ ("email1" | "email2") => m,
        _ => return Err(ApiError::bad_request("deliveryMethod must be email1 or email2").into()),
    };
    human_or_licensed(&state, &community, "google_token", given(r.google_token.as_ref()), given(r.license.as_ref()))
        .await?;
    let record = user_record(&state, &community, &user.module_id, &user.username).await?;
    if record["uid"].as_str() != Some(user.uid.as_str()) {
        return Err(ApiError::unauthorized(user_token::Invalid.to_string()).into());
    }
    let to = record[field].as_str().map(str::trim).filter(|a| !a.is_empty());
    let to = to.ok_or_else(|| ApiError::bad_request(format!("deliveryMethod: the user has no {field}")))?;
    if !state.access_codes.count_request(&community.id, &user.uid).await? {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too many invitations were requested for this user: try again in an hour",
        )
        .into());
    }
    let draft = Draft {
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        uid: user.uid.clone(),
        username: user.username.clone(),
        module_id: user.module_id.clone(),
        email_to: Some(email(field, to).map_err(|_| {
            ApiError::bad_request(format!("deliveryMethod: the user's {field} is not an email address"))
        })?),
        sms_to: None,
        template_key: message::DEFAULT_TEMPLATE.to_owned(),
        created_by: user.username.clone(),
        created_by_uid: user.uid.clone(),
    };
    let issued = state.access_codes.issue(draft, now).await?;
    let text = |f: &str| record[f].as_str().unwrap_or_default().to_owned();
    let names = json!({"firstname": text("firstname"), "lastname": text("lastname"), "username": user.username});
    let (results, link) = deliver(&state, &community, &issued, &TemplateChoice::Default, &names, now).await?;
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply(results, link, &issued, false))?)
}
