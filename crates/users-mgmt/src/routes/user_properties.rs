//! The catalog group User Properties: a user's mobiles, landlines and aliases, set with a
//! system, service or service_ext key authorized for the community (the router checks the
//! community), and returned by `users/fetch` and `fetch_single_user_by_username` with
//! `includeProperties`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::directory::Located;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, DomainError, Endpoint, Licensed, ServiceLevels, endpoint};

use crate::State;
use crate::domain::modules;
use crate::domain::user_properties::{self, PropertiesUpdate, UserProperties};
use crate::domain::users;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(update_user_properties)]
}

/// update user properties.
///
/// The user is named by `user.username` in the module `user.authModuleId` (which must be in the
/// community, enabled, and hold its users here: a directory module is 400); a `user.uid` given
/// must be that user's (404 otherwise). The `mobiles` and `landlines` given (digits only, at most
/// 10 each) replace the stored ones; each alias key given (`alias1` … `alias8`) is set, or
/// cleared by null. An alias names one user of the module whatever its case (409 otherwise).
/// The reply is the user's properties.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user_properties/update",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<PropertiesUpdate>,
    responses(
        (status = 200, description = "The user's properties, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, a module that is disabled or a directory", body = ErrorBody),
        (status = 404, description = "No such module or user", body = ErrorBody),
        (status = 409, description = "An alias of another user of the module", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_user_properties(
    auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<PropertiesUpdate>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let community_id = community.0.id.as_str();
    let module = modules::find_enabled(&*state.stores.modules, community_id, &value.user.auth_module_id).await?;
    if module.module_type.is_directory() {
        return Err(DomainError::Invalid(format!(
            "the users of a {} module live in its directory, which is not supported yet",
            module.module_type.name()
        ))
        .into());
    }
    let not_found = || ApiError::not_found("user not found");
    let name = users::username(&value.user.username)?;
    let user = state.stores.users.by_username(community_id, &module.id, &name).await?.ok_or_else(not_found)?;
    if value
        .user
        .uid
        .as_deref()
        .is_some_and(|uid| !uid.trim().is_empty() && !uid.trim().eq_ignore_ascii_case(&user.uid))
    {
        return Err(not_found().into());
    }
    let store = &*state.stores.user_properties;
    let current = store.get(&user.uid).await?.unwrap_or_else(|| UserProperties::empty(&user));
    let next = user_properties::updated(&current, &value)?;
    store.put(&next).await.map_err(|e| match e {
        kit::StoreError::Conflict(_) => DomainError::Conflict("an alias belongs to another user of the module".into()),
        other => other.into(),
    })?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &next.to_reply())?)
}
