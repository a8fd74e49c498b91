//! Kit integration tests: the envelope extractor driven over HTTP, and the ephemeral-store contract.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod ephemeral_contract;
mod hardening;
mod health;
mod helpers;
mod invalidation;
mod license_client;
mod metrics;
mod migrations;
mod wire_over_http;
