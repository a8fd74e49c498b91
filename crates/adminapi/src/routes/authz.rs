//! The catalog groups Authz, Authz V 2 and Permission: the built-in roles
//! ([`crate::domain::roles`]) and who has which ([`crate::domain::authz`]), for a logged-in user.
//! Anyone logged in reads the roles and their own assignment and permissions; another user's
//! need `users.read`.

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::authz::{self, Assignment};
use crate::domain::roles::{self, Role, permission};
use crate::session::{AdminSession, LoggedIn};

/// The endpoints of the Authz group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(role_names), endpoint!(role_by_name), endpoint!(authorizations)]
}

/// The endpoints of the Authz V 2 group.
pub fn v2_endpoints() -> Vec<Endpoint> {
    vec![endpoint!(role_names_v2)]
}

/// The endpoints of the Permission group.
pub fn permission_endpoints() -> Vec<Endpoint> {
    vec![endpoint!(user_permissions)]
}

fn role_json(role: &Role, tenant_id: &str, community_id: &str) -> Value {
    json!({
        "id": role.name,
        "name": role.name,
        "description": role.description,
        "createdBy": "system",
        "permissions": role.permissions,
        "scope": match role.scope {
            roles::Scope::Instance => "instance",
            roles::Scope::Tenant => "tenant",
            roles::Scope::Community => "community",
        },
        "tenantId": tenant_id,
        "communityId": community_id,
    })
}

fn names() -> Vec<&'static str> {
    roles::ROLES.iter().map(|r| r.name).collect()
}

/// Fetch role names.
///
/// The names of the roles a user can be given. Any logged-in user.
#[utoipa::path(get, path = "/authz/role/fetch", responses((status = 200, description = "The role names", body = Vec<String>)))]
#[tracing::instrument(skip_all)]
pub async fn role_names(admin: AdminSession<LoggedIn>) -> AppResult<HttpResponse> {
    Ok(admin.caller.reply(&names())?)
}

/// Fetch role names (v2).
///
/// As `GET /authz/role/fetch`. Any logged-in user.
#[utoipa::path(get, path = "/v2/authz/roles/fetch", responses((status = 200, description = "The role names", body = Vec<String>)))]
#[tracing::instrument(skip_all)]
pub async fn role_names_v2(admin: AdminSession<LoggedIn>) -> AppResult<HttpResponse> {
    Ok(admin.caller.reply(&names())?)
}

/// Path of `GET /authz/role/fetch/{roleName}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RolePath {
    role_name: String,
}

/// Fetch a role.
///
/// The role's description, scope and permissions. Any logged-in user.
#[utoipa::path(
    get,
    path = "/authz/role/fetch/{roleName}",
    params(("roleName" = String, Path)),
    responses(
        (status = 200, description = "The role", body = Object),
        (status = 404, description = "No such role", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn role_by_name(admin: AdminSession<LoggedIn>, path: web::Path<RolePath>) -> AppResult<HttpResponse> {
    let role = roles::find(path.role_name.trim()).ok_or_else(|| ApiError::not_found("no role has this roleName"))?;
    let s = &admin.session;
    Ok(admin.caller.reply(&role_json(role, &s.tenant_id, &s.community_id))?)
}

/// Body of `POST /authz/authorization/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AuthorizationsRequest {
    /// `user`.
    object_type: Option<String>,
    /// The user's uid; every user of the community when absent (needs `users.read`).
    object_id: Option<String>,
    /// `community`.
    subject_type: Option<String>,
    /// The community (default: the session's).
    subject_id: Option<String>,
}

fn assignment_json(a: &Assignment) -> Value {
    let role = roles::find(&a.role);
    json!({
        "id": a.id,
        "subjectType": "community",
        "subjectId": a.community_id,
        "objectType": "user",
        "objectId": a.uid,
        "role": {
            "name": a.role,
            "createdBy": a.created_by,
            "description": role.map(|r| r.description),
            "permissions": role.map(|r| r.permissions).unwrap_or_default(),
        },
    })
}

/// The community a request names (the session's by default), checked against the session.
fn subject<P>(
    admin: &AdminSession<P>,
    subject_type: Option<&str>,
    subject_id: Option<&str>,
) -> Result<String, ApiError> {
    if subject_type.is_some_and(|t| t != "community") {
        return Err(ApiError::bad_request("subjectType must be community"));
    }
    let community = subject_id.map_or_else(|| admin.session.community_id.clone(), str::to_ascii_lowercase);
    admin.require_community(&admin.session.tenant_id, &community)?;
    Ok(community)
}

/// Fetch authorizations.
///
/// The roles given to users of a community (`subjectId`, default the session's): the one of
/// `objectId` (a uid), or every one. A user reads their own; another user's, or all, need
/// `users.read`. A user without an assignment has the role `user` and no entry.
#[utoipa::path(
    post,
    path = "/authz/authorization/fetch",
    request_body = Sealable<AuthorizationsRequest>,
    responses(
        (status = 200, description = "The assignments, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "objectType other than user, subjectType other than community", body = ErrorBody),
        (status = 403, description = "Another user's without users.read, or another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn authorizations(
    admin: AdminSession<LoggedIn>,
    body: Body<AuthorizationsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    if r.object_type.as_deref().is_some_and(|t| t != "user") {
        return Err(ApiError::bad_request("objectType must be user").into());
    }
    let community = subject(&admin, r.subject_type.as_deref(), r.subject_id.as_deref())?;
    let found = match r.object_id.as_deref().map(str::trim) {
        Some(uid) => {
            if uid != admin.session.uid {
                admin.require(permission::USERS_READ)?;
            }
            state.stores.authz.assignment(&community, uid).await?.into_iter().collect()
        }
        None => {
            admin.require(permission::USERS_READ)?;
            state.stores.authz.list(&community).await?
        }
    };
    let reply: Vec<Value> = found.iter().map(assignment_json).collect();
    Ok(admin.caller.reply_like(encrypted, actix_web::http::StatusCode::OK, &reply)?)
}

/// Body of `POST /permission/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PermissionsRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    uid: String,
}

/// Fetch a user's permissions.
///
/// The permissions the user `uid` of the community has through their role, one entry each. A
/// user reads their own; another user's need `users.read`.
#[utoipa::path(
    post,
    path = "/permission/fetch",
    request_body = Sealable<PermissionsRequest>,
    responses(
        (status = 200, description = "The permissions, sealed when the request was", body = Sealable<Object>),
        (status = 403, description = "Another user's without users.read, or another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn user_permissions(
    admin: AdminSession<LoggedIn>,
    body: Body<PermissionsRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = &r.module_id;
    let community = r.community_id.trim().to_ascii_lowercase();
    admin.require_community(r.tenant_id.trim(), &community)?;
    if r.uid.trim() != admin.session.uid {
        admin.require(permission::USERS_READ)?;
    }
    let role_name = authz::role_of(&*state.stores.authz, &community, r.uid.trim()).await?;
    let role = roles::find(&role_name);
    let reply: Vec<Value> = role
        .map(|role| role.permissions)
        .unwrap_or_default()
        .iter()
        .map(|p| {
            json!({
                "_id": format!("{}:{}", role_name, p),
                "permission": p,
                "objectId": r.uid.trim(),
                "objectType": "user",
                "subjectId": community,
                "subjectType": "community",
                "createdBy": "system",
            })
        })
        .collect();
    Ok(admin.caller.reply_like(encrypted, actix_web::http::StatusCode::OK, &reply)?)
}
