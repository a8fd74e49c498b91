//! The OpenAPI document of `sessions`: its handlers and the shared endpoints, completed by
//! [`kit::openapi::complete`] with the 501s and the extras.

use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

use super::{authenticate, nonce, session};

/// The sessions service's own operations.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(
    session::create,
    session::info,
    session::poll,
    authenticate::authenticate,
    authenticate::legacy_authenticate,
    nonce::sign,
    nonce::validate
))]
struct SessionsApi;

/// The OpenAPI document of the route table `sessions` serves.
pub fn openapi() -> OpenApi {
    let mut doc = SessionsApi::openapi();
    doc.merge(kit::common::CommonApi::openapi());
    kit::openapi::complete(doc, crate::SERVICE, &[])
}
