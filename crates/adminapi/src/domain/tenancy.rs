//! The tenancy aggregate: tenants and their communities, their store ([`TenancyStore`]), creating
//! them with checked input, and finding a community the way the SDKs name it (dns + community
//! name, or ids).

use async_trait::async_trait;
use kit::StoreError;
use serde::Serialize;

use super::{DomainError, ids};

/// A tenant: an organisation, reached by its DNS name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: String,
    pub dns: String,
    pub tag: String,
    pub name: String,
}

/// A community of a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Community {
    pub id: String,
    pub name: String,
    pub tenant_id: String,
}

/// Where tenants and communities are kept (`crate::store::SqlTenancy`).
#[async_trait]
pub trait TenancyStore: Send + Sync {
    /// Stores a new tenant; `Conflict` when its dns is taken.
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// A tenant by id.
    async fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError>;
    /// A tenant by (normalized) dns.
    async fn tenant_by_dns(&self, dns: &str) -> Result<Option<Tenant>, StoreError>;
    /// The tenants with this tag (tags need not be unique), by id.
    async fn tenants_by_tag(&self, tag: &str) -> Result<Vec<Tenant>, StoreError>;
    /// Stores a new community; `Conflict` when the tenant already has one of that name.
    async fn insert_community(&self, community: &Community) -> Result<(), StoreError>;
    /// A community by id.
    async fn community(&self, id: &str) -> Result<Option<Community>, StoreError>;
    /// A community of a tenant by name.
    async fn community_by_name(&self, tenant_id: &str, name: &str) -> Result<Option<Community>, StoreError>;
}

/// Creates a tenant; 400 when its dns is taken.
pub async fn create_tenant(store: &dyn TenancyStore, dns: &str, name: &str, tag: &str) -> Result<Tenant, DomainError> {
    let tenant = Tenant {
        id: ids::new_object_id(),
        dns: ids::dns(dns)?,
        tag: ids::name("tag", tag)?,
        name: ids::name("name", name)?,
    };
    store.insert_tenant(&tenant).await.map_err(|e| taken(e, "a tenant with this dns exists".into()))?;
    Ok(tenant)
}

/// Creates a community of the tenant named by id or dns; 400 when the name is taken.
pub async fn create_community(store: &dyn TenancyStore, tenant: &str, name: &str) -> Result<Community, DomainError> {
    let tenant = find_tenant(store, tenant).await?;
    let community = Community { id: ids::new_object_id(), name: ids::name("name", name)?, tenant_id: tenant.id };
    store
        .insert_community(&community)
        .await
        .map_err(|e| taken(e, "the tenant already has a community of this name".into()))?;
    Ok(community)
}

/// A tenant by id (24 hex) or dns.
pub async fn find_tenant(store: &dyn TenancyStore, id_or_dns: &str) -> Result<Tenant, DomainError> {
    let found = if ids::is_object_id(id_or_dns.trim()) {
        store.tenant(&id_or_dns.trim().to_ascii_lowercase()).await?
    } else {
        store.tenant_by_dns(&ids::dns(id_or_dns)?).await?
    };
    found.ok_or_else(|| DomainError::NotFound("tenant not found".into()))
}

/// How a caller names a community: the tenant by id or dns, the community by id or name.
#[derive(Debug, Clone, Default)]
pub struct CommunityQuery {
    pub tenant_id: Option<String>,
    pub dns: Option<String>,
    pub community_id: Option<String>,
    pub community_name: Option<String>,
}

/// The tenant and community a query names; 400 when it names neither, 404 when they do not
/// exist. A `communityId` alone names its community and tenant (ids are unique).
pub async fn find_community(store: &dyn TenancyStore, q: &CommunityQuery) -> Result<(Tenant, Community), DomainError> {
    let tenant_ref = q.tenant_id.as_deref().or(q.dns.as_deref()).filter(|s| !s.trim().is_empty());
    let tenant = match (tenant_ref, q.community_id.as_deref().filter(|s| !s.trim().is_empty())) {
        (Some(tenant), _) => find_tenant(store, tenant).await?,
        (None, Some(id)) => {
            let community = store.community(&ids::object_id("communityId", id)?).await?;
            let owner = match &community {
                Some(c) => store.tenant(&c.tenant_id).await?,
                None => None,
            };
            owner.ok_or_else(|| DomainError::NotFound("community not found".into()))?
        }
        (None, None) => return Err(DomainError::Invalid("dns (or tenantId, or communityId) is required".into())),
    };
    let community = match (q.community_id.as_deref(), q.community_name.as_deref()) {
        (Some(id), _) if !id.trim().is_empty() => {
            store.community(&ids::object_id("communityId", id)?).await?.filter(|c| c.tenant_id == tenant.id)
        }
        (_, Some(name)) if !name.trim().is_empty() => store.community_by_name(&tenant.id, name.trim()).await?,
        _ => return Err(DomainError::Invalid("communityName (or communityId) is required".into())),
    };
    let community = community.ok_or_else(|| DomainError::NotFound("community not found".into()))?;
    Ok((tenant, community))
}

/// The community named `community_name` of the tenant tagged `tag` (or whose dns is `tag`), as
/// the login page names it: 404 when there is none, 400 when tenants sharing the tag both have
/// one of that name.
pub async fn find_by_tag(
    store: &dyn TenancyStore,
    tag: &str,
    community_name: &str,
) -> Result<(Tenant, Community), DomainError> {
    let (tag, name) = (tag.trim(), community_name.trim());
    if tag.is_empty() || name.is_empty() {
        return Err(DomainError::Invalid("tenantTag and communityName are required".into()));
    }
    let mut tenants = store.tenants_by_tag(tag).await?;
    if let Ok(dns) = ids::dns(tag)
        && let Some(t) = store.tenant_by_dns(&dns).await?
        && !tenants.contains(&t)
    {
        tenants.push(t);
    }
    let mut found = Vec::new();
    for tenant in tenants {
        if let Some(c) = store.community_by_name(&tenant.id, name).await? {
            found.push((tenant, c));
        }
    }
    match found.len() {
        0 => Err(DomainError::NotFound("no community has this communityName in the tenant of tenantTag".into())),
        1 => Ok(found.remove(0)),
        _ => Err(DomainError::Invalid("tenantTag names several tenants with this communityName: use the dns".into())),
    }
}

fn taken(e: StoreError, message: String) -> DomainError {
    match e {
        StoreError::Conflict(_) => DomainError::Invalid(message),
        other => DomainError::Store(other),
    }
}

/// The tenancy store as the platform's directory of communities ([`kit::directory`]): adminapi
/// answers from its database, and keeps the communities it found for `DIRECTORY_CACHE_TTL`
/// (communities are never renamed, moved or deleted; an unknown id is always asked again, so a
/// community just created, by this process or the command line, is found at once).
pub struct TenancyDirectory {
    store: std::sync::Arc<dyn TenancyStore>,
    found: moka::sync::Cache<String, kit::directory::CommunityRef>,
}

impl TenancyDirectory {
    /// Over `store`, caching found communities for `ttl`.
    pub fn new(store: std::sync::Arc<dyn TenancyStore>, ttl: std::time::Duration) -> Self {
        Self { store, found: moka::sync::Cache::builder().max_capacity(10_000).time_to_live(ttl).build() }
    }
}

#[async_trait]
impl kit::directory::Directory for TenancyDirectory {
    async fn community(
        &self,
        id: &str,
    ) -> Result<Option<kit::directory::CommunityRef>, kit::directory::DirectoryError> {
        if let Some(hit) = self.found.get(id) {
            return Ok(Some(hit));
        }
        let unavailable = |e: StoreError| kit::directory::DirectoryError::Unavailable(e.to_string());
        let Some(c) = self.store.community(id).await.map_err(unavailable)? else { return Ok(None) };
        let Some(tenant) = self.store.tenant(&c.tenant_id).await.map_err(unavailable)? else { return Ok(None) };
        let found =
            kit::directory::CommunityRef { id: c.id, name: c.name, tenant_id: c.tenant_id, tenant_dns: tenant.dns };
        self.found.insert(id.to_owned(), found.clone());
        Ok(Some(found))
    }
}
