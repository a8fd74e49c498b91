//! The route table of `adminapi`, to read side by side with `proto-docs/endpoints.md`.
//! Every catalog endpoint not listed here answers 501 until it is built.

use actix_web::web;
use kit::routing::{Endpoint, mount};

/// The built endpoints.
pub fn table() -> Vec<Endpoint> {
    kit::common::endpoints()
}

/// Mounts the route table, the 501s and the JSON fallback.
pub fn configure(cfg: &mut web::ServiceConfig) {
    mount(cfg, crate::SERVICE, table());
}
