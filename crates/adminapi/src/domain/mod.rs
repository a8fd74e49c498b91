//! The rules of tenancy, licensing, login sessions, roles and community configuration, as plain
//! functions over plain types and store traits.

pub mod access_codes;
pub mod account_otp;
pub mod audit;
pub mod auth_scheme;
pub mod authz;
pub mod bootstrap;
pub mod bootstrap_admin;
pub mod captcha;
pub mod certificates;
pub mod community_settings;
pub mod config;
pub mod consents;
pub mod contact;
pub mod devices;
pub mod downloadables;
pub mod guarded_settings;
pub mod hardware_tokens;
pub mod identity_providers;
pub mod images;
pub mod journeys;
pub mod licenses;
pub mod login;
pub mod login_settings;
pub mod messaging;
pub mod module_scripts;
pub mod msg_gateway;
pub mod oidc;
pub mod otp;
pub mod platform_health;
pub mod qr_login;
pub mod radius;
pub mod reports;
pub mod roles;
pub mod saml;
pub mod scripts;
pub mod secrets;
pub mod self_reset;
pub mod service_providers;
pub mod templates;
pub mod tenancy;
pub mod user_token;
pub mod webauthn;

pub use kit::DomainError;
pub use kit::ids;
