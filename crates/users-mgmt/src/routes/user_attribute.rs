//! The catalog group User Attribute: the custom attributes of a community's auth modules,
//! defined, listed, changed and deleted, and the attributes a module's data source offers. Every
//! endpoint takes a system, service or service_ext key authorized for the community (the router
//! checks the community).
//!
//! Bodies may be sealed or plain; replies are sealed for the caller when the request was, and
//! always for the calls without a body.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::{ApiError, Body};
use kit::directory::Located;
use kit::openapi::{ErrorBody, Sealable, SealedBody};
use kit::{AppResult, DomainError, Endpoint, Licensed, ServiceLevels, endpoint};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use crate::State;
use crate::domain::attributes::{self, AttributePatch, MAX_PER_CALL, NewAttribute};
use crate::domain::modules;

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(create_attributes),
        endpoint!(list_attributes),
        endpoint!(update_attributes),
        endpoint!(update_attribute),
        endpoint!(delete_attribute),
        endpoint!(module_attributes_of_attribute),
        endpoint!(directory_attributes),
    ]
}

/// The `moduleId` query parameter.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ModuleQuery {
    /// The auth module.
    module_id: String,
}

/// An attribute's path.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributePath {
    #[allow(dead_code)]
    tenant_id: String,
    #[allow(dead_code)]
    community_id: String,
    attribute_id: String,
}

/// Body of `PUT …/attributes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAttributesRequest {
    /// 1 to 100 attributes (`name`, `attribute`).
    #[schema(value_type = Vec<Object>)]
    attributes: Vec<Value>,
}

/// Body of `PATCH …/attributes`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAttributesRequest {
    /// 1 to 100 changes (`id`, and `name` or `attribute`).
    #[schema(value_type = Vec<Object>)]
    attributes: Vec<Value>,
}

fn bulk_size(n: usize) -> Result<(), ApiError> {
    if (1..=MAX_PER_CALL).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("attributes must hold 1 to {MAX_PER_CALL} attributes")))
    }
}

/// One failed item of a bulk call, by index; store failures end the call instead.
fn item_error(index: usize, e: DomainError) -> Result<Value, kit::AppError> {
    match e {
        DomainError::Store(e) => Err(e.into()),
        e => Ok(json!({"index": index, "code": attributes::code(&e), "message": e.to_string()})),
    }
}

/// Create user attribute for auth module.
///
/// Each attribute (`name`, `attribute`) is checked on its own: `created` has those stored,
/// `errors` the others by index (`code` 400 for a bad name or attribute, 409 for a name the
/// module already has, whatever its case). The module must be in the community (404).
#[utoipa::path(
    put,
    path = "/tenant/{tenantId}/community/{communityId}/attributes",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ModuleQuery),
    request_body = Sealable<CreateAttributesRequest>,
    responses(
        (status = 200, description = "`created` and `errors`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or moduleId, too many attributes", body = ErrorBody),
        (status = 404, description = "No such auth module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(requested = tracing::field::Empty, created = tracing::field::Empty))]
pub async fn create_attributes(
    auth: Licensed<ServiceLevels>,
    community: Located,
    query: web::Query<ModuleQuery>,
    body: Body<CreateAttributesRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: request, encrypted } = body;
    let Located(community) = community;
    bulk_size(request.attributes.len())?;
    let module = modules::find(&*state.stores.modules, &community.id, &query.module_id).await?;
    let store = &*state.stores.attributes;
    let (mut created, mut errors) = (Vec::new(), Vec::new());
    let requested = request.attributes.len();
    for (index, raw) in request.attributes.into_iter().enumerate() {
        let result = async {
            let new: NewAttribute =
                envelope::deser::from_value(raw).map_err(|e| DomainError::Invalid(e.to_string()))?;
            let a = attributes::new_attribute(&community.tenant_id, &community.id, &module.id, &new)?;
            store.insert(&a).await.map_err(attributes::name_taken)?;
            Ok::<_, DomainError>(a)
        }
        .await;
        match result {
            Ok(a) => created.push(a.to_reply()),
            Err(e) => errors.push(item_error(index, e)?),
        }
    }
    let span = tracing::Span::current();
    span.record("requested", requested);
    span.record("created", created.len());
    let reply = json!({"created": created, "errors": errors});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Get all user attribute of auth module.
///
/// The attributes of the module `moduleId`, by name; `[]` when it has none (or is not a module
/// of the community).
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/attributes",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ModuleQuery),
    responses(
        (status = 200, description = "The attributes, sealed", body = SealedBody),
        (status = 400, description = "A missing or malformed moduleId", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn list_attributes(
    auth: Licensed<ServiceLevels>,
    community: Located,
    query: web::Query<ModuleQuery>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let module_id = kit::ids::object_id("moduleId", &query.module_id)?;
    let list = state.stores.attributes.list(&community.0.id, &module_id).await?;
    let replies: Vec<Value> = list.iter().map(attributes::Attribute::to_reply).collect();
    Ok(auth.caller.reply(&replies)?)
}

/// Get attributes shared authModule with attributeId.
///
/// Every attribute of the module of the attribute `attributeId`, by name; `[]` when there is no
/// such attribute in the community.
#[utoipa::path(
    get,
    path = "/tenant/{tenantId}/community/{communityId}/attribute/{attributeId}/attributes",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("attributeId" = String, Path)),
    responses((status = 200, description = "The attributes, sealed", body = SealedBody)),
)]
#[tracing::instrument(skip_all)]
pub async fn module_attributes_of_attribute(
    auth: Licensed<ServiceLevels>,
    community: Located,
    path: web::Path<AttributePath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let store = &*state.stores.attributes;
    let list = match attributes::find(store, &community.0.id, &path.attribute_id).await {
        Ok(a) => store.list(&community.0.id, &a.module_id).await?,
        Err(DomainError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let replies: Vec<Value> = list.iter().map(attributes::Attribute::to_reply).collect();
    Ok(auth.caller.reply(&replies)?)
}

/// Update user attribute.
///
/// Only the fields given (`name`, `attribute`) change; the module stays. 409 when the new name
/// is taken in the module.
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/attribute/{attributeId}",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("attributeId" = String, Path)),
    request_body = Sealable<AttributePatch>,
    responses(
        (status = 200, description = "The updated attribute, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, nothing to change", body = ErrorBody),
        (status = 404, description = "No such attribute in the community", body = ErrorBody),
        (status = 409, description = "The name is taken in the module", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_attribute(
    auth: Licensed<ServiceLevels>,
    community: Located,
    path: web::Path<AttributePath>,
    body: Body<AttributePatch>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value, encrypted } = body;
    if value.id.is_some() {
        return Err(ApiError::bad_request("id is given by the path, not the body").into());
    }
    let store = &*state.stores.attributes;
    let current = attributes::find(store, &community.0.id, &path.attribute_id).await?;
    let next = attributes::patched(&current, &value)?;
    store.update(&next).await.map_err(attributes::name_taken)?;
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &next.to_reply())?)
}

/// Bulk update user attributes.
///
/// Each change (`id`, and `name` or `attribute`) is applied on its own: `updated` has the
/// changed attributes, `errors` the others by index (`code` 400, 404 for an attribute not in the
/// community, 409 for a taken name).
#[utoipa::path(
    patch,
    path = "/tenant/{tenantId}/community/{communityId}/attributes",
    params(("tenantId" = String, Path), ("communityId" = String, Path)),
    request_body = Sealable<UpdateAttributesRequest>,
    responses(
        (status = 200, description = "`updated` and `errors`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body, too many attributes", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn update_attributes(
    auth: Licensed<ServiceLevels>,
    community: Located,
    body: Body<UpdateAttributesRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: request, encrypted } = body;
    bulk_size(request.attributes.len())?;
    let store = &*state.stores.attributes;
    let (mut updated, mut errors) = (Vec::new(), Vec::new());
    for (index, raw) in request.attributes.into_iter().enumerate() {
        let result = async {
            let change: AttributePatch =
                envelope::deser::from_value(raw).map_err(|e| DomainError::Invalid(e.to_string()))?;
            let id = change.id.as_deref().ok_or_else(|| DomainError::Invalid("id is required".into()))?;
            let current = attributes::find(store, &community.0.id, id).await?;
            let next = attributes::patched(&current, &change)?;
            store.update(&next).await.map_err(attributes::name_taken)?;
            Ok::<_, DomainError>(next)
        }
        .await;
        match result {
            Ok(a) => updated.push(a.to_reply()),
            Err(e) => errors.push(item_error(index, e)?),
        }
    }
    let reply = json!({"updated": updated, "errors": errors});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}

/// Delete user attribute.
#[utoipa::path(
    delete,
    path = "/tenant/{tenantId}/community/{communityId}/attribute/{attributeId}",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ("attributeId" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such attribute in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_attribute(
    _auth: Licensed<ServiceLevels>,
    community: Located,
    path: web::Path<AttributePath>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let store = &*state.stores.attributes;
    let a = attributes::find(store, &community.0.id, &path.attribute_id).await?;
    store.delete(&a.community_id, &a.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Body of `directoryattributes`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct DirectoryAttributesRequest {
    /// Page number from 0.
    #[serde(default)]
    pIndex: u64,
    /// Page size, 1 to 100, default 25.
    pSize: Option<u64>,
}

/// Get directory attributes for the auth module.
///
/// A page of the attributes the module's data source offers: for a `db` module, the fields of
/// its users (19). The attributes of a directory module (ldap, ad, azuread) are read from the
/// directory, which is not supported yet: 400, never a made-up list.
#[utoipa::path(
    post,
    path = "/tenant/{tenantId}/community/{communityId}/directoryattributes",
    params(("tenantId" = String, Path), ("communityId" = String, Path), ModuleQuery),
    request_body = Sealable<DirectoryAttributesRequest>,
    responses(
        (status = 200, description = "`page` and `data`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A bad body or page size, a directory module", body = ErrorBody),
        (status = 404, description = "No such auth module in the community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn directory_attributes(
    auth: Licensed<ServiceLevels>,
    community: Located,
    query: web::Query<ModuleQuery>,
    body: Body<DirectoryAttributesRequest>,
    state: web::Data<State>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let size = r.pSize.unwrap_or(25);
    if !(1..=100).contains(&size) {
        return Err(ApiError::bad_request("pSize must be 1 to 100").into());
    }
    let module = modules::find(&*state.stores.modules, &community.0.id, &query.module_id).await?;
    if module.module_type.is_directory() {
        return Err(ApiError::bad_request(format!(
            "the attributes of a {} module are read from its directory, which is not supported yet",
            module.module_type.name()
        ))
        .into());
    }
    let all = attributes::DB_ATTRIBUTES;
    let start = usize::try_from(r.pIndex.saturating_mul(size)).unwrap_or(usize::MAX).min(all.len());
    let end = start.saturating_add(usize::try_from(size).unwrap_or(usize::MAX)).min(all.len());
    let data = &all[start..end];
    let reply = json!({"page": {"index": r.pIndex, "total": all.len(), "size": data.len()}, "data": data});
    Ok(auth.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
