//! The catalog group EAM: a user found by its Azure AD object id (`oid`) and Azure AD tenant
//! (`tid`), for services holding a system or service key (the router checks the community).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::directory::Located;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, Licensed, SystemOrService, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::domain::modules::ModuleType;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_user_by_oid)]
}

/// Body of `user/fetch_by_oid`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidRequest {
    /// The user's Azure AD object id (a GUID).
    oid: String,
    /// The Azure AD tenant id (a GUID).
    tid: String,
}

fn guid(field: &str, text: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(text.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| ApiError::bad_request(format!("{field} must be a GUID")))
}

/// Fetch user by Azure AD OID
///
/// The community must have an enabled azuread auth module whose `config.tenantId` is `tid`
/// (404 otherwise). The user is the stored user of the community whose `idpId` is `oid`, as
/// `{"data": user}`; 404 when there is none, 409 when several users claim it. Users are not
/// looked up in Azure AD itself (directories are not reached yet).
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/user/fetch_by_oid",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<OidRequest>,
    responses(
        (status = 200, description = "`{\"data\": user}`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, an oid or tid that is not a GUID", body = ErrorBody),
        (status = 404, description = "No azuread module for tid, or no user with oid", body = ErrorBody),
        (status = 409, description = "Several users have this oid", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_user_by_oid(
    auth: Licensed<SystemOrService>,
    community: Located,
    body: Body<OidRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let oid = guid("oid", &r.oid)?;
    let tid = guid("tid", &r.tid)?;
    let community_id = community.0.id.as_str();
    let modules = state.stores.modules.list(community_id).await?;
    let tenant_of = |config: &serde_json::Map<String, Value>| {
        config.get("tenantId").and_then(Value::as_str).map(|t| t.trim().to_ascii_lowercase())
    };
    let found = modules
        .iter()
        .any(|m| m.module_type == ModuleType::Azuread && m.enabled && tenant_of(&m.config).as_deref() == Some(&tid));
    if !found {
        return Err(ApiError::not_found("no enabled azuread auth module of the community has this tid").into());
    }
    let mut users = state.stores.users.by_idp_id(community_id, &oid).await?;
    if users.len() > 1 {
        return Err(ApiError::conflict("several users of the community have this oid").into());
    }
    let user = users.pop().ok_or_else(|| ApiError::not_found("no user of the community has this oid"))?;
    let reply = json!({ "data": user.to_reply(None) });
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
