//! `GET /servicekeys` and `DELETE /servicekey/{keyId}`, the same on every service that has them:
//! system level only, answered by the service's license authority (its database on `adminapi`,
//! forwarded to `adminapi` elsewhere, the configured keys when there is no remote authority).
//! The replies carry key secrets, so they are encrypted for the caller.

use actix_web::HttpResponse;
use actix_web::http::Method;
use actix_web::web;
use envelope::ApiError;

use crate::app::Platform;
use crate::error::AppResult;
use crate::license::{Licensed, SystemOnly};
use crate::routing::{Endpoint, endpoint};

/// The two service-key endpoints, for a service's route table.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint(Method::GET, "/servicekeys", list), endpoint(Method::DELETE, "/servicekey/{keyId}", reset)]
}

/// Get service keys (system level).
#[tracing::instrument(skip_all)]
async fn list(p: web::Data<Platform>, auth: Licensed<SystemOnly>) -> AppResult<HttpResponse> {
    let caller = auth.caller.license_key().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let keys = p.licenses.service_keys(caller).await?;
    Ok(auth.caller.reply(&keys)?)
}

/// Reset a service key: the key is replaced by a new one of the same level (system level).
#[tracing::instrument(skip_all)]
async fn reset(
    p: web::Data<Platform>,
    auth: Licensed<SystemOnly>,
    key_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let caller = auth.caller.license_key().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let key_id = key_id.trim();
    if key_id.is_empty() || key_id.len() > 256 {
        return Err(ApiError::bad_request("keyId must be a key id").into());
    }
    let fresh = p.licenses.reset_service_key(caller, key_id).await?;
    tracing::info!(tag = %fresh.tag, level = %fresh.auth_level, "service key reset");
    Ok(auth.caller.reply(&vec![fresh])?)
}
