//! The catalog group Authenticate: admin console login (`POST /verifyuser`) and logout
//! (`GET /logout`). The password is checked by users-mgmt (`user/authenticate` in the
//! community's db module, over the signed service client); on success adminapi opens a login
//! session ([`crate::domain::login`]) with the user's role ([`crate::domain::authz`]) and answers
//! its access JWT. A one-time passcode (`otp`) signs in the same way: users-mgmt checks it
//! through adminapi's `POST /api/r2/otp/verify` ([`crate::domain::otp`]), with its lockout and
//! its refusal of locked and disabled users. The OTP journey of the login page (`POST /users/find`,
//! `PUT /generate/otp`, `POST /authenticate`) is in [`journey`]. Every login goes through the
//! community's authentication journeys ([`steps`]): one may refuse it, or ask for a one-time
//! passcode after the password (`next: "otp"` and a `user_token` that `POST /authenticate` takes).
//! A Kerberos ticket signs in through [`kerberos`] (`GET …/request_access_with_kerberos`).

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

use crate::State;
use crate::domain::community_settings::SessionEnvironment;
use crate::domain::login::LoginSession;
use crate::domain::{authz, reports};
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::{Factors, UsersMgmt};

mod journey;
mod kerberos;
mod oidc_sso;
pub(crate) mod steps;

/// The endpoints of the group built so far.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![endpoint!(verify_user), endpoint!(logout)];
    all.extend(journey::endpoints());
    all.extend(oidc_sso::endpoints());
    all.extend(kerberos::endpoints());
    all
}

/// Body of `POST /verifyuser`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VerifyUserRequest {
    tenant_id: String,
    community_id: String,
    username: String,
    password: Option<String>,
    /// A one-time passcode sent by `PUT /generate/otp` or `POST /api/r2/otp/generate`, or a
    /// helpdesk passcode.
    otp: Option<String>,
}

impl std::fmt::Debug for VerifyUserRequest {
    /// Without the factors.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyUserRequest").field("community_id", &self.community_id).finish_non_exhaustive()
    }
}

/// A user signed in, and its access token.
pub(crate) struct SignedIn {
    pub user: Value,
    pub token: String,
}

/// A user whose factors users-mgmt accepted: their record (without its proof of
/// authentication), login module, uid and username.
pub(crate) struct Checked {
    pub user: Value,
    pub module: String,
    pub uid: String,
    pub username: String,
}

/// Checks `username`'s `factors` (at least one) at users-mgmt, in the community's db module. With
/// `uid`, the user must be that one (a username given to another user since). Every refusal of
/// the user is the same 401.
pub(crate) async fn check(
    state: &State,
    community: &CommunityRef,
    username: &str,
    factors: Factors<'_>,
    uid: Option<&str>,
) -> AppResult<Checked> {
    let refused = || ApiError::unauthorized("invalid username or credentials");
    let Some(module) = state.users_mgmt.login_module(community).await? else {
        tracing::info!("login refused: the community has no enabled db module");
        return Err(refused().into());
    };
    let mut user = state
        .users_mgmt
        .authenticate(community, &module, username, factors)
        .await
        .map_err(|e| if e.status() == StatusCode::UNAUTHORIZED { refused() } else { e })?;
    if let Value::Object(map) = &mut user {
        map.remove("proof_of_authentication_jwt");
    }
    let (Some(uid_found), Some(name)) = (user["uid"].as_str(), user["username"].as_str()) else {
        tracing::error!("users-mgmt authenticated a user without uid or username");
        return Err(ApiError::internal().into());
    };
    if uid.is_some_and(|expected| expected != uid_found) {
        tracing::info!("login refused: the username names another user now");
        return Err(refused().into());
    }
    let (uid, username) = (uid_found.to_owned(), name.to_owned());
    Ok(Checked { user, module, uid, username })
}

/// The user `uid` of `module`, whose factor adminapi checked itself (a security key): users-mgmt
/// must still hold that user under `username`, enabled and not locked (else the same 401 as any
/// refused login).
pub(crate) async fn check_verified(
    state: &State,
    community: &CommunityRef,
    module: &str,
    uid: &str,
    username: &str,
) -> AppResult<Checked> {
    let refused = || ApiError::unauthorized("invalid username or credentials");
    let path = UsersMgmt::community_path(community, "/user/fetch_single_user_by_username");
    let body = json!({"authModule": module, "username": username});
    let found = state.users_mgmt.call(Method::POST, &path, &body).await.map_err(|e| {
        if e.status() == StatusCode::NOT_FOUND || e.status() == StatusCode::BAD_REQUEST { refused() } else { e }
    })?;
    let mut user = found["data"].clone();
    if user["uid"].as_str() != Some(uid) {
        tracing::info!("login refused: the username names another user now");
        return Err(refused().into());
    }
    if user["disabled"] != Value::Bool(false) {
        tracing::info!("login refused: the user is disabled");
        return Err(refused().into());
    }
    let status = UsersMgmt::community_path(community, "/user/lock/status");
    let lock = state.users_mgmt.call(Method::POST, &format!("/v2{status}"), &json!({"userId": uid})).await?;
    if lock["locked"] != Value::Bool(false) {
        tracing::info!("login refused: the user is locked");
        return Err(refused().into());
    }
    let name = user["username"].as_str().unwrap_or(username).to_owned();
    if let Value::Object(map) = &mut user {
        map.remove("proof_of_authentication_jwt");
    }
    Ok(Checked { user, module: module.to_owned(), uid: uid.to_owned(), username: name })
}

/// Opens a login session for `checked` with the user's role and answers its access token.
pub(crate) async fn open_session(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    checked: Checked,
) -> AppResult<SignedIn> {
    let Checked { mut user, module, uid, username } = checked;
    let role = authz::role_of(&*state.stores.authz, &community.id, &uid).await?;
    let session = LoginSession {
        sid: String::new(),
        uid,
        username,
        module_id: module,
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        role,
        expires_at: 0,
        issued_at: 0,
    };
    let now = state.clock.epoch_secs();
    let age = state.configs.get::<SessionEnvironment>(&community.id).await?.sessionMaxAgeMinute;
    let ttl = age.map_or(state.sessions.ttl, |minutes| std::time::Duration::from_secs(minutes.saturating_mul(60)));
    let (session, token) = state.sessions.open_for(&platform.keys, session, now, ttl).await?;
    tracing::info!(role = %session.role, "user signed in");
    let event = reports::login_event(
        reports::names::LOGIN_SUCCEEDED,
        &community.tenant_id,
        &community.id,
        &session.username,
        &session.sid,
        state.clock.epoch_ms(),
    );
    reports::record_quietly(&*state.stores.report_events, &event).await;
    user["roles"] = json!([session.role]);
    Ok(SignedIn { user, token })
}

/// Sign in (verify a user).
///
/// `username` and `password` and / or `otp` (a one-time passcode from `PUT /generate/otp`, or a
/// helpdesk passcode; single use) of a user of the community's db module, checked by users-mgmt.
/// Then the community's authentication journey of the login decides (the client's address, the
/// `facts` header's `deviceId` and `deviceDomain`, the requesting app, the user's username and
/// groups): with none, or `allow`, the reply is the user (with `roles`) and `jwt_token`, the
/// access JWT to send as `authorization` (`Bearer <jwt>` or bare), naming a login session that
/// `GET /logout` ends. `deny`: 403. `mfa_required` after the password alone: the user,
/// `user_token` (300 s, single use) and `next: "otp"`, no JWT: `PUT /generate/otp` sends a
/// passcode and `POST /authenticate` with `user_token` and `passcode` finishes; the password and
/// `otp` together finish at once; `otp` without the password: 401. A wrong password or passcode,
/// an unknown, locked or disabled user: the same 401. No license: the caller's keys only.
#[utoipa::path(
    post,
    path = "/verifyuser",
    request_body = Sealable<VerifyUserRequest>,
    responses(
        (status = 200, description = "`user` and `jwt_token`; or `user`, `user_token` and `next`; sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or facts header, no password nor otp", body = ErrorBody),
        (status = 401, description = "Invalid username or credentials; a passcode without the password the journey requires", body = ErrorBody),
        (status = 403, description = "Denied by the community's authentication journey", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_user(
    caller: Caller,
    req: HttpRequest,
    body: Body<VerifyUserRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let facts = steps::RequestFacts::of(&req, &caller, &state)?;
    let named = Named { community_id: &r.community_id, tenant_id: Some(&r.tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let factors = Factors::given(r.password.as_deref(), r.otp.as_deref());
    if factors.is_empty() {
        return Err(ApiError::bad_request("password or otp is required").into());
    }
    let reply = match steps::log_in(&state, &platform, &facts, &community, &r.username, factors, None).await? {
        steps::Outcome::SignedIn(signed) => json!({"user": signed.user, "jwt_token": signed.token}),
        steps::Outcome::Next { user, token, .. } => json!({"user": user, "user_token": token, "next": "otp"}),
    };
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Log out.
///
/// Ends the login session of the `authorization` token, on every adminapi instance at once: the
/// token is refused (401) from then on. 204.
#[utoipa::path(get, path = "/logout", responses((status = 204, description = "Logged out")))]
#[tracing::instrument(skip_all)]
pub async fn logout(admin: AdminSession<LoggedIn>, state: web::Data<State>) -> AppResult<HttpResponse> {
    state.sessions.close(&admin.session, state.clock.epoch_secs()).await?;
    tracing::info!("user logged out");
    Ok(HttpResponse::NoContent().finish())
}
