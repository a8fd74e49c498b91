//! Storage of tenants, communities and license keys: the [`TenancyStore`] trait and its sqlx
//! implementation ([`SqlTenancy`]) over SQLite or PostgreSQL.

mod sql;

use async_trait::async_trait;
use kit::StoreError;
use kit::license::LicenseRecord;
use serde::Serialize;

pub use sql::SqlTenancy;

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

/// Tenants, communities and license keys.
#[async_trait]
pub trait TenancyStore: Send + Sync {
    /// Stores a new tenant; `Conflict` when its dns is taken.
    async fn insert_tenant(&self, tenant: &Tenant) -> Result<(), StoreError>;
    /// A tenant by id.
    async fn tenant(&self, id: &str) -> Result<Option<Tenant>, StoreError>;
    /// A tenant by (normalized) dns.
    async fn tenant_by_dns(&self, dns: &str) -> Result<Option<Tenant>, StoreError>;
    /// Stores a new community; `Conflict` when the tenant already has one of that name.
    async fn insert_community(&self, community: &Community) -> Result<(), StoreError>;
    /// A community by id.
    async fn community(&self, id: &str) -> Result<Option<Community>, StoreError>;
    /// A community of a tenant by name.
    async fn community_by_name(&self, tenant_id: &str, name: &str) -> Result<Option<Community>, StoreError>;
    /// Stores a new license key.
    async fn insert_license(&self, license: &LicenseRecord) -> Result<(), StoreError>;
    /// The license whose secret hashes to `secret_hash`.
    async fn license_by_secret_hash(&self, secret_hash: &str) -> Result<Option<LicenseRecord>, StoreError>;
    /// A license by keyId.
    async fn license(&self, key_id: &str) -> Result<Option<LicenseRecord>, StoreError>;
    /// Every license, oldest first.
    async fn licenses(&self) -> Result<Vec<LicenseRecord>, StoreError>;
    /// Disables or enables a license; `NotFound` when there is none.
    async fn set_disabled(&self, key_id: &str, disabled: bool) -> Result<(), StoreError>;
    /// Replaces the license `old_key_id` by `fresh`, atomically; `NotFound` when there is none.
    async fn replace_license(&self, old_key_id: &str, fresh: &LicenseRecord) -> Result<(), StoreError>;
}
