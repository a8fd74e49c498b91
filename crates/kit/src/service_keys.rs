//! `GET /servicekeys` and `DELETE /servicekey/{keyId}`, the same on every service that has them:
//! system level only, answered by the service's license authority (its database on `adminapi`,
//! forwarded to `adminapi` elsewhere, the configured keys when there is no remote authority).
//! The replies are the plain JSON arrays the reference documents (`[{tag, keyId, keySecret,
//! type, …}]`, the whole license record); they carry secrets, so deployments serve them over
//! TLS only, as every endpoint.

use actix_web::HttpResponse;
use actix_web::web;
use envelope::ApiError;

use crate::app::Platform;
use crate::error::AppResult;
use crate::license::LicenseRecord;
use crate::license::{Licensed, SystemOnly};
use crate::openapi::ErrorBody;
use crate::routing::Endpoint;

/// The two service-key endpoints (catalog group Service Key), for a service's route table.
pub fn endpoints() -> Vec<Endpoint> {
    vec![crate::endpoint!(list), crate::endpoint!(reset)]
}

/// Get service keys.
///
/// The array of the service-key records, secrets included, in plain JSON.
#[utoipa::path(
    get,
    path = "/servicekeys",
    operation_id = "list_service_keys",
    responses((status = 200, description = "The keys", body = Vec<LicenseRecord>))
)]
#[tracing::instrument(skip_all)]
async fn list(p: web::Data<Platform>, auth: Licensed<SystemOnly>) -> AppResult<HttpResponse> {
    let keys = p.licenses.service_keys(&auth.key).await?;
    Ok(HttpResponse::Ok().json(keys))
}

/// Reset a service key: the key is replaced by a new one of the same level.
///
/// The reply is a one-element array with the new key record, secret included, in plain JSON.
#[utoipa::path(
    delete,
    path = "/servicekey/{keyId}",
    operation_id = "reset_service_key",
    params(("keyId" = String, Path, description = "The key to reset")),
    responses(
        (status = 200, description = "The new key", body = Vec<LicenseRecord>),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
async fn reset(
    p: web::Data<Platform>,
    auth: Licensed<SystemOnly>,
    key_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let key_id = key_id.trim();
    if key_id.is_empty() || key_id.len() > 256 {
        return Err(ApiError::bad_request("keyId must be a key id").into());
    }
    let fresh = p.licenses.reset_service_key(&auth.key, key_id).await?;
    tracing::info!(tag = %fresh.tag, level = %fresh.auth_level, "service key reset");
    Ok(HttpResponse::Ok().json(vec![fresh]))
}
