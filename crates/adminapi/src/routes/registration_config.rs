//! The catalog groups Self Registration Config (whether a community lets users register
//! themselves, set by its administrators) and Instance Config (whether any community may, set by
//! a super admin for the whole instance).

use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde_json::{Map, Value};

use crate::State;
use crate::domain::community_settings::{INSTANCE, InstanceSelfRegistration, SelfRegistration};
use crate::domain::config::Owner;
use crate::routes::settings_io::{read_named, store, write};
use crate::session::{AdminSession, Administrator, SuperAdmin};

/// The endpoints of Self Registration Config.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_self_registration), endpoint!(set_self_registration)]
}

/// The endpoints of Instance Config.
pub fn instance_endpoints() -> Vec<Endpoint> {
    vec![endpoint!(get_instance_self_registration), endpoint!(set_instance_self_registration)]
}

/// Get the self-registration config.
///
/// Whether users may register themselves in the community `tenantId` / `communityId` name (the
/// session's by default; default: no). Administrators.
#[utoipa::path(post, path = "/config/self_registration_config/fetch", request_body = Sealable<Object>,
    responses((status = 200, description = "`{allowed}`, sealed when the request was", body = Sealable<SelfRegistration>)))]
#[tracing::instrument(skip_all)]
pub async fn fetch_self_registration(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    read_named::<SelfRegistration, _>(&admin, body, &state, &platform).await
}

/// Set the self-registration config.
///
/// `allowed`, required; it may be true only while the instance allows self-registration (a super
/// admin's Instance Config). Administrators.
#[utoipa::path(put, path = "/config/self_registration_config", request_body = Sealable<SelfRegistration>,
    responses(
        (status = 200, description = "`{allowed}`, sealed when the request was", body = Sealable<SelfRegistration>),
        (status = 400, description = "A missing, unknown or mistyped field", body = ErrorBody),
        (status = 403, description = "The instance does not allow self-registration", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_self_registration(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    if body.value.get("allowed") == Some(&Value::Bool(true))
        && !state.configs.get::<InstanceSelfRegistration>(INSTANCE).await?.allowed
    {
        return Err(envelope::ApiError::forbidden("the instance does not allow self-registration").into());
    }
    write::<SelfRegistration, _>(&admin, body, &state, &platform).await
}

/// Get the instance's self-registration config.
///
/// Whether any community of the instance may let users register themselves (default: yes).
/// Super admins.
#[utoipa::path(get, path = "/instance_config/self_registration_config",
    responses((status = 200, description = "`{allowed}`, sealed", body = Sealable<InstanceSelfRegistration>)))]
#[tracing::instrument(skip_all)]
pub async fn get_instance_self_registration(
    admin: AdminSession<SuperAdmin>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let value = state.configs.get::<InstanceSelfRegistration>(INSTANCE).await?;
    Ok(admin.caller.reply(&value)?)
}

/// Set the instance's self-registration config.
///
/// `allowed`, required. Super admins.
#[utoipa::path(put, path = "/instance_config/self_registration_config", request_body = Sealable<InstanceSelfRegistration>,
    responses(
        (status = 200, description = "`{allowed}`, sealed when the request was", body = Sealable<InstanceSelfRegistration>),
        (status = 400, description = "A missing, unknown or mistyped field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_instance_self_registration(
    admin: AdminSession<SuperAdmin>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: given, encrypted } = body;
    let owner = Owner { tenant_id: INSTANCE, community_id: INSTANCE };
    let next: InstanceSelfRegistration = store(&admin, &state, owner, given).await?;
    Ok(admin.caller.reply_like(encrypted, actix_web::http::StatusCode::OK, &next)?)
}
