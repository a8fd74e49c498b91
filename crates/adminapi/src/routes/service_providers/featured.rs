//! `PUT /serviceprovider/{type}`: a featured application of the catalog, as a SAML service
//! provider imported from its metadata ([`crate::domain::service_providers::featured`]).

use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::AppResult;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use serde::Deserialize;

use super::{ServiceProviderView, create};
use crate::State;
use crate::domain::service_providers::featured::{self, FeaturedRequest};
use crate::session::{AdminSession, Administrator};

/// Path of the endpoint.
#[derive(Debug, Deserialize)]
pub struct TypePath {
    #[serde(rename = "type")]
    template: String,
}

/// Create Service Provider for featured applications.
///
/// A SAML service provider for the catalog's application `type` (`auth0`, `okta`, `salesforce`,
/// `forgerock`, `gsuite`, `zendesk`) in the administrator's community, from the application's own
/// SAML metadata (`metadata`: its entity id, HTTP-POST assertion consumer service, signing
/// certificate and `AuthnRequestsSigned`); `name`, and `ssoUrl` or the customer's `domain` for
/// the access URL. IdP-initiated logins allowed, the name id the user's email. The vendor-API
/// set-up of the reference (API tokens, passwords, service-account keys) is not done: such fields
/// are refused (400). 200 with the provider, sealed like the request. Administrators.
#[utoipa::path(
    put,
    path = "/serviceprovider/{type}",
    params(("type" = String, Path, description = "auth0, okta, salesforce, forgerock, gsuite, zendesk")),
    request_body = Sealable<FeaturedRequest>,
    responses(
        (status = 200, description = "The service provider", body = Sealable<ServiceProviderView>),
        (status = 400, description = "An unknown type, a field missing or invalid, named", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_featured(
    admin: AdminSession<Administrator>,
    path: web::Path<TypePath>,
    body: Body<FeaturedRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    let request = featured::check(path.template.trim(), value)?;
    create(request, encrypted, &admin, &state, &platform).await
}
