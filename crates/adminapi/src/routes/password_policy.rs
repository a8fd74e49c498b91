//! The catalog groups Password Policy and JWT of adminapi: a module's password policy and the
//! check of a proof of authentication, both answered by users-mgmt.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body, Caller};
use kit::app::Platform;
use kit::directory::{Named, locate};
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the two groups.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_password_policy), endpoint!(verify_proof)]
}

/// Body of `POST /pwd-policy/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
}

/// Fetch a password policy.
///
/// The password policy of the module (users-mgmt's `pwd-policy`), for a sign-up or change
/// form. Any license.
#[utoipa::path(
    post,
    path = "/pwd-policy/fetch",
    request_body = Sealable<PolicyRequest>,
    responses(
        (status = 200, description = "The policy, sealed", body = Sealable<Object>),
        (status = 404, description = "No such community or module", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_password_policy(
    auth: Licensed<AnyLevel>,
    body: Body<PolicyRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let r = body.value;
    let named = Named { community_id: &r.community_id, tenant_id: Some(&r.tenant_id), community_name: None };
    let community = locate(&**platform.directory, named).await?;
    if auth.license.communities.as_ref().is_some_and(|c| !c.iter().any(|id| id.eq_ignore_ascii_case(&community.id))) {
        return Err(ApiError::forbidden("the license is not authorized for this community").into());
    }
    let module = r.module_id.trim();
    if !kit::ids::is_object_id(module) {
        return Err(ApiError::not_found("auth module not found").into());
    }
    let path = UsersMgmt::community_path(&community, &format!("/module/{}/pwd-policy", module.to_ascii_lowercase()));
    let reply = state.users_mgmt.get(&path).await?;
    Ok(auth.caller.reply(&reply)?)
}

/// Body of `POST /jwt/verifyToken`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// A proof of authentication made by users-mgmt.
    token: String,
}

/// Verify a proof of authentication.
///
/// Whether `token` is a proof of authentication users-mgmt signed and that has not expired
/// (users-mgmt's `jwt/verifyToken`): the decoded claims and `isAuthenticated: true`, or 401
/// saying why not. No license.
#[utoipa::path(
    post,
    path = "/jwt/verifyToken",
    request_body = Sealable<VerifyRequest>,
    responses(
        (status = 200, description = "The claims and `isAuthenticated`, sealed when the request was", body = Sealable<Object>),
        (status = 401, description = "A token that is malformed, not users-mgmt's or expired", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn verify_proof(
    caller: Caller,
    body: Body<VerifyRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let reply = state.users_mgmt.call_plain(Method::POST, "/jwt/verifyToken", &json!({"token": r.token})).await?;
    Ok(caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
