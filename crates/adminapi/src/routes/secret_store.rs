//! The catalog group Secret Store: a community's secrets ([`crate::domain::secrets`]), created,
//! listed (metadata only) and deleted by its administrators. A value is sealed on the way in and
//! never answered or logged.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use envelope::Body;
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::State;
use crate::domain::config::Owner;
use crate::domain::secrets::Actor;
use crate::routes::users::community_of;
use crate::session::{AdminSession, Administrator};

/// The endpoints of the group.
pub fn endpoints() -> Vec<Endpoint> {
    vec![endpoint!(create_secret), endpoint!(fetch_secrets), endpoint!(delete_secret)]
}

/// Body of `POST /secret-store/create`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSecretRequest {
    tenant_id: String,
    community_id: String,
    /// Starts with a letter [a-zA-Z], then only [a-zA-Z0-9_]; at most 64 characters.
    tag: String,
    /// The value to seal: 1 to 8192 bytes. Never answered.
    value: String,
}

impl std::fmt::Debug for CreateSecretRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateSecretRequest")
            .field("tenant_id", &self.tenant_id)
            .field("community_id", &self.community_id)
            .field("tag", &self.tag)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Body of `POST /secret-store/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FetchSecretsRequest {
    tenant_id: String,
    community_id: String,
}

/// Body of `POST /secret-store/delete`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteSecretRequest {
    tenant_id: String,
    community_id: String,
    tag: String,
}

/// Create a new secret.
///
/// Seals `value` (AES-256-GCM, bound to the community and the tag) under `tag`, which must start
/// with a letter and hold only letters, digits and `_`. Answers the secret's metadata, never its
/// value. Community administrators, in their community.
#[utoipa::path(
    post,
    path = "/secret-store/create",
    request_body = Sealable<CreateSecretRequest>,
    responses(
        (status = 201, description = "`tag`, `createdBy`, `createdTs`, `tenantId`, `communityId`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field, a bad tag, an empty or too long value", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 409, description = "The community has a secret with this tag", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn create_secret(
    admin: AdminSession<Administrator>,
    body: Body<CreateSecretRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let s = &admin.session;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    let actor = Actor { uid: &s.uid, username: &s.username };
    let info = state.secrets.create(owner, actor, &r.tag, &r.value, state.clock.epoch_secs()).await?;
    tracing::info!("secret created");
    Ok(admin.caller.reply_like(encrypted, StatusCode::CREATED, &info)?)
}

/// Get secret store list.
///
/// The community's secrets by tag: `tag`, `createdBy`, `createdTs`, `tenantId`, `communityId`;
/// never a value. Community administrators, in their community.
#[utoipa::path(
    post,
    path = "/secret-store/fetch",
    request_body = Sealable<FetchSecretsRequest>,
    responses(
        (status = 200, description = "The secrets' metadata, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn fetch_secrets(
    admin: AdminSession<Administrator>,
    body: Body<FetchSecretsRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let secrets = state.secrets.list(&community.id).await?;
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &secrets)?)
}

/// Delete a secret.
///
/// Deletes the community's secret `tag`. Community administrators, in their community.
#[utoipa::path(
    post,
    path = "/secret-store/delete",
    request_body = Sealable<DeleteSecretRequest>,
    responses(
        (status = 200, description = "`message`, sealed when the request was", body = Sealable<Object>),
        (status = 400, description = "A missing field", body = ErrorBody),
        (status = 403, description = "Another community", body = ErrorBody),
        (status = 404, description = "No secret with this tag", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn delete_secret(
    admin: AdminSession<Administrator>,
    body: Body<DeleteSecretRequest>,
    state: web::Data<State>,
    platform: web::Data<Platform>,
) -> AppResult<HttpResponse> {
    let Body { value: r, encrypted } = body;
    let community = community_of(&platform, &admin, &r.tenant_id, &r.community_id).await?;
    let owner = Owner { tenant_id: &community.tenant_id, community_id: &community.id };
    state.secrets.delete(owner, &admin.session.uid, &r.tag, state.clock.epoch_secs()).await?;
    tracing::info!("secret deleted");
    let reply = json!({"message": "Secret deleted successfully"});
    Ok(admin.caller.reply_like(encrypted, StatusCode::OK, &reply)?)
}
