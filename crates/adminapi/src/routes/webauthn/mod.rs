//! The catalog group Web Authn: security keys and platform authenticators registered by the
//! logged-in user ([`registration`]), signing in with them ([`authentication`]), and the
//! community's vendor metadata, the authenticator models it admits ([`vendor_metadata`]); and,
//! of the group Users, `POST /users/user/devices/has_security_key` (here, beside the keys it
//! asks about). The rules live in [`crate::domain::webauthn`]. Nothing answered or logged holds
//! a credential's data beyond its id.

pub mod authentication;
pub mod registration;
pub mod vendor_metadata;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{Body, Caller};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::tenancy;

/// The endpoints of the group, and `has_security_key`.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(registration::attestation_options),
        endpoint!(registration::register_security_key),
        endpoint!(authentication::assertion_options),
        endpoint!(authentication::authenticate_with_security_key),
        endpoint!(vendor_metadata::fetch_vendor_metadata),
        endpoint!(vendor_metadata::put_vendor_metadata),
        endpoint!(vendor_metadata::patch_vendor_metadata),
        endpoint!(has_security_key),
    ]
}

/// Body of `POST /users/user/devices/has_security_key`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct HasSecurityKeyRequest {
    communityName: String,
    /// Not checked: communities have no key of their own here.
    communityPublicKey: String,
    /// The tenant's tag (or its DNS name).
    tenantTag: String,
    username: String,
}

/// Check if user has any security keys registered.
///
/// `{hasSecurityKey}`: whether `username` of the community `communityName` of the tenant
/// `tenantTag` (its tag, or its DNS name) has registered a security key or platform
/// authenticator. Sealed when the request was. No license, no login: the caller's signed headers.
#[utoipa::path(
    post,
    path = "/users/user/devices/has_security_key",
    request_body = Sealable<HasSecurityKeyRequest>,
    responses(
        (status = 200, description = "`hasSecurityKey`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body; a tag shared by tenants with this community name", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn has_security_key(
    caller: Caller,
    body: Body<HasSecurityKeyRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let _ = &r.communityPublicKey;
    let (_, community) = tenancy::find_by_tag(&*state.stores.tenancy, &r.tenantTag, &r.communityName).await?;
    let keys = state.webauthn.of_user(&community.id, &r.username).await?;
    Ok(caller.reply_like(encrypted, StatusCode::OK, &json!({"hasSecurityKey": !keys.is_empty()}))?)
}
