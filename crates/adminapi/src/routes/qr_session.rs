//! The catalog group Session: the admin console's QR login over the sessions service
//! ([`crate::domain::qr_login`]). `PUT /session/new` opens a session at the sessions service in
//! adminapi's name and answers where the phone finds it; `POST /session/response/fetch` takes the
//! phone's answer, once, for the browser that asked, and signs in the user whose linked device
//! answered ([`crate::domain::devices`]) — or, for a session of purpose `link` fetched with the
//! user's token, links the device to that user.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use subtle::ConstantTimeEq as _;
use utoipa::ToSchema;

use crate::State;
use crate::domain::devices::{self, Device};
use crate::domain::login::LoginSession;
use crate::domain::qr_login::{Answer, Pending, Purpose, open_answer};
use crate::routes::authenticate::{Checked, open_session};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(new_session), endpoint!(fetch_response)]
}

/// The longest text field of a session.
const MAX_TEXT: usize = 2048;

/// Body of `PUT /session/new`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct QrSessionRequest {
    tag: String,
    url: String,
    community_name: String,
    tenant_id: String,
    community_id: String,
    auth_page: Option<String>,
    scopes: Option<String>,
    authtype: String,
    /// `purpose` (`authentication`, the default, or `link`), `username`, `saml`, `oidc`,
    /// `authenticationType`: kept with the session.
    #[schema(value_type = Option<Object>)]
    metadata: Option<Map<String, Value>>,
}

fn bounded(field: &str, value: &str, required: bool) -> Result<(), ApiError> {
    if required && value.trim().is_empty() {
        return Err(ApiError::bad_request(format!("{field} is required")));
    }
    if value.len() > MAX_TEXT {
        return Err(ApiError::bad_request(format!("{field} is longer than {MAX_TEXT} bytes")));
    }
    Ok(())
}

/// Create a new session.
///
/// Opens a QR session at the sessions service for the community (`tenantId`, `communityId`,
/// whose name must be `communityName`: 404 otherwise) and answers `sessionId`, `sessionUrl` (the
/// sessions service the phone answers at) and `sessionEnv`. Only the caller's `publickey` may
/// fetch the answer. `metadata.purpose`: `authentication` (default) or `link`. No license.
#[utoipa::path(
    put,
    path = "/session/new",
    request_body = Sealable<QrSessionRequest>,
    responses(
        (status = 200, description = "`sessionId`, `sessionUrl`, `sessionEnv`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 404, description = "No such tenant and community, or another community name", body = ErrorBody),
        (status = 503, description = "The sessions service is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn new_session(
    caller: Caller,
    body: Body<QrSessionRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    for (field, value, required) in [
        ("tag", r.tag.as_str(), true),
        ("url", &r.url, true),
        ("authtype", &r.authtype, true),
        ("authPage", r.auth_page.as_deref().unwrap_or_default(), false),
        ("scopes", r.scopes.as_deref().unwrap_or_default(), false),
    ] {
        bounded(field, value, required)?;
    }
    let metadata = r.metadata.unwrap_or_default();
    let purpose = Purpose::parse(metadata.get("purpose").and_then(Value::as_str))?;
    let community = named_community(&platform, &r.tenant_id, &r.community_id).await?;
    if !community.name.eq_ignore_ascii_case(r.community_name.trim()) {
        return Err(ApiError::not_found("no community of this tenant has this id and name").into());
    }
    let mut origin = json!({"tag": r.tag, "url": r.url, "communityName": community.name, "communityId": community.id});
    if let Some(page) = r.auth_page {
        origin["authPage"] = json!(page);
    }
    let session = json!({"origin": origin, "scopes": r.scopes.unwrap_or_default(), "authtype": r.authtype,
                         "metadata": metadata});
    let created = state.sessions_service.call(Method::PUT, "/session/new", &session).await?;
    let Some(session_id) = created["sessionId"].as_str().filter(|id| !id.is_empty()) else {
        tracing::warn!("the sessions service answered a session without sessionId");
        return Err(ApiError::unavailable("the sessions service is unavailable, try again").into());
    };
    let pending = Pending {
        caller: caller.public_key().to_owned(),
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        purpose,
    };
    state.qr_logins.remember(session_id, &pending).await?;
    let links = &state.qr_logins;
    let url = links.session_url.as_deref().or(state.sessions_service.url()).unwrap_or_default();
    let reply = json!({"sessionId": session_id, "sessionUrl": url, "sessionEnv": links.session_env});
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /session/response/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SessionResponseRequest {
    session_id: String,
    tenant_id: String,
    community_id: String,
    transient: Option<bool>,
    /// `qr`, `stepUp` or `push`.
    authenticate_method: Option<String>,
    #[schema(value_type = Option<Object>)]
    alias_used: Option<Value>,
}

/// Fetch session response.
///
/// The phone's answer to a session opened by `PUT /session/new`, for the caller that opened it
/// (403 for another `publickey`), once. 404 until the phone answers; 410 when the session expired
/// or was fetched. For an `authentication` session: the user whose device, linked with the key it
/// answered with, answered — `{user, pon_data, jwt_token}` (401 for a device linked to nobody, a
/// locked or disabled user; with an `authorization` token, the device must be its user's: a step
/// up). For a `link` session the `authorization` token is required: the device is linked to its
/// user (`{user, pon_data, message}`; 409 when it is another user's).
#[utoipa::path(
    post,
    path = "/session/response/fetch",
    request_body = Sealable<SessionResponseRequest>,
    responses(
        (status = 200, description = "`user`, `pon_data` and `jwt_token` (or `message` for a link), sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, or an answer that cannot be opened", body = ErrorBody),
        (status = 401, description = "A device linked to nobody, a refused user, a bad token", body = ErrorBody),
        (status = 403, description = "Another caller's session, or a device of another user", body = ErrorBody),
        (status = 404, description = "No such session, or no answer yet", body = ErrorBody),
        (status = 409, description = "The device is linked to another user", body = ErrorBody),
        (status = 410, description = "The session expired or was fetched", body = ErrorBody),
        (status = 503, description = "The sessions service or users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_response(
    req: HttpRequest,
    caller: Caller,
    body: Body<SessionResponseRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let session_id = uuid::Uuid::parse_str(r.session_id.trim())
        .map_err(|_| ApiError::bad_request("sessionId must be a session id (a UUID)"))?
        .to_string();
    let _ = (r.transient, r.authenticate_method, r.alias_used);
    let community = named_community(&platform, &r.tenant_id, &r.community_id).await?;
    let token_user = match req.headers().contains_key("authorization") {
        true => Some(state.gate.session(&req).await?),
        false => None,
    };
    let Some(pending) = state.qr_logins.pending(&session_id).await? else {
        return Err(ApiError::not_found("no pending session has this sessionId").into());
    };
    if !bool::from(pending.caller.as_bytes().ct_eq(caller.public_key().as_bytes())) {
        return Err(ApiError::forbidden("the session was opened by another caller").into());
    }
    if pending.community_id != community.id {
        return Err(ApiError::not_found("no pending session has this sessionId in this community").into());
    }
    let path = format!("/session/{session_id}/response");
    let reply = match state.sessions_service.get(&path).await {
        Ok(reply) => reply,
        Err(e) if e.status() == StatusCode::GONE => {
            state.qr_logins.finish(&session_id).await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    // From here the answer is consumed at the sessions service: the session ends either way.
    state.qr_logins.finish(&session_id).await?;
    let answer = open_answer(&platform.keys, &reply)?;
    let reply = match pending.purpose {
        Purpose::Link => {
            let owner =
                token_user.ok_or_else(|| ApiError::unauthorized("authorization is required to link a device"))?;
            link_device(&state, &community, &owner, answer).await?
        }
        Purpose::Authentication => sign_in_device(&state, &platform, &community, token_user.as_ref(), &answer).await?,
    };
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// The community of `tenantId` and `communityId` (404 when there is none).
async fn named_community(platform: &Platform, tenant_id: &str, community_id: &str) -> AppResult<CommunityRef> {
    bounded("tenantId", tenant_id, true)?;
    bounded("communityId", community_id, true)?;
    let named = Named { community_id, tenant_id: Some(tenant_id), community_name: None };
    Ok(locate(&**platform.directory, named).await?)
}

/// users-mgmt's record of `username` in `module`, refused (401) when it is locked or disabled.
async fn active_user(state: &State, community: &CommunityRef, module: &str, username: &str) -> AppResult<Value> {
    let refused = || ApiError::unauthorized("the device's user may not sign in");
    let path = UsersMgmt::community_path(community, "/user/fetch_single_user_by_username");
    let found = state.users_mgmt.call(Method::POST, &path, &json!({"authModule": module, "username": username})).await;
    let user = match found {
        Ok(mut found) => found["data"].take(),
        Err(e) if e.status() == StatusCode::NOT_FOUND => return Err(refused().into()),
        Err(e) => return Err(e.into()),
    };
    if user["disabled"] == true || user["status"].as_str().is_some_and(|s| s != "active") {
        return Err(refused().into());
    }
    let status = state
        .users_mgmt
        .call(Method::POST, &UsersMgmt::community_path(community, "/user/status"), &json!({"username": username}))
        .await?;
    if status["reasons"].as_array().is_some_and(|r| !r.is_empty()) {
        return Err(refused().into());
    }
    Ok(user)
}

/// Links the answering device to the token's user.
async fn link_device(
    state: &State,
    community: &CommunityRef,
    owner: &LoginSession,
    answer: Answer,
) -> AppResult<Value> {
    if owner.community_id != community.id {
        return Err(ApiError::forbidden("the login session may not act in this community").into());
    }
    if answer.username.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(&owner.username)) {
        return Err(ApiError::forbidden("the device answered for another user").into());
    }
    let user = active_user(state, community, &owner.module_id, &owner.username).await?;
    let now = state.clock.epoch_secs();
    let device = Device {
        id: kit::ids::new_object_id(),
        tenant_id: community.tenant_id.clone(),
        community_id: community.id.clone(),
        uid: owner.uid.clone(),
        username: owner.username.clone(),
        module_id: owner.module_id.clone(),
        did: answer.did,
        public_key: answer.public_key,
        app_id: answer.app_id,
        ial: answer.ial,
        details: answer.details,
        created_at: now,
        updated_at: now,
    };
    let device = devices::link(&*state.stores.devices, device).await?;
    tracing::info!("device linked to a user");
    Ok(json!({"user": user, "pon_data": device.person_view(), "message": "the device is linked"}))
}

/// Signs in the user whose linked device answered.
async fn sign_in_device(
    state: &State,
    platform: &Platform,
    community: &CommunityRef,
    token_user: Option<&LoginSession>,
    answer: &Answer,
) -> AppResult<Value> {
    let linked =
        devices::signing_device(&*state.stores.devices, &community.id, &answer.did, &answer.public_key).await?;
    let Some(device) = linked else {
        tracing::info!("QR login refused: the device is not linked in the community");
        return Err(ApiError::unauthorized("the device is not linked to a user of this community").into());
    };
    if answer.username.as_deref().is_some_and(|u| !u.eq_ignore_ascii_case(&device.username)) {
        return Err(ApiError::unauthorized("the device answered for another user").into());
    }
    if token_user.is_some_and(|s| s.uid != device.uid || s.community_id != device.community_id) {
        return Err(ApiError::forbidden("the device is not the logged-in user's").into());
    }
    let user = active_user(state, community, &device.module_id, &device.username).await?;
    if user["uid"].as_str() != Some(device.uid.as_str()) {
        tracing::info!("QR login refused: the device's username names another user now");
        return Err(ApiError::unauthorized("the device's user may not sign in").into());
    }
    // A linked device is a login of its own (the wallet's key, and what the app asked of its
    // holder): the authentication journeys, which govern password logins, do not apply.
    let checked =
        Checked { user, module: device.module_id.clone(), uid: device.uid.clone(), username: device.username.clone() };
    let signed = open_session(state, platform, community, checked).await?;
    Ok(json!({"user": signed.user, "pon_data": device.person_view(), "jwt_token": signed.token}))
}
