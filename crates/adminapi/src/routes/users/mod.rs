//! The catalog group Users: user records, roles, locks and the logged-in user's profile, served
//! by calling users-mgmt (the system of record) over the signed client with adminapi's own
//! license, as the originals do. users-mgmt's refusals keep their status and message; an
//! unreachable users-mgmt is a 503 and nothing is half-done (each endpoint makes its one change
//! last). Invitations and access codes ([`crate::domain::access_codes`]) and linked devices
//! ([`crate::domain::devices`]) live in adminapi. The Users endpoints that need a later subsystem
//! (wallets, documents, phone verification, alternate MFA) answer 501.

mod access_codes;
mod devices;
mod find;
pub(crate) mod invitations;
pub(crate) mod invites;
mod locks;
mod phones;
mod profile;
mod records;
mod roles;

use envelope::ApiError;
use kit::AppResult;
use kit::Endpoint;
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use reqwest::Method;
use serde_json::json;

use crate::State;
use crate::domain::authz;
use crate::domain::roles::{self as role_model, Role};
use crate::session::AdminSession;
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group built so far.
pub fn endpoints() -> Vec<Endpoint> {
    [
        roles::endpoints(),
        records::endpoints(),
        locks::endpoints(),
        profile::endpoints(),
        find::endpoints(),
        phones::endpoints(),
        devices::endpoints(),
        invites::endpoints(),
        access_codes::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The community a request names, which must exist (404) and be within the session's reach (403).
pub(crate) async fn community_of<P>(
    platform: &Platform,
    admin: &AdminSession<P>,
    tenant_id: &str,
    community_id: &str,
) -> AppResult<CommunityRef> {
    let named = Named { community_id, tenant_id: Some(tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    admin.require_community(&community.tenant_id, &community.id)?;
    Ok(community)
}

/// The session's own community.
pub(crate) async fn home_of<P>(platform: &Platform, admin: &AdminSession<P>) -> AppResult<CommunityRef> {
    let s = &admin.session;
    community_of(platform, admin, &s.tenant_id, &s.community_id).await
}

/// The uid of `username` in `module` (404 when users-mgmt has no such user).
pub(crate) async fn uid_of(state: &State, community: &CommunityRef, module: &str, username: &str) -> AppResult<String> {
    let path = UsersMgmt::community_path(community, "/user/fetch_single_user_by_username");
    let found =
        state.users_mgmt.call(Method::POST, &path, &json!({"authModule": module, "username": username})).await?;
    Ok(found["data"]["uid"].as_str().map(str::to_owned).ok_or_else(|| ApiError::not_found("user not found"))?)
}

/// The role named `new`, when the session's role may give it.
pub(crate) fn givable<P>(admin: &AdminSession<P>, new: &str) -> AppResult<&'static Role> {
    let role = role_model::find(new.trim()).ok_or_else(|| {
        ApiError::bad_request(format!("newRole must be one of {}", role_model::ROLES.map(|x| x.name).join(", ")))
    })?;
    if !admin.role.may_give(role) {
        return Err(
            ApiError::forbidden(format!("the role {} may not give the role {}", admin.role.name, role.name)).into()
        );
    }
    Ok(role)
}

/// Refuses (409) an `old` role that is not the user's current one.
pub(crate) async fn check_current_role(state: &State, community: &CommunityRef, uid: &str, old: &str) -> AppResult<()> {
    let current = authz::role_of(&*state.stores.authz, &community.id, uid).await?;
    if current == old.trim() {
        Ok(())
    } else {
        Err(ApiError::conflict("oldRole is not the user's current role").into())
    }
}
