//! `GET /servicekeys` and `DELETE /servicekey/{keyId}`, the same on every service that has them:
//! system level only, answered by the service's license authority (its database on `adminapi`,
//! forwarded to `adminapi` elsewhere, the configured keys when there is no remote authority).
//! The replies are the plain JSON arrays the reference documents (`[{tag, keyId, keySecret,
//! type, …}]`, the whole license record); they carry secrets, so deployments serve them over
//! TLS only, as every endpoint.

use actix_web::HttpResponse;
use actix_web::web;
use envelope::{ApiError, LicenseKey};

use crate::app::Platform;
use crate::error::AppResult;
use crate::license::LicenseRecord;
use crate::license::{License, Licensed, SystemOnly, SystemOrInfra};
use crate::openapi::ErrorBody;
use crate::request_log::bounded;
use crate::routing::Endpoint;

/// The two service-key endpoints (catalog group Service Key), for a service's route table.
pub fn endpoints() -> Vec<Endpoint> {
    vec![crate::endpoint!(list), crate::endpoint!(reset)]
}

/// Get service keys.
///
/// The array of the service-key records, secrets included, in plain JSON. A system key limited
/// to communities sees only the keys limited to some of its own communities.
#[utoipa::path(
    get,
    path = "/servicekeys",
    operation_id = "list_service_keys",
    responses((status = 200, description = "The keys", body = Vec<LicenseRecord>))
)]
#[tracing::instrument(skip_all)]
async fn list(p: web::Data<Platform>, auth: Licensed<SystemOnly>) -> AppResult<HttpResponse> {
    let keys = visible_keys(&p, &auth.key, &auth.license).await?;
    Ok(HttpResponse::Ok().json(keys))
}

/// Whether a caller holding `caller` may see and reset the key `record`: an unrestricted system
/// key manages every key; a key limited to communities only keys limited to some of its own
/// communities (never an unrestricted key, which could act everywhere).
pub fn manages(caller: &License, record: &LicenseRecord) -> bool {
    match (&caller.communities, &record.communities) {
        (None, _) => true,
        (Some(own), Some(theirs)) => !theirs.is_empty() && theirs.iter().all(|c| own.contains(c)),
        (Some(_), None) => false,
    }
}

/// The keys of the authority the caller manages.
async fn visible_keys(p: &Platform, key: &LicenseKey, license: &License) -> Result<Vec<LicenseRecord>, ApiError> {
    let keys = p.licenses.service_keys(key).await?;
    Ok(keys.into_iter().filter(|k| manages(license, k)).collect())
}

/// Reset a service key: the key is replaced by a new one of the same level.
///
/// The reply is a one-element array with the new key record, secret included, in plain JSON. A
/// system key limited to communities resets only the keys it sees (others are 404).
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
    let fresh = reset_key(&p, &auth.key, &auth.license, &key_id).await?;
    Ok(HttpResponse::Ok().json(vec![fresh]))
}

/// Resets `key_id` for a caller holding `key` (`license`), within what it manages.
async fn reset_key(p: &Platform, key: &LicenseKey, license: &License, key_id: &str) -> Result<LicenseRecord, ApiError> {
    let key_id = key_id.trim();
    if key_id.is_empty() || key_id.len() > 256 {
        return Err(ApiError::bad_request("keyId must be a key id"));
    }
    if license.communities.is_some() && !visible_keys(p, key, license).await?.iter().any(|k| k.key_id == key_id) {
        // As if it did not exist: a limited key learns nothing of keys beyond its communities.
        return Err(ApiError::not_found("service key not found"));
    }
    let fresh = p.licenses.reset_service_key(key, key_id).await?;
    tracing::info!(tag = %bounded(&fresh.tag), level = %fresh.auth_level, "service key reset");
    Ok(fresh)
}

/// The query form the helper SDKs' `BIDLicenses.deleteLicense` sends, for the license
/// authority's route table (outside the catalog).
pub fn sdk_endpoints() -> Vec<Endpoint> {
    vec![crate::endpoint!(reset_by_query).outside_catalog(
        "BIDLicenses.deleteLicense: DELETE /servicekey?keyId=…, with a system key or the deployment's infra key",
    )]
}

/// Query of `DELETE /servicekey`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ResetQuery {
    /// The key to reset.
    key_id: String,
}

/// Reset a service key, the key named in the query: the same as `DELETE /servicekey/{keyId}`.
///
/// Accepts a system key or the deployment's own `INFRA_LICENSE_KEY` (not any other service key).
#[utoipa::path(
    delete,
    path = "/servicekey",
    params(ResetQuery),
    responses(
        (status = 200, description = "The new key", body = Vec<LicenseRecord>),
        (status = 404, description = "No such key", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
async fn reset_by_query(
    p: web::Data<Platform>,
    auth: Licensed<SystemOrInfra>,
    query: web::Query<ResetQuery>,
) -> AppResult<HttpResponse> {
    let fresh = reset_key(&p, &auth.key, &auth.license, &query.key_id).await?;
    Ok(HttpResponse::Ok().json(vec![fresh]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::{KeyType, Level, License};

    fn caller(communities: Option<&[&str]>) -> License {
        let communities = communities.map(|c| c.iter().map(|s| (*s).to_owned()).collect());
        License { level: Level::System, key_type: KeyType::Hawk, tag: String::new(), communities, infra: false }
    }

    fn key(communities: Option<&[&str]>) -> LicenseRecord {
        LicenseRecord {
            key_id: "k".into(),
            key_secret: "s".into(),
            key_type: KeyType::Hawk,
            auth_level: Level::App,
            tag: String::new(),
            expiry: 0,
            disabled: false,
            communities: communities.map(|c| c.iter().map(|s| (*s).to_owned()).collect()),
            is_authorized: None,
        }
    }

    #[test]
    fn a_limited_key_manages_only_keys_within_its_communities() {
        assert!(manages(&caller(None), &key(None)));
        assert!(manages(&caller(None), &key(Some(&["a"]))));
        assert!(manages(&caller(Some(&["a", "b"])), &key(Some(&["a"]))));
        assert!(manages(&caller(Some(&["a", "b"])), &key(Some(&["a", "b"]))));
        assert!(!manages(&caller(Some(&["a"])), &key(Some(&["a", "b"]))), "reaches beyond its own");
        assert!(!manages(&caller(Some(&["a"])), &key(None)), "an unrestricted key");
        assert!(!manages(&caller(Some(&["a"])), &key(Some(&[]))));
    }
}
