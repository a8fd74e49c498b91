//! The OpenAPI document of `adminapi`: its handlers and the shared endpoints, completed by
//! [`kit::openapi::complete`] with the 501s and the extras.

use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;

use super::{community, licenses};

/// adminapi's own operations.
#[derive(Debug, utoipa::OpenApi)]
#[openapi(paths(community::auth_info, community::info, licenses::current, licenses::community_check))]
struct AdminApi;

/// The OpenAPI document of the route table `adminapi` serves.
pub fn openapi() -> OpenApi {
    let mut doc = AdminApi::openapi();
    doc.merge(kit::common::CommonApi::openapi());
    doc.merge(kit::service_keys::ServiceKeysApi::openapi());
    kit::openapi::complete(doc, crate::SERVICE, &super::extras())
}
