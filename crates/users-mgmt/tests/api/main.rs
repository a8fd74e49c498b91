//! `users-mgmt` integration tests: the real app on a free port, driven over HTTP as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod auth_module;
mod common_endpoints;
mod helpers;
mod licenses;
mod route_table;
mod system_user;
mod user_attribute;
mod user_properties;
mod users;
