//! Tenants, communities and licenses: creating them with checked input, and finding a community
//! the way the SDKs name it (dns + community name, or ids).

use envelope::Curve;
use kit::StoreError;
use kit::license::LicenseRecord;

use super::licenses::{LicenseSpec, generate};
use super::{DomainError, ids};
use crate::store::{Community, TenancyStore, Tenant};

/// Creates a tenant; 400 when its dns is taken.
pub async fn create_tenant(store: &dyn TenancyStore, dns: &str, name: &str, tag: &str) -> Result<Tenant, DomainError> {
    let tenant = Tenant {
        id: ids::new_object_id(),
        dns: ids::dns(dns)?,
        tag: ids::name("tag", tag)?,
        name: ids::name("name", name)?,
    };
    store.insert_tenant(&tenant).await.map_err(|e| taken(e, format!("a tenant with dns {} exists", tenant.dns)))?;
    Ok(tenant)
}

/// Creates a community of the tenant named by id or dns; 400 when the name is taken.
pub async fn create_community(store: &dyn TenancyStore, tenant: &str, name: &str) -> Result<Community, DomainError> {
    let tenant = find_tenant(store, tenant).await?;
    let community = Community { id: ids::new_object_id(), name: ids::name("name", name)?, tenant_id: tenant.id };
    store
        .insert_community(&community)
        .await
        .map_err(|e| taken(e, format!("the tenant already has a community named {}", community.name)))?;
    Ok(community)
}

/// Creates a license key; every community it is limited to must exist.
pub async fn create_license(
    store: &dyn TenancyStore,
    spec: &LicenseSpec,
    curve: Curve,
) -> Result<LicenseRecord, DomainError> {
    ids::name("tag", &spec.tag)?;
    for id in spec.communities.iter().flatten() {
        if store.community(id).await?.is_none() {
            return Err(DomainError::NotFound(format!("community {id} not found")));
        }
    }
    let license = generate(spec, curve)?;
    store.insert_license(&license).await?;
    Ok(license)
}

/// A tenant by id (24 hex) or dns.
pub async fn find_tenant(store: &dyn TenancyStore, id_or_dns: &str) -> Result<Tenant, DomainError> {
    let found = if ids::is_object_id(id_or_dns.trim()) {
        store.tenant(&id_or_dns.trim().to_ascii_lowercase()).await?
    } else {
        store.tenant_by_dns(&ids::dns(id_or_dns)?).await?
    };
    found.ok_or_else(|| DomainError::NotFound(format!("tenant {} not found", id_or_dns.trim())))
}

/// How a caller names a community: the tenant by id or dns, the community by id or name.
#[derive(Debug, Clone, Default)]
pub struct CommunityQuery {
    pub tenant_id: Option<String>,
    pub dns: Option<String>,
    pub community_id: Option<String>,
    pub community_name: Option<String>,
}

/// The tenant and community a query names; 400 when it names neither, 404 when they do not exist.
pub async fn find_community(store: &dyn TenancyStore, q: &CommunityQuery) -> Result<(Tenant, Community), DomainError> {
    let tenant_ref = q
        .tenant_id
        .as_deref()
        .or(q.dns.as_deref())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| DomainError::Invalid("dns (or tenantId) is required".into()))?;
    let tenant = find_tenant(store, tenant_ref).await?;
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

fn taken(e: StoreError, message: String) -> DomainError {
    match e {
        StoreError::Conflict(_) => DomainError::Invalid(message),
        other => DomainError::Store(other),
    }
}
