//! `adminapi` integration tests: the real app on a free port, driven over HTTP as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account_otp;
mod authz;
mod behavior_auth;
mod broker;
mod captured_logs;
mod certificates;
mod common_endpoints;
mod community_settings;
mod consents;
mod downloadables;
mod guarded_settings;
mod hardware_tokens;
mod helpers;
mod identity_providers;
mod images;
mod invites;
mod journeys;
mod kerberos;
mod licenses;
mod login;
mod login_journey;
mod login_settings;
mod modules;
mod msg_gateway;
mod oidc;
mod otp;
mod password_reset_self;
mod phones;
mod platform_health;
mod qr_login;
mod radius;
mod reports;
mod route_table;
mod saml;
mod saml_federation;
mod scripts;
mod secret_store;
mod self_service;
mod service_providers;
mod templates;
mod test_connection;
#[path = "../../../users-mgmt/tests/api/typists.rs"]
mod typists;
mod users;
mod webauthn;
