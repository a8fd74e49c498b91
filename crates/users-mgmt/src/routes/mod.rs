//! The route table of `users-mgmt`, to read side by side with `proto-docs/endpoints.md`.
//! Every catalog endpoint not listed here answers 501 until it is built; `GET /openapi.json`
//! serves [`openapi`].

mod openapi;

use actix_web::web;
use kit::routing::{Endpoint, mount_documented};

pub use openapi::openapi;

/// The built endpoints.
pub fn table() -> Vec<Endpoint> {
    let mut built = kit::common::endpoints();
    // Answered by the license authority (adminapi) on behalf of the caller's system key.
    built.extend(kit::service_keys::endpoints());
    built
}

/// Mounts the route table, `/openapi.json`, the 501s and the JSON fallback.
pub fn configure(cfg: &mut web::ServiceConfig) {
    mount_documented(cfg, crate::SERVICE, table(), Vec::new(), openapi);
}
