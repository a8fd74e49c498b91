//! The license checks of the helper SDKs' `BIDLicenses` module, outside the catalog:
//! `GET /servicekey/current` and `GET /community/{communityId}/licensecheck`. The key to check is
//! the encrypted `licensekey` header; the answer is the plain JSON record, which the SDK checks
//! itself (secret, `disabled`, `expiry`, `isAuthorized`). An unknown key answers 401.

use actix_web::{HttpResponse, web};
use envelope::{ApiError, Caller};
use kit::openapi::ErrorBody;
use kit::{AppResult, Endpoint, endpoint};

use crate::State;
use crate::domain::{ids, licenses};

/// The routes of `BIDLicenses`.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(current).outside_catalog("BIDLicenses.getCurrentLicense: the record of the caller's license key"),
        endpoint!(community_check)
            .outside_catalog("BIDLicenses.checkCommunityLicense: the record and whether it may act on a community"),
    ]
}

fn presented(caller: &Caller) -> Result<&envelope::LicenseKey, ApiError> {
    caller.license_key().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))
}

/// The license record of the key in `licensekey`.
///
/// No license level: any key the authority knows (`Caller` with `licensekey`). The reply is the
/// plain license record (`keyId`, `key`, `authLevel`, `disabled`, `expiry`, …).
#[utoipa::path(
    get,
    path = "/servicekey/current",
    responses(
        (status = 200, description = "The license record", body = kit::license::LicenseRecord),
        (status = 401, description = "Bad authentication headers, no or unknown licensekey", body = ErrorBody),
        (status = 503, description = "The license store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn current(state: web::Data<State>, caller: Caller) -> AppResult<HttpResponse> {
    let record = state.authority.record(presented(&caller)?).await.map_err(ApiError::from)?;
    Ok(HttpResponse::Ok().json(record))
}

/// The license record of the key in `licensekey`, with `isAuthorized` for the community.
///
/// No license level: any key the authority knows (`Caller` with `licensekey`).
#[utoipa::path(
    get,
    path = "/community/{communityId}/licensecheck",
    params(("communityId" = String, Path, description = "The community (24 hex digits)")),
    responses(
        (status = 200, description = "The license record with `isAuthorized`", body = kit::license::LicenseRecord),
        (status = 400, description = "Unreadable header", body = ErrorBody),
        (status = 401, description = "Bad authentication headers, no or unknown licensekey", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
        (status = 503, description = "The license store is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn community_check(
    state: web::Data<State>,
    caller: Caller,
    community_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    // The router has found the community (kit::directory::check_path).
    let community_id = ids::object_id("communityId", &community_id)?;
    let mut record = state.authority.record(presented(&caller)?).await.map_err(ApiError::from)?;
    record.is_authorized = Some(licenses::authorized_for(&record, &community_id, state.clock.epoch_secs()));
    Ok(HttpResponse::Ok().json(record))
}
