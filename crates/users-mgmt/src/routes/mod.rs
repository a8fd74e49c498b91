//! The route table of `users-mgmt`, one module per catalog group, to read side by side with
//! `proto-docs/endpoints.md`. Every catalog endpoint not listed answers 501 until it is built.

pub mod auth_module;
pub mod authenticate;
pub mod behavior_auth;
pub mod brokers;
pub mod eam;
pub mod ktoken;
pub mod lockout;
pub mod passkeys;
pub mod passwords;
pub mod scep;
pub mod system_user;
pub mod user_attribute;
pub mod user_pin;
pub mod user_properties;
pub mod users;
pub mod users_directory;

use actix_web::web;
use kit::Table;

use crate::State;

/// The route table: the shared endpoints, the service keys (answered by the license
/// authority, adminapi, on behalf of the caller's system key) and the catalog groups.
pub fn table() -> Table {
    Table::new(crate::SERVICE, env!("CARGO_PKG_DESCRIPTION"))
        .with(kit::common::endpoints())
        .with([kit::common::open_environment()])
        .with(kit::service_keys::endpoints())
        .with(auth_module::endpoints())
        .with(users::endpoints())
        .with(user_attribute::endpoints())
        .with(system_user::endpoints())
        .with(user_properties::endpoints())
        .with(eam::endpoints())
        .with(authenticate::endpoints())
        .with(ktoken::endpoints())
        .with(scep::endpoints())
        .with(passwords::endpoints())
        .with(user_pin::endpoints())
        .with(lockout::endpoints())
        .with(behavior_auth::endpoints())
        .with(passkeys::endpoints())
        .with(brokers::endpoints())
}

/// Mounts the route table.
pub fn configure(cfg: &mut web::ServiceConfig, _state: &State) {
    table().mount(cfg);
}

/// The OpenAPI document of the route table.
pub fn openapi() -> utoipa::openapi::OpenApi {
    table().openapi()
}
