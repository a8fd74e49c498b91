//! The catalog group Test Connection: `POST /test-connection` tests an auth module of a
//! community the caller's license may act on, by asking users-mgmt, which really connects to a
//! directory module's hosts and binds (and tells which step failed: DNS, TCP, TLS, bind).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AnyLevel, AppResult, Endpoint, Licensed, endpoint};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::State;
use crate::routes::otp::licensed_community;
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(test_connection)]
}

/// Body of `POST /test-connection`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TestConnectionRequest {
    tenant_id: String,
    community_id: String,
    module_id: String,
}

/// Test auth module connection by moduleId.
///
/// The module of the community (which must exist, 404, and be one the license may act on, 403)
/// as users-mgmt's `test-connection` answers it: the module with `status` and `message` and, for
/// an `ldap` or `ad` module, `hosts` (each host's result and the `step` that failed: dns, tcp,
/// tls or bind). users-mgmt's refusals keep their status and message; 503 when it cannot be
/// reached. Any license that may act in the community.
#[utoipa::path(
    post,
    path = "/test-connection",
    request_body = Sealable<TestConnectionRequest>,
    responses(
        (status = 200, description = "The module with `status`, `message` and `hosts`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body; a module users-mgmt cannot test", body = ErrorBody),
        (status = 403, description = "A license that may not act in the community", body = ErrorBody),
        (status = 404, description = "No such community or module", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn test_connection(
    auth: Licensed<AnyLevel>,
    body: Body<TestConnectionRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = licensed_community(&platform, &auth, &r.tenant_id, &r.community_id).await?;
    let module = r.module_id.trim();
    if !kit::ids::is_object_id(module) {
        return Err(ApiError::not_found("auth module not found").into());
    }
    let path =
        UsersMgmt::community_path(&community, &format!("/module/{}/test-connection", module.to_ascii_lowercase()));
    let reply = state.users_mgmt.get(&path).await?;
    tracing::info!(status = reply["status"].as_bool(), "auth module connection tested");
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
