//! The catalog group User Properties: a user's mobiles, landlines and aliases (users-mgmt's), set
//! by administrators, and whether an alias is free in the community's db module.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

use crate::State;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(update_properties), endpoint!(alias_is_unique)]
}

/// Body of `POST /user_properties/update`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PropertiesRequest {
    tenant_id: String,
    community_id: String,
    /// `user` (`username`, `uid`, `authModuleId`), `aliases`, `mobiles`, `landlines`, as
    /// users-mgmt's `user_properties/update` takes them.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
}

/// Update a user's properties.
///
/// The mobiles, landlines and aliases of the user, set by users-mgmt (its rules: digits only,
/// at most 10 numbers each, an alias names one user of the module). The user's properties.
/// Administrators.
#[utoipa::path(
    post,
    path = "/user_properties/update",
    request_body = Sealable<PropertiesRequest>,
    responses(
        (status = 200, description = "The user's properties, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad number or alias", body = ErrorBody),
        (status = 404, description = "No such module or user", body = ErrorBody),
        (status = 409, description = "An alias of another user", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_properties(
    admin: AdminSession<Administrator>,
    body: Body<PropertiesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let path = UsersMgmt::community_path(&community, "/user_properties/update");
    let reply = state.users_mgmt.call(Method::POST, &path, &Value::Object(r.properties)).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `POST /user_properties/check_unique/alias`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AliasRequest {
    alias: String,
    tenant_id: String,
    community_id: String,
}

/// Check an alias is unique.
///
/// `{isUnique}`: whether no user of the community's db module has `alias` as a username or an
/// alias. Administrators.
#[utoipa::path(
    post,
    path = "/user_properties/check_unique/alias",
    request_body = Sealable<AliasRequest>,
    responses(
        (status = 200, description = "`{isUnique}`, sealed when the request was", body = Sealable<Object>),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn alias_is_unique(
    admin: AdminSession<Administrator>,
    body: Body<AliasRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let unique = match state.users_mgmt.login_module(&community).await? {
        None => true,
        Some(module) => {
            let path = UsersMgmt::community_path(&community, "/user/fetch_single_user_by_username");
            let query = json!({"authModule": module, "username": r.alias, "checkAliases": true});
            match state.users_mgmt.call(Method::POST, &path, &query).await {
                Ok(_) => false,
                Err(e) if e.status() == StatusCode::NOT_FOUND => true,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &json!({"isUnique": unique}))?)
}
