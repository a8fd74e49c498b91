//! The catalog group Auth Scheme: `PATCH /authscheme/default/modules`, the auth modules a
//! community's login offers by default ([`crate::domain::auth_scheme`]), checked against the
//! community's modules at users-mgmt.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::auth_scheme::{self, AuthScheme};
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(set_default_modules)]
}

/// Body of `PATCH /authscheme/default/modules`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DefaultModulesRequest {
    /// Default: the session's.
    tenant_id: Option<String>,
    /// Default: the session's.
    community_id: Option<String>,
    /// Module ids, in the order the login offers them.
    #[serde(default)]
    modules: Vec<String>,
}

/// Set the default auth modules.
///
/// The auth modules the community's login offers, in order: 1 to 20 ids of modules of the
/// community (users-mgmt's), each once. The scheme; `POST /community_auth_info/fetch` shows it.
/// Community and tenant administrators.
#[utoipa::path(
    patch,
    path = "/authscheme/default/modules",
    request_body = Sealable<DefaultModulesRequest>,
    responses(
        (status = 200, description = "The auth scheme, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "No modules, too many, a bad or repeated id", body = ErrorBody),
        (status = 404, description = "A module that is not the community's", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn set_default_modules(
    admin: AdminSession<Administrator>,
    body: Body<DefaultModulesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let s = &admin.session;
    let tenant = r.tenant_id.as_deref().unwrap_or(&s.tenant_id);
    let community =
        community_of(&platform, &admin, tenant, r.community_id.as_deref().unwrap_or(&s.community_id)).await?;
    let listed = state
        .users_mgmt
        .call(Method::POST, &UsersMgmt::community_path(&community, "/modules/fetch"), &json!({}))
        .await?;
    let existing: Vec<String> =
        listed.as_array().into_iter().flatten().filter_map(|m| m["_id"].as_str().map(str::to_owned)).collect();
    let scheme = AuthScheme {
        community_id: community.id.clone(),
        tenant_id: community.tenant_id.clone(),
        default_modules: auth_scheme::default_modules(&r.modules, &existing)?,
        updated_by: s.uid.clone(),
        updated_at: state.clock.epoch_secs(),
    };
    state.stores.auth_schemes.put(&scheme).await?;
    tracing::info!(modules = scheme.default_modules.len(), "the community's default auth modules changed");
    let reply = serde_json::to_value(&scheme).map_err(|_| ApiError::internal())?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// The auth scheme shown to a login page: `{defaultModules}` (empty when none was set).
pub async fn public_scheme(state: &State, community_id: &str) -> AppResult<Value> {
    let modules = state.stores.auth_schemes.get(community_id).await?.map(|s| s.default_modules).unwrap_or_default();
    Ok(json!({"defaultModules": modules}))
}
