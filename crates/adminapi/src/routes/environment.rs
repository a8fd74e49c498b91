//! The catalog group Environment's `PATCH /environment`: how long a login session of the
//! administrator's community lasts, for logins on every instance from then on. (`GET
//! /environment`, open, is the kit's.)

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde_json::{Map, Value};

use crate::State;
use crate::domain::community_settings::SessionEnvironment;
use crate::domain::config::Owner;
use crate::routes::settings_io::store;
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group built here.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(patch_environment)]
}

/// Update the environment.
///
/// `sessionMaxAgeMinute` (5 to 10080, or null for the deployment's `ADMIN_SESSION_TTL_SECONDS`):
/// the lifetime of the community's login sessions opened from now on, on every instance.
/// Community and tenant administrators.
#[utoipa::path(patch, path = "/environment", request_body = Sealable<SessionEnvironment>,
    responses(
        (status = 200, description = "`{sessionMaxAgeMinute}`, sealed when the request was", body = Sealable<SessionEnvironment>),
        (status = 400, description = "A missing, unknown, mistyped or out-of-range field", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn patch_environment(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: given, encrypted } = body;
    if !given.contains_key("sessionMaxAgeMinute") {
        return Err(envelope::ApiError::bad_request("sessionMaxAgeMinute is required").into());
    }
    let community = home_of(&platform, &admin).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let next: SessionEnvironment = store(&admin, &state, owner, given).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &next)?)
}
