//! `adminapi` integration tests: the real app on a free port, driven over HTTP as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod authz;
mod common_endpoints;
mod helpers;
mod licenses;
mod login;
mod login_settings;
mod modules;
mod route_table;
mod scripts;
mod self_service;
mod templates;
mod users;
