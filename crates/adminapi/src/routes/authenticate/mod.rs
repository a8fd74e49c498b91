//! The catalog group Authenticate: admin console login (`POST /verifyuser`) and logout
//! (`GET /logout`). The password is checked by users-mgmt (`user/authenticate` in the
//! community's db module, over the signed service client); on success adminapi opens a login
//! session ([`crate::domain::login`]) with the user's role ([`crate::domain::authz`]) and answers
//! its access JWT. A one-time passcode (`otp`) signs in the same way: users-mgmt checks it
//! through adminapi's `POST /api/r2/otp/verify` ([`crate::domain::otp`]), with its lockout and
//! its refusal of locked and disabled users. The OTP journey of the login page (`POST /users/find`,
//! `PUT /generate/otp`, `POST /authenticate`) is in [`journey`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::authz;
use crate::domain::community_settings::SessionEnvironment;
use crate::domain::login::LoginSession;
use crate::session::{AdminSession, LoggedIn};
use crate::users_mgmt::Factors;

mod journey;

/// The endpoints of the group built so far.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![endpoint!(verify_user), endpoint!(logout)];
    all.extend(journey::endpoints());
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

/// Signs `username` in to `community` with its `factors` (at least one): users-mgmt checks them
/// in the community's db module; the login session gets the user's role. With `uid`, the user
/// must be that one (a username given to another user since). Every refusal of the user is the
/// same 401.
pub(crate) async fn sign_in(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    username: &str,
    factors: Factors<'_>,
    uid: Option<&str>,
) -> AppResult<SignedIn> {
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
    if uid.is_some_and(|expected| user["uid"].as_str() != Some(expected)) {
        tracing::info!("login refused: the username names another user now");
        return Err(refused().into());
    }
    open_login(state, platform, community, module, user).await
}

/// Opens a login session for `user` (users-mgmt's record of a user of `module`, who proved who
/// they are) with the user's role, and answers it with the access token and `roles`.
pub(crate) async fn open_login(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    module: String,
    mut user: Value,
) -> AppResult<SignedIn> {
    let (Some(uid), Some(name)) = (user["uid"].as_str(), user["username"].as_str()) else {
        tracing::error!("users-mgmt answered a user without uid or username");
        return Err(ApiError::internal().into());
    };
    let role = authz::role_of(&*state.stores.authz, &community.id, uid).await?;
    let session = LoginSession {
        sid: String::new(),
        uid: uid.to_owned(),
        username: name.to_owned(),
        module_id: module,
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        role,
        expires_at: 0,
    };
    let now = envelope::wire::now_epoch();
    let age = state.configs.get::<SessionEnvironment>(&community.id).await?.sessionMaxAgeMinute;
    let ttl = age.map_or(state.sessions.ttl, |minutes| std::time::Duration::from_secs(minutes.saturating_mul(60)));
    let (session, token) = state.sessions.open_for(&platform.keys, session, now, ttl).await?;
    tracing::info!(role = %session.role, "user signed in");
    user["roles"] = json!([session.role]);
    Ok(SignedIn { user, token })
}

/// Sign in (verify a user).
///
/// `username` and `password` and / or `otp` (a one-time passcode from `PUT /generate/otp`, or a
/// helpdesk passcode; single use) of a user of the community's db module, checked by users-mgmt.
/// Answers the user (with `roles`) and `jwt_token`, the access JWT to send as `authorization`
/// (`Bearer <jwt>` or bare) to the endpoints that need a login; it names a login session that
/// `GET /logout` ends. A wrong password or passcode, an unknown, locked or disabled user: the
/// same 401. No license: the caller's keys only.
#[utoipa::path(
    post,
    path = "/verifyuser",
    request_body = Sealable<VerifyUserRequest>,
    responses(
        (status = 200, description = "`user` and `jwt_token`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, no password nor otp", body = ErrorBody),
        (status = 401, description = "Invalid username or credentials", body = ErrorBody),
        (status = 404, description = "No such tenant and community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_user(
    caller: Caller,
    body: Body<VerifyUserRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let named = Named { community_id: &r.community_id, tenant_id: Some(&r.tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let factors = Factors::given(r.password.as_deref(), r.otp.as_deref());
    if factors.is_empty() {
        return Err(ApiError::bad_request("password or otp is required").into());
    }
    let signed = sign_in(&state, &platform, &community, &r.username, factors, None).await?;
    let reply = json!({"user": signed.user, "jwt_token": signed.token});
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Log out.
///
/// Ends the login session of the `authorization` token, on every adminapi instance at once: the
/// token is refused (401) from then on. 204.
#[utoipa::path(get, path = "/logout", responses((status = 204, description = "Logged out")))]
#[tracing::instrument(skip_all)]
pub async fn logout(admin: AdminSession<LoggedIn>, state: web::Data<State>) -> AppResult<HttpResponse> {
    state.sessions.close(&admin.session, envelope::wire::now_epoch()).await?;
    tracing::info!("user logged out");
    Ok(HttpResponse::NoContent().finish())
}
