//! The catalog group System User: users of type `systemuser` (`communityId` any, role none) of a
//! tenant, created, fetched, changed and given a new password with a system or service key, and
//! authenticated with any valid key. Their paths name no tenant or community: the tenant is the
//! body's `tenantId` (create, update, query), and a username names one system user.
//!
//! Bodies may be sealed or plain (the reference's preview); replies are sealed for the caller
//! when the request was. Passwords and hashes never appear in a reply or a log line.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, DomainError, Endpoint, Licensed, SystemOrService, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;
use utoipa::ToSchema;

use crate::State;
use crate::domain::password_policy::PasswordPolicy;
use crate::domain::system_users::{self, NewSystemUser};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create_system_user),
        endpoint!(fetch_system_users),
        endpoint!(update_system_user),
        endpoint!(authenticate_system_user),
        endpoint!(change_system_user_password),
    ]
}

/// The largest page of `systemusers/fetch`.
pub const MAX_PAGE_SIZE: u64 = 100;

/// What every failed authentication is told, whatever failed.
const REFUSED: &str = "invalid username or password";

/// The default policy's verdict on `password`, naming the broken rules (never the password).
fn check_password(password: &str, username: &str) -> Result<(), DomainError> {
    PasswordPolicy::default().check(password, username).map_err(|broken| DomainError::Invalid(broken.join("; ")))
}

/// Create system user.
///
/// A system or service key creates a system user of the body's `tenantId` (24 hex digits):
/// type systemuser, `communityId` any, `roleValue` none whatever is given. `username`,
/// `password` (the default policy: at least 8 characters, not the username), `firstname`,
/// `lastname`, `email1` and `email1_verified` are required; 409 when the username is taken.
#[utoipa::path(
    put,
    path = "/systemuser",
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "The created system user, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a password the policy refuses", body = ErrorBody),
        (status = 409, description = "The username is taken", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_system_user(
    auth: Licensed<SystemOrService>,
    body: Body<NewSystemUser>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let user = system_users::new_system_user(&value)?;
    check_password(&value.password, &user.username)?;
    let hash = state.hasher.hash(value.password).await?;
    state.stores.system_users.insert(&user, &hash).await.map_err(|e| match e {
        kit::StoreError::Conflict(_) => DomainError::Conflict("username is taken by another system user".into()),
        other => other.into(),
    })?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &user.to_reply(&[]))?)
}

/// Body of `systemusers/fetch`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct FetchSystemUsersRequest {
    /// Page number from 0.
    #[serde(default)]
    pIndex: u64,
    /// Page size, default 25, at most 100.
    pSize: Option<u64>,
    /// Equality on username, uid, tenantId, status, email1, firstname, lastname.
    #[schema(value_type = Option<Object>)]
    query: Option<Map<String, Value>>,
    /// The attributes to return (the identity is always returned).
    #[serde(default)]
    attributes: Vec<String>,
    /// An auth module for attribute mapping: not supported (system users are in no community).
    #[serde(rename = "authModule")]
    auth_module: Option<String>,
}

/// Fetch all system users.
///
/// A page (`pIndex`, `pSize` ≤ 100) of the system users matching `query`, by username, with
/// `page.total`; `attributes` narrows what is returned of each. Attribute mapping through an
/// `authModule` is refused (400): modules belong to communities, system users to none.
#[utoipa::path(
    post,
    path = "/systemusers/fetch",
    request_body = Sealable<FetchSystemUsersRequest>,
    responses(
        (status = 200, description = "`page` and `data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or query, an authModule", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_system_users(
    auth: Licensed<SystemOrService>,
    body: Body<FetchSystemUsersRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.auth_module.as_deref().is_some_and(|m| !m.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "authModule cannot map the attributes of system users: they belong to no community",
        )
        .into());
    }
    let query = system_users::parse_query(r.query.as_ref())?;
    let size = r.pSize.unwrap_or(25).clamp(1, MAX_PAGE_SIZE);
    let offset = r.pIndex.saturating_mul(size);
    let (users, total) = state.stores.system_users.page(&query, offset, size).await?;
    let data: Vec<Value> = users.iter().map(|u| u.to_reply(&r.attributes)).collect();
    let reply = json!({"page": {"index": r.pIndex, "total": total, "size": size}, "data": data});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// A system user's path.
#[derive(Debug, Deserialize)]
pub struct UidPath {
    uid: String,
}

/// Update system user.
///
/// Only the fields given change (tenantId, status active / locked / disabled, disabled, the
/// profile); `roleValue`, `uid`, `username` and `password` never do, and `type` stays
/// systemuser (400).
#[utoipa::path(
    patch,
    path = "/systemuser/{uid}",
    params(("uid" = String, Path)),
    request_body = Sealable<Object>,
    responses(
        (status = 200, description = "The updated system user, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A field that cannot change, a bad value", body = ErrorBody),
        (status = 404, description = "No such system user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_system_user(
    auth: Licensed<SystemOrService>,
    path: web::Path<UidPath>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: changes, encrypted } = body;
    let store = &*state.stores.system_users;
    let not_found = || ApiError::not_found("system user not found");
    let uid = path.uid.trim().to_ascii_lowercase();
    let user = store.get(&uid).await?.ok_or_else(not_found)?;
    let next = system_users::updated(&user, &changes)?;
    store.update(&next).await?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &next.to_reply(&[]))?)
}

/// Body of `systemuser/authenticate`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemUserAuthenticateRequest {
    username: String,
    password: String,
}

impl std::fmt::Debug for SystemUserAuthenticateRequest {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemUserAuthenticateRequest").finish_non_exhaustive()
    }
}

/// A hash no password matches, checked when the username is unknown so that an unknown user
/// costs the same time as a wrong password.
static DUMMY_HASH: OnceCell<String> = OnceCell::const_new();

/// Verify system user password.
///
/// Any valid key. `{"status": true}` when the password is the system user's and the user is
/// active and not disabled; otherwise 401 with the same message whatever failed (an unknown
/// user, a wrong password, a locked or disabled user).
#[utoipa::path(
    post,
    path = "/systemuser/authenticate",
    request_body = Sealable<SystemUserAuthenticateRequest>,
    responses(
        (status = 200, description = "`{\"status\": true}`, sealed when the request was", body = Sealable<Object>),
        (status = 401, description = "Refused", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn authenticate_system_user(
    auth: Licensed<AnyLevel>,
    body: Body<SystemUserAuthenticateRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let found = state.stores.system_users.by_username(&r.username).await?;
    let ok = match found {
        Some((user, hash)) => state.hasher.verify(r.password, hash).await? && user.can_authenticate(),
        None => {
            let dummy =
                DUMMY_HASH.get_or_try_init(|| state.hasher.hash(uuid::Uuid::new_v4().to_string())).await?.clone();
            let _ = state.hasher.verify(r.password, dummy).await?;
            false
        }
    };
    if !ok {
        return Err(ApiError::unauthorized(REFUSED).into());
    }
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": true}))?)
}

/// Body of `systemuser/changepassword`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SystemUserChangePasswordRequest {
    username: String,
    new_password: String,
}

impl std::fmt::Debug for SystemUserChangePasswordRequest {
    /// Without the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemUserChangePasswordRequest").finish_non_exhaustive()
    }
}

/// Change system user password.
///
/// A system or service key sets the system user's password (the default policy); the old one
/// stops working at once. An empty reply; 404 for an unknown username.
#[utoipa::path(
    post,
    path = "/systemuser/changepassword",
    request_body = Sealable<SystemUserChangePasswordRequest>,
    responses(
        (status = 200, description = "Empty"),
        (status = 400, description = "A bad body, a password the policy refuses", body = ErrorBody),
        (status = 404, description = "No such system user", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn change_system_user_password(
    _auth: Licensed<SystemOrService>,
    body: Body<SystemUserChangePasswordRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, .. } = body;
    let store = &*state.stores.system_users;
    let (user, _) =
        store.by_username(&r.username).await?.ok_or_else(|| ApiError::not_found("system user not found"))?;
    check_password(&r.new_password, &user.username)?;
    let hash = state.hasher.hash(r.new_password).await?;
    store.set_password_hash(&user.uid, &hash).await?;
    Ok(HttpResponse::Ok().finish())
}
