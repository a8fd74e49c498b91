//! The catalog group User Attributes: the custom attributes of a module of the session's
//! community, kept by users-mgmt and managed through it by administrators.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::app::Platform;
use kit::directory::CommunityRef;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::State;
use crate::routes::users::home_of;
use crate::session::{AdminSession, Administrator};
use crate::users_mgmt::UsersMgmt;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(list_attributes),
        endpoint!(create_attributes),
        endpoint!(update_attribute),
        endpoint!(delete_attribute),
    ]
}

/// A module id, checked before it goes into a users-mgmt path or query.
fn module_id(id: &str) -> Result<String, ApiError> {
    let id = id.trim();
    if kit::ids::is_object_id(id) {
        Ok(id.to_ascii_lowercase())
    } else {
        Err(ApiError::not_found("auth module not found"))
    }
}

fn attributes_path(community: &CommunityRef, module: &str) -> Result<String, ApiError> {
    Ok(UsersMgmt::community_path(community, &format!("/attributes?moduleId={}", module_id(module)?)))
}

/// Query of `GET /attributes`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ModuleQuery {
    /// The module whose attributes are listed.
    module_id: String,
}

/// Fetch user attributes.
///
/// The custom attributes of the module `moduleId` of the session's community. Administrators.
#[utoipa::path(
    get,
    path = "/attributes",
    params(ModuleQuery),
    responses(
        (status = 200, description = "The attributes, sealed", body = Sealable<Object>),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_attributes(
    admin: AdminSession<Administrator>,
    query: web::Query<ModuleQuery>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let reply = state.users_mgmt.get(&attributes_path(&community, &query.module_id)?).await?;
    Ok(admin.caller.reply(&reply)?)
}

/// Body of `PUT /attributes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateAttributesRequest {
    module_id: String,
    /// 1 to 100 attributes (`name`, `attribute`).
    #[schema(value_type = Vec<Object>)]
    attributes: Vec<Value>,
}

/// Create user attributes.
///
/// Defines attributes of the module, each checked on its own by users-mgmt (`created`, and
/// `errors` by index). Administrators.
#[utoipa::path(
    put,
    path = "/attributes",
    request_body = Sealable<CreateAttributesRequest>,
    responses(
        (status = 200, description = "`created` and `errors`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "No attribute or too many", body = ErrorBody),
        (status = 404, description = "No such module in the community", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_attributes(
    admin: AdminSession<Administrator>,
    body: Body<CreateAttributesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let path = attributes_path(&community, &r.module_id)?;
    let reply = state.users_mgmt.call(Method::PUT, &path, &json!({"attributes": r.attributes})).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Path of one attribute.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributePath {
    attribute_id: String,
}

/// The users-mgmt path of the attribute when it is one of `module`'s (404 otherwise).
async fn attribute_of(state: &State, community: &CommunityRef, module: &str, attribute_id: &str) -> AppResult<String> {
    let listed = state.users_mgmt.get(&attributes_path(community, module)?).await?;
    let id = attribute_id.trim();
    let known =
        listed.as_array().into_iter().flatten().any(|a| a["_id"].as_str() == Some(id) || a["id"].as_str() == Some(id));
    if !known {
        return Err(ApiError::not_found("the module has no attribute of this attributeId").into());
    }
    Ok(UsersMgmt::community_path(community, &format!("/attribute/{id}")))
}

/// Body of `PATCH /attributes/{attributeId}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateAttributeRequest {
    module_id: String,
    name: Option<String>,
    attribute: Option<String>,
}

/// Update a user attribute.
///
/// Renames the attribute of the module or changes what it maps to, as users-mgmt checks it.
/// Administrators.
#[utoipa::path(
    patch,
    path = "/attributes/{attributeId}",
    params(("attributeId" = String, Path)),
    request_body = Sealable<UpdateAttributeRequest>,
    responses(
        (status = 200, description = "The attribute, sealed when the request was", body = Sealable<Object>),
        (status = 404, description = "No such attribute in the module", body = ErrorBody),
        (status = 409, description = "The module has an attribute of the new name", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_attribute(
    admin: AdminSession<Administrator>,
    path: web::Path<AttributePath>,
    body: Body<UpdateAttributeRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = home_of(&platform, &admin).await?;
    let target = attribute_of(&state, &community, &r.module_id, &path.attribute_id).await?;
    let mut change = json!({});
    if let Some(name) = r.name {
        change["name"] = json!(name);
    }
    if let Some(attribute) = r.attribute {
        change["attribute"] = json!(attribute);
    }
    let reply = state.users_mgmt.call(Method::PATCH, &target, &change).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Body of `DELETE /attributes/{attributeId}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteAttributeRequest {
    module_id: String,
}

/// Delete a user attribute.
///
/// Deletes the attribute of the module. 204. Administrators.
#[utoipa::path(
    delete,
    path = "/attributes/{attributeId}",
    params(("attributeId" = String, Path)),
    request_body = Sealable<DeleteAttributeRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such attribute in the module", body = ErrorBody),
        (status = 503, description = "users-mgmt is unavailable", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_attribute(
    admin: AdminSession<Administrator>,
    path: web::Path<AttributePath>,
    body: Body<DeleteAttributeRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let community = home_of(&platform, &admin).await?;
    let target = attribute_of(&state, &community, &body.value.module_id, &path.attribute_id).await?;
    state.users_mgmt.delete(&target).await?;
    Ok(HttpResponse::NoContent().finish())
}
