//! Finding a community by the tenant's dns and the community's name:
//! `POST /community_auth_info/fetch` (catalog) and `POST /community_info/fetch` (the helper SDKs'
//! `BIDTenant.getCommunityInfo`, not in the catalog).

use actix_web::{HttpResponse, web};
use envelope::{Body, Caller};
use kit::AppResult;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AdminState;
use crate::domain::tenancy::{CommunityQuery, find_community};
use crate::store::{Community, Tenant};

/// Body of `POST /community_auth_info/fetch`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthInfoRequest {
    dns: String,
    community_name: String,
}

/// Body of `POST /community_info/fetch`: the tenant by `tenantId` or `dns`, the community by
/// `communityId` or `communityName`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InfoRequest {
    tenant_id: Option<String>,
    dns: Option<String>,
    community_id: Option<String>,
    community_name: Option<String>,
}

fn tenant_json(t: &Tenant) -> Value {
    json!({"id": t.id, "dns": t.dns, "tag": t.tag, "tenanttag": t.tag, "name": t.name})
}

fn community_json(c: &Community) -> Value {
    json!({"id": c.id, "name": c.name, "tenantid": c.tenant_id})
}

/// Fetch community auth info. The auth scheme, settings, branding and password reset options
/// are empty objects until those features exist.
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

/// The tenant and community a caller names, in plain JSON (no authentication, as the SDK calls it).
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
