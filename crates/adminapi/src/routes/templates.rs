//! The catalog group Template Config: a community's email and SMS templates
//! ([`crate::domain::templates`]), fetched, created or replaced, and deleted by administrators of
//! the community a body names (the session's by default). Replies are sealed, or plain when the
//! request was.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::Owner;
use crate::domain::templates;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(fetch_templates), endpoint!(put_templates), endpoint!(delete_templates)]
}

/// Body of `POST /config/template/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchTemplatesRequest {
    /// Default: the session's.
    tenant_id: Option<String>,
    /// Default: the session's.
    community_id: Option<String>,
    /// Only these purposes (default: all): `self_onboarding`, `invite`, `reset_password`, `otp`,
    /// `phone_verify`.
    #[serde(default)]
    purposes: Vec<String>,
}

/// Body of `PUT /config/template`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PutTemplatesRequest {
    /// Default: the session's.
    tenant_id: Option<String>,
    /// Default: the session's.
    community_id: Option<String>,
    /// `{purpose: {channel: {id: {name, subject, data, isDefault}}}}`.
    #[serde(default)]
    #[schema(value_type = Object)]
    template_data: Value,
}

/// Body of `DELETE /config/template`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteTemplatesRequest {
    /// Default: the session's.
    tenant_id: Option<String>,
    /// Default: the session's.
    community_id: Option<String>,
    /// `purpose.channel.id` of each template to delete.
    #[serde(default, rename = "key_paths")]
    key_paths: Vec<String>,
}

/// Get templates.
///
/// The community's templates as `{purpose: {channel: {id: {name, subject, data, isDefault}}}}`,
/// only the `purposes` given (default: all). Administrators of the community.
#[utoipa::path(post, path = "/config/template/fetch", request_body = Sealable<FetchTemplatesRequest>,
    responses(
        (status = 200, description = "The templates, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An unknown purpose or field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn fetch_templates(
    admin: AdminSession<Administrator>,
    body: Body<FetchTemplatesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let s = &admin.session;
    let tenant = r.tenant_id.as_deref().unwrap_or(&s.tenant_id);
    let community =
        community_of(&platform, &admin, tenant, r.community_id.as_deref().unwrap_or(&s.community_id)).await?;
    let purposes = templates::parse_purposes(&r.purposes)?;
    let list = state.stores.templates.list(&community.id).await?;
    let data = templates::to_template_data(&list, &purposes);
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &data)?)
}

/// Create or update templates.
///
/// Each template `templateData` gives (`{purpose: {channel: {id: {name, subject, data,
/// isDefault}}}}`) is created or replaced whole. `data` and `subject` are minijinja templates,
/// compiled and rendered on write against the purpose's variables (an unknown variable is an
/// error); email bodies escape variables as HTML. Email needs a `subject`, SMS has none. A new
/// default replaces the former default of its purpose and channel. The community's templates.
/// Administrators of the community.
#[utoipa::path(put, path = "/config/template", request_body = Sealable<PutTemplatesRequest>,
    responses(
        (status = 200, description = "The community's templates, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "An unknown purpose, channel or field; a template that does not compile or \
            render (named purpose.channel.id, with the error kind and line); too long; two defaults", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn put_templates(
    admin: AdminSession<Administrator>,
    body: Body<PutTemplatesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let s = &admin.session;
    let tenant = r.tenant_id.as_deref().unwrap_or(&s.tenant_id);
    let community =
        community_of(&platform, &admin, tenant, r.community_id.as_deref().unwrap_or(&s.community_id)).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let now = state.clock.epoch_secs();
    let list = templates::put(&*state.stores.templates, owner, &r.template_data, &s.uid, now).await?;
    let data = templates::to_template_data(&list, &[]);
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &data)?)
}

/// Delete templates.
///
/// Deletes the templates `key_paths` names (`purpose.channel.id`), all or none. 204.
/// Administrators of the community.
#[utoipa::path(delete, path = "/config/template", request_body = Sealable<DeleteTemplatesRequest>,
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "No paths, too many, or a path that is not purpose.channel.id", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "A path that names no template of the community", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all)]
pub async fn delete_templates(
    admin: AdminSession<Administrator>,
    body: Body<DeleteTemplatesRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, .. } = body;
    let s = &admin.session;
    let tenant = r.tenant_id.as_deref().unwrap_or(&s.tenant_id);
    let community =
        community_of(&platform, &admin, tenant, r.community_id.as_deref().unwrap_or(&s.community_id)).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let now = state.clock.epoch_secs();
    templates::delete(&*state.stores.templates, owner, &r.key_paths, &s.uid, now).await?;
    Ok(HttpResponse::NoContent().finish())
}
