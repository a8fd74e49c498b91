//! The catalog group Branding: the look of a community's login pages
//! ([`crate::domain::community_settings::Branding`]), read by the login pages without a login and
//! set by administrators.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{Body, Caller};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::State;
use crate::domain::community_settings::Branding;
use crate::routes::settings_io::write;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_branding), endpoint!(set_branding)]
}

/// Body of `POST /branding/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BrandingRequest {
    tenant_id: String,
    community_id: String,
}

/// Get the branding.
///
/// The colors, images and labels of the community's login pages (the defaults when none were
/// set). No login: the login pages read it.
#[utoipa::path(post, path = "/branding/fetch", request_body = Sealable<BrandingRequest>,
    responses(
        (status = 200, description = "The branding, sealed when the request was", body = Sealable<Branding>),
        (status = 404, description = "No such community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn fetch_branding(
    caller: Caller,
    body: Body<BrandingRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let named = Named { community_id: &r.community_id, tenant_id: Some(&r.tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    let branding = state.configs.get::<Branding>(&community.id).await?;
    Ok(caller.reply_like(encrypted, StatusCode::OK, &branding)?)
}

/// Set the branding.
///
/// The six panel, text, button, tab and link colors (hex) and the two images (base64 or an
/// image URL) are required; the other fields keep their value when left out. Administrators.
#[utoipa::path(put, path = "/branding", request_body = Sealable<Branding>,
    responses(
        (status = 200, description = "The branding, sealed when the request was", body = Sealable<Branding>),
        (status = 400, description = "A missing, unknown or invalid field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn set_branding(
    admin: AdminSession<Administrator>,
    body: Body<Map<String, Value>>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    write::<Branding, _>(&admin, body, &state, &platform).await
}
