//! The OpenAPI document of `users-mgmt`: the shared endpoints, completed by
//! [`kit::openapi::complete`] with the 501s and the extras.

use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

/// The service's own operations (none yet beyond the shared ones).
#[derive(Debug, utoipa::OpenApi)]
struct UsersMgmtApi;

/// The OpenAPI document of the route table `users-mgmt` serves.
pub fn openapi() -> OpenApi {
    let mut doc = UsersMgmtApi::openapi();
    doc.merge(kit::common::CommonApi::openapi());
    doc.merge(kit::service_keys::ServiceKeysApi::openapi());
    kit::openapi::complete(doc, crate::SERVICE, &[])
}
