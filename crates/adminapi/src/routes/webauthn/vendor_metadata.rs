//! The community's vendor metadata (authenticator models by AAGUID): fetch, add, update.
//! Administrators of the community of the path; the policy it makes is
//! [`crate::domain::webauthn::vendors::admits`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::directory::{CommunityRef, Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::Owner;
use crate::domain::webauthn::vendors::{Fields, VendorInfo};
use crate::session::{AdminSession, Administrator};

/// The community of the path, which must exist (404) and be within the session's reach (403).
async fn path_community(
    platform: &Platform,
    admin: &AdminSession<Administrator>,
    community_id: &str,
) -> AppResult<CommunityRef> {
    let named = Named { community_id, tenant_id: None, community_name: None };
    let community = locate(&**platform.directory, named).await?;
    admin.require_community(&community.tenant_id, &community.id)?;
    Ok(community)
}

/// Body of `POST /webauthn/vendormetadata/{communityId}/fetch`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchVendorsRequest {
    /// The AAGUIDs wanted (all when absent or empty).
    aaguids: Option<Vec<String>>,
    /// The same, under the name the spec's example uses.
    aaguid: Option<Vec<String>>,
}

/// fetch the security keys.
///
/// The community's vendor metadata: `[{aaguid, metadata, name, disabled, updatedBy}]`, by
/// AAGUID; only those of `aaguids` (or `aaguid`) when given (each a UUID, else 400). Sealed when
/// the request was. Administrators of the community.
#[utoipa::path(
    post,
    path = "/webauthn/vendormetadata/{communityId}/fetch",
    params(("communityId" = String, Path, description = "Community Id")),
    request_body = Sealable<FetchVendorsRequest>,
    responses(
        (status = 200, description = "`[{aaguid, metadata, name, disabled, updatedBy}]`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An AAGUID that is not a UUID", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_vendor_metadata(
    admin: AdminSession<Administrator>,
    community_id: web::Path<String>,
    body: Body<FetchVendorsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = path_community(&platform, &admin, &community_id).await?;
    let wanted: Vec<String> = r.aaguids.into_iter().chain(r.aaguid).flatten().collect();
    let vendors = state.webauthn.vendors.list(&community.id, Some(&wanted)).await?;
    let reply: Vec<VendorInfo> = vendors.iter().map(VendorInfo::from).collect();
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `PUT /webauthn/vendormetadata/{communityId}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PutVendorRequest {
    /// The model's AAGUID (a UUID).
    aaguid: String,
    /// At most 64 KiB (a FIDO metadata statement, say).
    metadata: String,
    /// 1 to 256 characters.
    name: String,
    /// A disabled model may not register.
    disabled: bool,
    /// 1 to 256 characters.
    updated_by: String,
}

/// add the security keys.
///
/// Adds the model `aaguid` to the community's vendor metadata, or replaces its fields when it is
/// there: `{aaguid, id}`. A `disabled` model may not register; once any model is enabled, only
/// enabled models may. Sealed when the request was. Administrators of the community.
#[utoipa::path(
    put,
    path = "/webauthn/vendormetadata/{communityId}",
    params(("communityId" = String, Path, description = "Community Id")),
    request_body = Sealable<PutVendorRequest>,
    responses(
        (status = 200, description = "`aaguid`, `id`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad AAGUID, a field too long or empty", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn put_vendor_metadata(
    admin: AdminSession<Administrator>,
    community_id: web::Path<String>,
    body: Body<PutVendorRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = path_community(&platform, &admin, &community_id).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let fields = Fields { metadata: &r.metadata, name: &r.name, disabled: r.disabled, updated_by: &r.updated_by };
    let now = state.clock.epoch_secs();
    let vendor = state.webauthn.vendors.put(owner, &r.aaguid, fields, &admin.session.uid, now).await?;
    tracing::info!(disabled = vendor.disabled, "webauthn vendor metadata written");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"aaguid": vendor.aaguid, "id": vendor.id}))?)
}

/// Body of `PATCH /webauthn/vendormetadata/{communityId}/aaguid/{aaguid}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchVendorRequest {
    metadata: String,
    name: String,
    disabled: bool,
    updated_by: String,
}

/// update the security keys.
///
/// Replaces the fields of the community's model `aaguid` (404 when it has none): `{status:
/// "ok"}`, sealed when the request was. Administrators of the community.
#[utoipa::path(
    patch,
    path = "/webauthn/vendormetadata/{communityId}/aaguid/{aaguid}",
    params(
        ("communityId" = String, Path, description = "Community Id"),
        ("aaguid" = String, Path, description = "The model's AAGUID"),
    ),
    request_body = Sealable<PatchVendorRequest>,
    responses(
        (status = 200, description = "`status: ok`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad AAGUID, a field too long or empty", body = ErrorBody),
        (status = 404, description = "No such community, or no such model in it", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn patch_vendor_metadata(
    admin: AdminSession<Administrator>,
    path: web::Path<(String, String)>,
    body: Body<PatchVendorRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let (community_id, aaguid) = path.into_inner();
    let community = path_community(&platform, &admin, &community_id).await?;
    let fields = Fields { metadata: &r.metadata, name: &r.name, disabled: r.disabled, updated_by: &r.updated_by };
    let now = state.clock.epoch_secs();
    let vendor = state.webauthn.vendors.update(&community.id, &aaguid, fields, &admin.session.uid, now).await?;
    tracing::info!(disabled = vendor.disabled, "webauthn vendor metadata updated");
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"status": "ok"}))?)
}
