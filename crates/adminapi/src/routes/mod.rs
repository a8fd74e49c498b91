//! The route table of `adminapi`, to read side by side with `proto-docs/endpoints.md`.
//! Every catalog endpoint not listed here answers 501 until it is built; [`extras`] lists the
//! routes served outside the catalog, each with its reason; `GET /openapi.json` serves [`openapi`].

pub mod community;
pub mod licenses;
mod openapi;

use actix_web::http::Method;
use actix_web::web;
use kit::routing::{Endpoint, ExtraRoute, endpoint, extra, mount_documented};

use crate::AdminState;

pub use openapi::openapi;

/// The built catalog endpoints.
pub fn table() -> Vec<Endpoint> {
    let mut built = kit::common::endpoints();
    built.extend(kit::service_keys::endpoints());
    built.push(endpoint(Method::POST, "/community_auth_info/fetch", community::auth_info));
    built
}

/// The routes served outside the catalog.
pub fn extras() -> Vec<ExtraRoute> {
    vec![
        extra(
            Method::GET,
            "/servicekey/current",
            "BIDLicenses.getCurrentLicense: the record of the caller's license key",
            licenses::current,
        ),
        extra(
            Method::GET,
            "/community/{communityId}/licensecheck",
            "BIDLicenses.checkCommunityLicense: the record and whether it may act on a community",
            licenses::community_check,
        ),
        extra(
            Method::POST,
            "/community_info/fetch",
            "BIDTenant.getCommunityInfo: a tenant and community by dns and name",
            community::info,
        ),
    ]
}

/// The route table with its state: the table, the extras, `/openapi.json`, the 501s and the JSON
/// fallback.
pub fn configure(state: AdminState) -> impl Fn(&mut web::ServiceConfig) + Send + Clone + 'static {
    move |cfg| {
        cfg.app_data(web::Data::new(state.clone()));
        mount_documented(cfg, crate::SERVICE, table(), extras(), openapi);
    }
}
