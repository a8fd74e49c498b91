//! The route table of `sessions`, to read side by side with `proto-docs/endpoints.md`.
//! Every catalog endpoint not listed here answers 501 until it is built; `GET /openapi.json`
//! serves [`openapi`].
//!
//! Wire choices shared by the handlers:
//! - bodies may come encrypted (`{"data": "<ciphertext>"}`) or as plain JSON, as the SDKs send
//!   them; a reply is sealed for the caller when its request body was sealed, plain otherwise
//!   (the Node helper's `createNewSession` sends and reads plain JSON and expects 201);
//! - the poll reply is always plain JSON: its `data` is already encrypted by the phone for the
//!   browser, which opens it with ECDH(browser private key, `publicKey` of the reply);
//! - errors are `{statusCode, error, message}`: 400 bad body, 401 bad headers or license, 403
//!   wrong level, community or poller, 404 unknown session or no answer yet, 409 second answer,
//!   410 expired session or answer already fetched.

mod authenticate;
mod nonce;
mod openapi;
mod session;

use actix_web::http::Method;
use actix_web::web;
use kit::routing::{Endpoint, endpoint, mount_documented};

use crate::config::SessionSettings;
use crate::domain::Sessions;

pub use openapi::openapi;

/// The built endpoints.
pub fn table() -> Vec<Endpoint> {
    let mut table = kit::common::endpoints();
    table.extend([
        endpoint(Method::PUT, "/session/new", session::create),
        endpoint(Method::GET, "/session/{sessionId}", session::info),
        endpoint(Method::GET, "/session/{sessionId}/response", session::poll),
        endpoint(Method::POST, "/session/{sessionId}/authenticate", authenticate::authenticate),
        endpoint(
            Method::PUT,
            "/api/r1/community/{communityName}/session/{sessionId}/authenticate",
            authenticate::legacy_authenticate,
        ),
        endpoint(Method::POST, "/tenant/{tenantId}/community/{communityId}/nonce/sign", nonce::sign),
        endpoint(Method::GET, "/nonce/validate", nonce::validate),
    ]);
    table
}

/// Mounts the route table, `/openapi.json`, the 501s and the JSON fallback, with the session state.
pub fn configure(cfg: &mut web::ServiceConfig, sessions: &web::Data<Sessions>, settings: &web::Data<SessionSettings>) {
    cfg.app_data(sessions.clone()).app_data(settings.clone());
    mount_documented(cfg, crate::SERVICE, table(), Vec::new(), openapi);
}
