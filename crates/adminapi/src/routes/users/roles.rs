//! `PATCH /users/user/role/update`: the role is adminapi's ([`crate::domain::authz`]), the user
//! users-mgmt's (checked there).

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use super::{check_current_role, community_of, givable, uid_of};
use crate::State;
use crate::domain::authz;
use crate::session::{AdminSession, RolesManager};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of this module.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(update_user_role)]
}

/// Body of `PATCH /users/user/role/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleUpdateRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
    username: String,
    uid: String,
    /// Also disables (true) or enables (false) the user in users-mgmt.
    disabled: Option<bool>,
    /// The user's current role (`user` when they have none): the change is refused when it is
    /// not, so two administrators cannot overwrite each other unknowingly.
    old_role: String,
    new_role: String,
}

/// Update a user's role.
///
/// Gives `newRole` to the user (`uid`, which must be the uid of `username` in `moduleId` at
/// users-mgmt) in place of `oldRole`; with `disabled`, also disables or enables the user there.
/// An administrator gives only roles within their own: a community admin cannot make a tenant
/// admin. It applies from the user's next login. Needs `roles.manage`.
#[utoipa::path(
    patch,
    path = "/users/user/role/update",
    request_body = Sealable<RoleUpdateRequest>,
    responses(
        (status = 200, description = "`{status: true}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An unknown role, a bad body", body = ErrorBody),
        (status = 403, description = "A role beyond the administrator's own, or another community", body = ErrorBody),
        (status = 404, description = "No such community, or no such user", body = ErrorBody),
        (status = 409, description = "oldRole is not the user's current role", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_user_role(
    admin: AdminSession<RolesManager>,
    body: Body<RoleUpdateRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let new = givable(&admin, &r.new_role)?;
    if uid_of(&state, &community, &r.module_id, &r.username).await? != r.uid.trim() {
        return Err(ApiError::not_found("no user of moduleId has this username and uid").into());
    }
    check_current_role(&state, &community, r.uid.trim(), &r.old_role).await?;
    if let Some(disabled) = r.disabled {
        let update = json!({"authModule": r.module_id, "username": r.username, "disabled": disabled});
        state.users_mgmt.call(Method::PATCH, &UsersMgmt::community_path(&community, "/user/update"), &update).await?;
    }
    let uid = r.uid.trim();
    authz::assign(&*state.stores.authz, &community.tenant_id, &community.id, uid, new.name, &admin.session.uid).await?;
    tracing::info!(role = new.name, "a user's role changed");
    Ok(admin.caller.reply_like(encrypted, actix_web::http::StatusCode::OK, &json!({"status": true}))?)
}
