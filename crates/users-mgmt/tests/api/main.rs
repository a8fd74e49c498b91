//! `users-mgmt` integration tests: the real app on a free port, driven over HTTP as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_module;
mod authenticate;
mod behavior_auth;
mod brokers;
mod captured_logs;
mod common_endpoints;
mod helpers;
mod kerberos;
mod ldap;
mod licenses;
mod lockout;
mod otp;
mod passkeys;
mod passwords;
mod route_table;
mod scep;
mod system_user;
mod typists;
mod user_attribute;
mod user_pin;
mod user_properties;
mod users;
