//! The route table of `sessions`, one module per catalog group, to read side by side with
//! `proto-docs/endpoints.md`. Every catalog endpoint not listed answers 501 until it is built.
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

pub mod legacy_session;
pub mod session;

use actix_web::web;
use kit::Table;

use crate::State;

/// The route table: the shared endpoints and the groups Session and Legacy Session.
pub fn table() -> Table {
    Table::new(crate::SERVICE, env!("CARGO_PKG_DESCRIPTION"))
        .with(kit::common::endpoints())
        .with([kit::common::system_environment()])
        .with(session::endpoints())
        .with(legacy_session::endpoints())
}

/// Mounts the route table.
pub fn configure(cfg: &mut web::ServiceConfig, _state: &State) {
    table().mount(cfg);
}

/// The OpenAPI document of the route table.
pub fn openapi() -> utoipa::openapi::OpenApi {
    table().openapi()
}
