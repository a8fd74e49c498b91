//! End-to-end: the three built binaries as separate processes, driven from outside.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin_login;
mod bidotp;
mod foundation;
mod invalidation;
mod licenses;
mod platform;
mod ports;
mod secrets_in_logs;
mod sessions_flow;
mod telemetry;
mod walkthrough;
