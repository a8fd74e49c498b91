//! The catalog group Service Provider Catalog: `GET /spcatalog/list`, the featured applications
//! ([`crate::domain::service_providers::catalog`]).

use actix_web::HttpResponse;
use kit::openapi::Sealable;
use kit::{AppResult, Endpoint, endpoint};

use crate::domain::service_providers::catalog::{CATALOG, CatalogItem};
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(list_catalog)]
}

/// get list of Service Provider Catalog item.
///
/// The featured applications, by key: `{auth0: {name, logo, sso_url, template}, …}`, sealed.
/// Administrators.
#[utoipa::path(
    get,
    path = "/spcatalog/list",
    responses((status = 200, description = "The catalog, sealed", body = Sealable<std::collections::BTreeMap<String, CatalogItem>>))
)]
#[tracing::instrument(skip_all)]
pub async fn list_catalog(admin: AdminSession<Administrator>) -> AppResult<HttpResponse> {
    let items: serde_json::Map<String, serde_json::Value> =
        CATALOG.iter().map(|(k, item)| ((*k).to_owned(), serde_json::json!(item))).collect();
    Ok(admin.caller.reply(&items)?)
}
