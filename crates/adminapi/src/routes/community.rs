//! Finding a community by the tenant's dns and the community's name:
//! `POST /community_auth_info/fetch` (catalog) and `POST /community_info/fetch` (the helper SDKs'
//! `BIDTenant.getCommunityInfo`, not in the catalog).

use actix_web::{HttpResponse, web};
use envelope::{Body, Caller};
use kit::AppResult;
use kit::openapi::{CallerHeaders, ErrorBody, Sealable};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::AdminState;
use crate::domain::tenancy::{CommunityQuery, find_community};
use crate::store::{Community, Tenant};

/// Body of `POST /community_auth_info/fetch`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfoRequest {
    /// The tenant's dns.
    dns: String,
    /// The community's name.
    community_name: String,
}

/// Body of `POST /community_info/fetch`: the tenant by `tenantId` or `dns`, the community by
/// `communityId` or `communityName`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfoRequest {
    /// The tenant's id (or give `dns`).
    tenant_id: Option<String>,
    /// The tenant's dns (or give `tenantId`).
    dns: Option<String>,
    /// The community's id (or give `communityName`).
    community_id: Option<String>,
    /// The community's name (or give `communityId`).
    community_name: Option<String>,
}

fn tenant_json(t: &Tenant) -> Value {
    json!({"id": t.id, "dns": t.dns, "tag": t.tag, "tenanttag": t.tag, "name": t.name})
}

fn community_json(c: &Community) -> Value {
    json!({"id": c.id, "name": c.name, "tenantid": c.tenant_id})
}

/// Fetch community auth info.
///
/// No license level: verified authentication headers (`Caller`). The body may be sealed; the
/// reply is sealed when it was. Its decrypted content is
/// `{community, tenant, authScheme, settings, branding, password_reset_options}`; the last four
/// are empty objects until those features exist.
#[utoipa::path(
    post,
    path = "/community_auth_info/fetch",
    params(CallerHeaders),
    request_body = Sealable<AuthInfoRequest>,
    responses(
        (status = 200, description = "The community, its tenant and their settings: sealed (`{\"data\"}`) when the request was", body = serde_json::Value),
        (status = 400, description = "Bad body or unreadable header", body = ErrorBody),
        (status = 401, description = "Bad authentication headers", body = ErrorBody),
        (status = 404, description = "No such tenant or community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn auth_info(
    state: web::Data<AdminState>,
    caller: Caller,
    body: Body<AuthInfoRequest>,
) -> AppResult<HttpResponse> {
    let q = CommunityQuery {
        dns: Some(body.value.dns.clone()),
        community_name: Some(body.value.community_name.clone()),
        ..CommunityQuery::default()
    };
    let (tenant, community) = find_community(&*state.store, &q).await?;
    let info = json!({
        "community": community_json(&community),
        "tenant": tenant_json(&tenant),
        "authScheme": {},
        "settings": {},
        "branding": {},
        "password_reset_options": {},
    });
    if body.encrypted { Ok(caller.reply(&info)?) } else { Ok(HttpResponse::Ok().json(info)) }
}

/// The tenant and community a caller names, in plain JSON.
///
/// No authentication, as the SDK calls it. The reply is `{tenant, community}`.
#[utoipa::path(
    post,
    path = "/community_info/fetch",
    request_body = InfoRequest,
    responses(
        (status = 200, description = "The tenant and the community", body = serde_json::Value),
        (status = 400, description = "Bad body", body = ErrorBody),
        (status = 404, description = "No such tenant or community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn info(state: web::Data<AdminState>, body: web::Json<InfoRequest>) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let q = CommunityQuery {
        tenant_id: body.tenant_id,
        dns: body.dns,
        community_id: body.community_id,
        community_name: body.community_name,
    };
    let (tenant, community) = find_community(&*state.store, &q).await?;
    Ok(HttpResponse::Ok().json(json!({"tenant": tenant_json(&tenant), "community": community_json(&community)})))
}
