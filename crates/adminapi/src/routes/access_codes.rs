//! The helper SDKs' `BIDAccessCodes` calls that map onto access codes, outside the catalog:
//! `GET /api/r1/acr/community/{communityName}/{code}` (`fetchAccessCode`: the code's invitation,
//! sealed) and `POST /api/r1/acr/community/{communityName}/{code}/redeem` (the redeem of
//! `verifyAndRedeemEmailVerificationCode`: once, atomically). Any license that may act in the
//! code's community. The SDK's `PUT /api/r2/acr/community/{communityName}/code` (an email
//! verification link with a template of the caller's) is not served: invitations are made by
//! `PUT /users/invite`.
//!
//! The SDK puts the code in the path: the routes mark it secret, so the request log records
//! `{code}` in its place (`kit::routing::secret_paths`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::access_codes::{self, AccessCode};

/// The routes of `BIDAccessCodes`.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(fetch_access_code)
            .outside_catalog("BIDAccessCodes.fetchAccessCode: an access code's invitation, by the code")
            .secret_path_params(&["code"]),
        endpoint!(redeem_access_code)
            .outside_catalog("BIDAccessCodes.verifyAndRedeemEmailVerificationCode: redeem an access code once")
            .secret_path_params(&["code"]),
    ]
}

/// The code of `path` and its community, which must be named `community_name` (404 otherwise,
/// as for an unknown code) and be one the license may act on (403).
async fn located(
    state: &State,
    platform: &Platform,
    auth: &Licensed<AnyLevel>,
    community_name: &str,
    code: &str,
) -> AppResult<(AccessCode, CommunityRef)> {
    let unknown = || ApiError::not_found("no such access code");
    let record = state.access_codes.find(code).await?.ok_or_else(unknown)?;
    let named = Named {
        community_id: &record.community_id,
        tenant_id: Some(&record.tenant_id),
        community_name: Some(community_name),
    };
    let community = locate(&**platform.directory, named).await.map_err(|_| unknown())?;
    if !auth.license.allows_community(&community.id) {
        return Err(ApiError::forbidden("the license is not authorized for this community").into());
    }
    Ok((record, community))
}

/// Path of the two routes.
#[derive(Deserialize)]
#[allow(non_snake_case)]
pub struct CodePath {
    communityName: String,
    code: String,
}

/// Fetch an access code.
///
/// The invitation of the access code `code` of the community `communityName`, sealed: its `id`,
/// `type` (`user_invitation`), `status` (`active`, `redeemed`, `revoked`, `expired`), `createdBy`,
/// `createdTime`, `expiresAt`, `accesscodepayload` (the user and where it was sent) and, once
/// redeemed, `redeemedAt` and `redeem_result`; never the code. An unknown code, or one of another
/// community: 404. Any license that may act in the community.
#[utoipa::path(
    get,
    path = "/api/r1/acr/community/{communityName}/{code}",
    params(
        ("communityName" = String, Path, description = "The community's name"),
        ("code" = String, Path, description = "The access code"),
    ),
    responses(
        (status = 200, description = "The invitation, sealed", body = Sealable<Object>),
        (status = 401, description = "Bad headers, no or unknown licensekey", body = ErrorBody),
        (status = 403, description = "A license that may not act in the community", body = ErrorBody),
        (status = 404, description = "No such access code in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_access_code(
    auth: Licensed<AnyLevel>,
    path: web::Path<CodePath>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let (record, community) = located(&state, &platform, &auth, &path.communityName, &path.code).await?;
    let view = access_codes::view(&record, &community, state.clock.epoch_secs());
    Ok(auth.caller.reply(&view)?)
}

/// Body of the redeem: the SDK sends `{}`; a device may say who it is.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct RedeemRequest {
    deviceId: Option<String>,
    deviceName: Option<String>,
    did: Option<String>,
}

/// The longest device value kept.
const MAX_DEVICE: usize = 256;

/// Redeem an access code.
///
/// Redeems the access code `code` of the community `communityName` once: of concurrent redeems
/// exactly one succeeds. The caller's `publicKey` and the optional `deviceId`, `deviceName` and
/// `did` are kept as `redeem_result`. A code redeemed before: 409; revoked (replaced by a resend)
/// or expired: 410; unknown or of another community: 404. The reply is `{"status": "redeemed",
/// "id"}`, sealed when the request was. Any license that may act in the community.
#[utoipa::path(
    post,
    path = "/api/r1/acr/community/{communityName}/{code}/redeem",
    params(
        ("communityName" = String, Path, description = "The community's name"),
        ("code" = String, Path, description = "The access code"),
    ),
    request_body = Sealable<RedeemRequest>,
    responses(
        (status = 200, description = "`status` and `id`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body", body = ErrorBody),
        (status = 401, description = "Bad headers, no or unknown licensekey", body = ErrorBody),
        (status = 403, description = "A license that may not act in the community", body = ErrorBody),
        (status = 404, description = "No such access code in the community", body = ErrorBody),
        (status = 409, description = "The code was redeemed before", body = ErrorBody),
        (status = 410, description = "The code was revoked or has expired", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn redeem_access_code(
    auth: Licensed<AnyLevel>,
    path: web::Path<CodePath>,
    body: Body<RedeemRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    for (field, value) in [("deviceId", &r.deviceId), ("deviceName", &r.deviceName), ("did", &r.did)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > MAX_DEVICE) {
            return Err(ApiError::bad_request(format!("{field} must be at most {MAX_DEVICE} characters")).into());
        }
    }
    let (record, _) = located(&state, &platform, &auth, &path.communityName, &path.code).await?;
    let result = json!({"publicKey": auth.caller.public_key(), "deviceId": r.deviceId, "deviceName": r.deviceName, "did": r.did});
    let redeemed = state.access_codes.redeem(&record, &result.to_string(), state.clock.epoch_secs()).await?;
    tracing::info!(id = %redeemed.id, "access code redeemed");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": "redeemed", "id": redeemed.id}))?)
}
