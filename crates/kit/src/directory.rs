//! Which tenants and communities exist, for every service: one cached lookup that endpoints
//! naming a tenant or a community go through, so a community that does not exist, or that
//! belongs to another tenant, is 404 everywhere.
//!
//! - adminapi keeps tenants and communities and answers from its database (it registers its own
//!   [`Directory`] with [`crate::app::Platform::with_directory`]).
//! - Every other service asks adminapi (`adminapi` in the service directory) with
//!   `POST /community_info/fetch`, the call of the helper SDKs' `BIDTenant.getCommunityInfo`, and
//!   caches the answer: found communities `DIRECTORY_CACHE_TTL` seconds (default 300), unknown
//!   ids `DIRECTORY_NEGATIVE_CACHE_TTL` seconds (default 10, so a community just created is
//!   found quickly). Communities are not deleted, so a cached community stays true.
//! - A service without adminapi (a standalone deployment, the tests) knows the communities of
//!   `LOCAL_COMMUNITIES`, a JSON array of `{"tenantId", "communityId", "communityName"}`, and no other.
//!
//! The router checks the `tenantId` and `communityId` of every route's path ([`check_path`]),
//! after the caller's headers and before its license; a handler that reads them from a body
//! calls [`locate`].

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpMessage as _, HttpRequest, web};
use async_trait::async_trait;
use envelope::ApiError;
use serde::Deserialize;

use crate::config::{ConfigError, Settings};
use crate::ids::is_object_id;

/// The service that keeps tenants and communities.
pub const TENANCY_SERVICE: &str = "adminapi";

/// A community and the tenant it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityRef {
    /// 24 lowercase hex digits.
    pub id: String,
    pub name: String,
    /// The tenant's id, 24 lowercase hex digits.
    pub tenant_id: String,
    /// The tenant's DNS name (part of a user's `urn`).
    pub tenant_dns: String,
}

/// Why a lookup has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    #[error("the tenancy service is unavailable: {0}")]
    Unavailable(String),
}

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        let DirectoryError::Unavailable(cause) = e;
        tracing::error!(%cause, "tenancy service unavailable");
        ApiError::unavailable("the tenancy service is unavailable, try again")
    }
}

/// Knows which communities exist.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The community whose id is `id` (24 lowercase hex digits), or `None` when there is none.
    async fn community(&self, id: &str) -> Result<Option<CommunityRef>, DirectoryError>;
}

/// What a request says of a community: its id, and optionally its tenant and its name.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub community_id: &'a str,
    pub tenant_id: Option<&'a str>,
    pub community_name: Option<&'a str>,
}

/// The community a request names; 404 when it does not exist, belongs to another tenant than the
/// one named, or has another name than the one given. The messages name the fields, never
/// their values.
pub async fn locate(directory: &dyn Directory, named: Named<'_>) -> Result<CommunityRef, ApiError> {
    let id = named.community_id.trim();
    let found = if is_object_id(id) { directory.community(&id.to_ascii_lowercase()).await? } else { None };
    let community = found.ok_or_else(|| ApiError::not_found("no community has this communityId"))?;
    if let Some(tenant) = named.tenant_id
        && !tenant.trim().eq_ignore_ascii_case(&community.tenant_id)
    {
        return Err(ApiError::not_found("the community of communityId does not belong to the tenant of tenantId"));
    }
    if let Some(name) = named.community_name
        && name.trim() != community.name
    {
        return Err(ApiError::not_found("communityName is not the name of the community of communityId"));
    }
    Ok(community)
}

/// The `communityId` of `req`'s path exists, and belongs to the path's `tenantId` when there is
/// one (404 otherwise); a path without `communityId` passes.
pub async fn check_path(req: &HttpRequest) -> Result<(), ApiError> {
    let Some(community_id) = req.match_info().get("communityId") else { return Ok(()) };
    let named = Named { community_id, tenant_id: req.match_info().get("tenantId"), community_name: None };
    let community = locate(&*directory(req)?, named).await?;
    req.extensions_mut().insert(community);
    Ok(())
}

/// The community of the request's path, as the router found it ([`check_path`]): for handlers
/// of routes with a `communityId`.
#[derive(Debug, Clone)]
pub struct Located(pub CommunityRef);

impl actix_web::FromRequest for Located {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let found = req.extensions().get::<CommunityRef>().cloned().map(Self).ok_or_else(|| {
            tracing::error!("Located used on a route whose path has no communityId");
            ApiError::internal()
        });
        std::future::ready(found)
    }
}

/// The directory registered in the app.
pub fn directory(req: &HttpRequest) -> Result<Arc<dyn Directory>, ApiError> {
    req.app_data::<web::Data<dyn Directory>>().map(|d| d.clone().into_inner()).ok_or_else(|| {
        tracing::error!("no Directory registered as app data");
        ApiError::internal()
    })
}

/// The communities of `LOCAL_COMMUNITIES`.
#[derive(Debug, Default)]
pub struct LocalDirectory {
    communities: Vec<CommunityRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LocalEntry {
    tenant_id: String,
    community_id: String,
    community_name: String,
    /// The tenant's DNS name, `localhost` when not given.
    dns: Option<String>,
}

impl LocalDirectory {
    /// From the settings' `LOCAL_COMMUNITIES` (none when unset).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let Some(text) = settings.var("LOCAL_COMMUNITIES")? else { return Ok(Self::default()) };
        let bad = |why: &str| {
            ConfigError(format!(
                "LOCAL_COMMUNITIES must be a JSON array of {{\"tenantId\", \"communityId\", \"communityName\"}} with 24-hex ids: {why}"
            ))
        };
        let entries: Vec<LocalEntry> = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
        let communities = entries
            .into_iter()
            .map(|e| {
                if !is_object_id(&e.tenant_id) || !is_object_id(&e.community_id) {
                    return Err(bad("an id is not 24 hex digits"));
                }
                Ok(CommunityRef {
                    id: e.community_id.to_ascii_lowercase(),
                    name: e.community_name,
                    tenant_id: e.tenant_id.to_ascii_lowercase(),
                    tenant_dns: e.dns.unwrap_or_else(|| "localhost".into()),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { communities })
    }

    /// A directory of exactly `communities`.
    pub fn new(communities: Vec<CommunityRef>) -> Self {
        Self { communities }
    }
}

#[async_trait]
impl Directory for LocalDirectory {
    async fn community(&self, id: &str) -> Result<Option<CommunityRef>, DirectoryError> {
        Ok(self.communities.iter().find(|c| c.id == id).cloned())
    }
}

/// How long answers are cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirectoryTtls {
    /// `DIRECTORY_CACHE_TTL` seconds, default 300.
    pub positive: Duration,
    /// `DIRECTORY_NEGATIVE_CACHE_TTL` seconds, default 10.
    pub negative: Duration,
}

impl DirectoryTtls {
    /// From the settings.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let positive: u64 = settings.parse_var("DIRECTORY_CACHE_TTL", 300)?;
        let negative: u64 = settings.parse_var("DIRECTORY_NEGATIVE_CACHE_TTL", 10)?;
        Ok(Self { positive: Duration::from_secs(positive), negative: Duration::from_secs(negative) })
    }
}

/// A cached client of adminapi's `POST /community_info/fetch`, with the local communities first.
pub struct RemoteDirectory {
    local: LocalDirectory,
    http: reqwest::Client,
    url: String,
    /// Found communities and unknown ids (`None`), each with its own TTL.
    found: moka::sync::Cache<String, CommunityRef>,
    unknown: moka::sync::Cache<String, ()>,
}

impl std::fmt::Debug for RemoteDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteDirectory").field("url", &self.url).finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct InfoReply {
    tenant: InfoTenant,
    community: InfoCommunity,
}

#[derive(Deserialize)]
struct InfoTenant {
    dns: String,
}

#[derive(Deserialize)]
struct InfoCommunity {
    id: String,
    name: String,
    tenantid: String,
}

impl RemoteDirectory {
    /// A client of the tenancy service at `url`.
    pub fn new(local: LocalDirectory, http: reqwest::Client, url: &str, ttls: DirectoryTtls) -> Self {
        Self {
            local,
            http,
            url: url.trim_end_matches('/').to_owned(),
            found: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(ttls.positive).build(),
            unknown: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(ttls.negative).build(),
        }
    }

    async fn fetch(&self, id: &str) -> Result<Option<CommunityRef>, DirectoryError> {
        let unavailable = |why: String| DirectoryError::Unavailable(format!("{}/community_info/fetch {why}", self.url));
        let reply = self
            .http
            .post(format!("{}/community_info/fetch", self.url))
            .json(&serde_json::json!({ "communityId": id }))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| unavailable(format!("failed: {e}")))?;
        match reply.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            status => return Err(unavailable(format!("answered {status}"))),
        }
        let info: InfoReply =
            reply.json().await.map_err(|e| unavailable(format!("answered an unreadable body: {e}")))?;
        let (c, dns) = (info.community, info.tenant.dns);
        if c.id.to_ascii_lowercase() != id || !is_object_id(&c.tenantid) {
            return Err(unavailable("answered another community".into()));
        }
        Ok(Some(CommunityRef {
            id: c.id.to_ascii_lowercase(),
            name: c.name,
            tenant_id: c.tenantid.to_ascii_lowercase(),
            tenant_dns: dns,
        }))
    }
}

#[async_trait]
impl Directory for RemoteDirectory {
    async fn community(&self, id: &str) -> Result<Option<CommunityRef>, DirectoryError> {
        if let Some(local) = self.local.community(id).await? {
            return Ok(Some(local));
        }
        if let Some(hit) = self.found.get(id) {
            return Ok(Some(hit));
        }
        if self.unknown.get(id).is_some() {
            return Ok(None);
        }
        let found = self.fetch(id).await?;
        match &found {
            Some(c) => self.found.insert(id.to_owned(), c.clone()),
            None => self.unknown.insert(id.to_owned(), ()),
        }
        Ok(found)
    }
}

/// The directory of a service: adminapi's (cached, see the module doc) unless the service is
/// adminapi, which registers its own; or only the local communities.
pub fn for_service(settings: &Settings, http: reqwest::Client) -> Result<Arc<dyn Directory>, ConfigError> {
    let local = LocalDirectory::from_settings(settings)?;
    let remote = (settings.service != TENANCY_SERVICE).then(|| settings.service_url(TENANCY_SERVICE)).flatten();
    let Some(url) = remote else { return Ok(Arc::new(local)) };
    let ttls = DirectoryTtls::from_settings(settings)?;
    Ok(Arc::new(RemoteDirectory::new(local, http, url, ttls)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> LocalDirectory {
        LocalDirectory::new(vec![CommunityRef {
            id: "5f3d8d0cd866fa61019cf968".into(),
            name: "default".into(),
            tenant_id: "5f3d8d0cd866fa61019cf900".into(),
            tenant_dns: "acme.example".into(),
        }])
    }

    fn named<'a>(community_id: &'a str, tenant_id: Option<&'a str>, community_name: Option<&'a str>) -> Named<'a> {
        Named { community_id, tenant_id, community_name }
    }

    #[tokio::test]
    async fn a_community_is_found_by_id_with_its_tenant_and_name() {
        let d = directory();
        let found = locate(&d, named("5F3D8D0CD866FA61019CF968", Some("5f3d8d0cd866fa61019cf900"), Some("default")))
            .await
            .unwrap();
        assert_eq!(found.name, "default");
        assert!(locate(&d, named("5f3d8d0cd866fa61019cf968", None, None)).await.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_id_another_tenant_or_another_name_is_404() {
        let d = directory();
        for (id, tenant, name) in [
            ("5f3d8d0cd866fa61019cf969", None, None),
            ("not-an-id", None, None),
            ("5f3d8d0cd866fa61019cf968", Some("5f3d8d0cd866fa61019cf901"), None),
            ("5f3d8d0cd866fa61019cf968", None, Some("other")),
        ] {
            let e = locate(&d, named(id, tenant, name)).await.unwrap_err();
            assert_eq!(e.status().as_u16(), 404, "{id} {tenant:?} {name:?}");
            let message = e.message();
            assert!(!message.contains(id) && !message.contains("other"), "no request value in {message}");
        }
    }
}
