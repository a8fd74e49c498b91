//! The route table of `adminapi`, one module per catalog group, to read side by side with
//! `proto-docs/endpoints.md`. Every catalog endpoint not listed answers 501 until it is built.

pub mod access_codes;
pub mod account_otp;
pub mod auth_modules;
pub mod auth_proxy;
pub mod auth_scheme;
pub mod authenticate;
pub mod authenticate_v2;
pub mod authz;
pub mod behavior_auth;
pub mod branding;
pub mod broker;
pub mod caas;
pub mod certificates;
pub mod community_auth_info;
pub mod consents;
pub mod downloadables;
pub mod environment;
pub mod hardware_tokens;
pub mod helpdesk;
pub mod identity_providers;
pub mod idp_config;
pub mod images;
pub mod journeys;
pub mod licenses;
pub mod login_sessions;
pub mod login_settings;
pub mod msg_gateway;
pub mod notices;
pub mod oidc;
pub mod otp;
pub mod password_policy;
pub mod password_reset;
pub mod platform_health;
pub mod qr_session;
pub mod radius;
pub mod registration_config;
pub mod reports;
pub mod reset_password;
pub mod saml;
pub mod secret_store;
pub mod service_providers;
pub mod session_attributes;
pub mod settings_io;
pub mod sp_catalog;
pub mod templates;
pub mod test_connection;
pub mod user_attributes;
pub mod user_pin;
pub mod user_properties;
pub mod users;
pub mod webauthn;

use actix_web::web;
use kit::Table;

use crate::State;

/// The route table: the shared endpoints, the service keys, Community Auth Info, the license
/// checks, one-time passcodes and access codes of the helper SDKs (outside the catalog), login and
/// login sessions.
pub fn table() -> Table {
    Table::new(crate::SERVICE, env!("CARGO_PKG_DESCRIPTION"))
        .with(kit::common::endpoints())
        .with([kit::common::open_environment()])
        .with(kit::service_keys::endpoints())
        .with(kit::service_keys::sdk_endpoints())
        .with(community_auth_info::endpoints())
        .with(licenses::endpoints())
        .with(otp::endpoints())
        .with(access_codes::endpoints())
        .with(authenticate::endpoints())
        .with(authenticate_v2::endpoints())
        .with(login_sessions::endpoints())
        .with(authz::endpoints())
        .with(authz::v2_endpoints())
        .with(authz::permission_endpoints())
        .with(users::endpoints())
        .with(helpdesk::endpoints())
        .with(auth_modules::endpoints())
        .with(user_attributes::endpoints())
        .with(user_pin::endpoints())
        .with(behavior_auth::endpoints())
        .with(user_properties::endpoints())
        .with(password_policy::endpoints())
        .with(auth_scheme::endpoints())
        .with(login_settings::endpoints())
        .with(password_reset::endpoints())
        .with(reset_password::endpoints())
        .with(branding::endpoints())
        .with(registration_config::endpoints())
        .with(registration_config::instance_endpoints())
        .with(session_attributes::endpoints())
        .with(caas::endpoints())
        .with(idp_config::endpoints())
        .with(environment::endpoints())
        .with(secret_store::endpoints())
        .with(msg_gateway::endpoints())
        .with(certificates::endpoints())
        .with(images::endpoints())
        .with(test_connection::endpoints())
        .with(consents::endpoints())
        .with(downloadables::endpoints())
        .with(platform_health::endpoints())
        .with(templates::endpoints())
        .with(hardware_tokens::endpoints())
        .with(qr_session::endpoints())
        .with(account_otp::endpoints())
        .with(journeys::endpoints())
        .with(journeys::v2_endpoints())
        .with(webauthn::endpoints())
        .with(service_providers::endpoints())
        .with(sp_catalog::endpoints())
        .with(oidc::endpoints())
        .with(saml::endpoints())
        .with(radius::endpoints())
        .with(identity_providers::endpoints())
        .with(auth_proxy::endpoints())
        .with(broker::endpoints())
        .with(notices::endpoints())
        .with(reports::endpoints())
}

/// Mounts the route table, with the session gate the router runs for the routes that need a
/// login.
pub fn configure(cfg: &mut web::ServiceConfig, state: &State) {
    let gate: std::sync::Arc<dyn kit::access::SessionGate> = state.gate.clone();
    cfg.app_data(web::Data::from(gate)).app_data(web::Data::from(state.gate.clone()));
    table().mount(cfg);
}

/// The OpenAPI document of the route table.
pub fn openapi() -> utoipa::openapi::OpenApi {
    table().openapi()
}
