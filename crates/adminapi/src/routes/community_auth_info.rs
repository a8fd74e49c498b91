//! The catalog group Community Auth Info: finding a community by the tenant's dns and the
//! community's name, `POST /community_auth_info/fetch`; and its twin outside the catalog,
//! `POST /community_info/fetch` (the helper SDKs' `BIDTenant.getCommunityInfo`).

use actix_web::{HttpResponse, web};
use envelope::{Body, Caller};
use kit::app::Platform;
use kit::openapi::{ErrorBody, Sealable};
use kit::{AppResult, Endpoint, endpoint};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::State;
use crate::domain::tenancy::{Community, CommunityQuery, Tenant, find_community};

/// The endpoints of the group, and `community_info` beside them.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        endpoint!(auth_info),
        endpoint!(info).outside_catalog("BIDTenant.getCommunityInfo: a tenant and community by dns and name"),
    ]
}

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
/// `communityId` or `communityName`; a `communityId` alone names both (the other services find a
/// community this way, see `kit::directory`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InfoRequest {
    /// The tenant's id (or give `dns`, or only `communityId`).
    tenant_id: Option<String>,
    /// The tenant's dns (or give `tenantId`, or only `communityId`).
    dns: Option<String>,
    /// The community's id (or give `communityName`).
    community_id: Option<String>,
    /// The community's name (or give `communityId`).
    community_name: Option<String>,
}

/// A tenant as the SDKs read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantInfo {
    id: String,
    dns: String,
    tag: String,
    /// The tag again, under the name older SDKs read.
    tenanttag: String,
    name: String,
}

impl From<Tenant> for TenantInfo {
    fn from(t: Tenant) -> Self {
        Self { id: t.id, dns: t.dns, tenanttag: t.tag.clone(), tag: t.tag, name: t.name }
    }
}

/// A community as the SDKs read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityInfo {
    id: String,
    name: String,
    tenantid: String,
    /// The key the SDKs encrypt their calls to the community with (`BIDOTP`, `BIDUsers`, …):
    /// adminapi's own public key, which every community of the deployment shares.
    #[serde(rename = "publicKey")]
    public_key: String,
}

impl CommunityInfo {
    fn new(c: Community, platform: &Platform) -> Self {
        Self { id: c.id, name: c.name, tenantid: c.tenant_id, public_key: platform.keys.public_base64().to_owned() }
    }
}

/// Settings a community does not have yet: an empty object.
type Unset = serde_json::Map<String, serde_json::Value>;

/// Reply of `POST /community_auth_info/fetch`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthInfo {
    community: CommunityInfo,
    tenant: TenantInfo,
    /// `{defaultModules}`: the auth modules the login offers (`PATCH /authscheme/default/modules`).
    #[serde(rename = "authScheme")]
    #[schema(value_type = Object)]
    auth_scheme: serde_json::Value,
    /// Empty until login settings are built.
    #[schema(value_type = Object)]
    settings: Unset,
    /// Empty until branding is built.
    #[schema(value_type = Object)]
    branding: Unset,
    /// Empty until password reset options are built.
    #[schema(value_type = Object)]
    password_reset_options: Unset,
}

/// Reply of `POST /community_info/fetch`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InfoReply {
    tenant: TenantInfo,
    community: CommunityInfo,
}

/// Fetch community auth info.
///
/// No license level: verified authentication headers (`Caller`). The body may be sealed; the
/// reply is sealed when it was. `authScheme` lists the default auth modules; `settings`,
/// `branding` and `password_reset_options` are empty objects until those features exist.
#[utoipa::path(
    post,
    path = "/community_auth_info/fetch",
    request_body = Sealable<AuthInfoRequest>,
    responses(
        (status = 200, description = "The community, its tenant and their settings: sealed (`{\"data\"}`) when the request was", body = Sealable<AuthInfo>),
        (status = 404, description = "No such tenant or community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn auth_info(
    state: web::Data<State>,
    platform: web::Data<Platform>,
    caller: Caller,
    body: Body<AuthInfoRequest>,
) -> AppResult<HttpResponse> {
    let q = CommunityQuery {
        dns: Some(body.value.dns.clone()),
        community_name: Some(body.value.community_name.clone()),
        ..CommunityQuery::default()
    };
    let (tenant, community) = find_community(&*state.stores.tenancy, &q).await?;
    let auth_scheme = crate::routes::auth_scheme::public_scheme(&state, &community.id).await?;
    let info = AuthInfo {
        community: CommunityInfo::new(community, &platform),
        tenant: tenant.into(),
        auth_scheme,
        settings: Unset::new(),
        branding: Unset::new(),
        password_reset_options: Unset::new(),
    };
    Ok(caller.reply_like(body.encrypted, actix_web::http::StatusCode::OK, &info)?)
}

/// The tenant and community a caller names, in plain JSON.
///
/// No authentication, as the SDK calls it.
#[utoipa::path(
    post,
    path = "/community_info/fetch",
    request_body = InfoRequest,
    responses(
        (status = 200, description = "The tenant and the community", body = InfoReply),
        (status = 404, description = "No such tenant or community", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn info(
    state: web::Data<State>,
    platform: web::Data<Platform>,
    body: web::Json<InfoRequest>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner();
    let q = CommunityQuery {
        tenant_id: body.tenant_id,
        dns: body.dns,
        community_id: body.community_id,
        community_name: body.community_name,
    };
    let (tenant, community) = find_community(&*state.stores.tenancy, &q).await?;
    Ok(HttpResponse::Ok()
        .json(InfoReply { tenant: tenant.into(), community: CommunityInfo::new(community, &platform) }))
}
