//! The route table of `adminapi`, one module per catalog group, to read side by side with
//! `proto-docs/endpoints.md`. Every catalog endpoint not listed answers 501 until it is built.

pub mod community_auth_info;
pub mod licenses;

use actix_web::web;
use kit::Table;

use crate::State;

/// The route table: the shared endpoints, the service keys, Community Auth Info, and the
/// license checks of the helper SDKs (outside the catalog).
pub fn table() -> Table {
    Table::new(crate::SERVICE, env!("CARGO_PKG_DESCRIPTION"))
        .with(kit::common::endpoints())
        .with([kit::common::open_environment()])
        .with(kit::service_keys::endpoints())
        .with(kit::service_keys::sdk_endpoints())
        .with(community_auth_info::endpoints())
        .with(licenses::endpoints())
}

/// Mounts the route table.
pub fn configure(cfg: &mut web::ServiceConfig, _state: &State) {
    table().mount(cfg);
}

/// The OpenAPI document of the route table.
pub fn openapi() -> utoipa::openapi::OpenApi {
    table().openapi()
}
