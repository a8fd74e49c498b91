//! The first start of a platform: a default tenant, a community and a system license, created
//! once and found again on every later run (by the tenant's dns, the community's name and the
//! license's tag), so bootstrapping twice changes nothing.

use std::collections::BTreeMap;

use envelope::Curve;
use kit::license::{KeyType, Level};
use serde::Serialize;

use super::licenses::LicenseSpec;
use super::{DomainError, ids, tenancy};
use crate::store::Stores;

/// The tag of the license the bootstrap creates.
pub const BOOTSTRAP_TAG: &str = "bootstrap";

/// What to create on the first run.
#[derive(Debug, Clone)]
pub struct BootstrapOptions {
    pub dns: String,
    pub tenant_name: String,
    pub tenant_tag: String,
    pub community_name: String,
    /// Validity of the system license, in days.
    pub license_days: i64,
    pub curve: Curve,
    /// The base URLs of the services, written to the bootstrap file.
    pub urls: BTreeMap<String, String>,
}

/// What a caller needs to start using the platform (`./data/bootstrap.json`).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bootstrap {
    pub tenant_id: String,
    pub community_id: String,
    pub community_name: String,
    pub dns: String,
    /// The system license key (its secret).
    pub license_key: String,
    pub urls: BTreeMap<String, String>,
    /// The first administrator (with users-mgmt running at bootstrap; see
    /// [`super::bootstrap_admin`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub admin: Option<super::bootstrap_admin::Admin>,
}

/// Creates what is missing of the default tenant, community and system license; returns them and
/// whether anything was created.
pub async fn ensure(stores: &Stores, o: &BootstrapOptions) -> Result<(Bootstrap, bool), DomainError> {
    let store = &*stores.tenancy;
    let dns = ids::dns(&o.dns)?;
    let mut created = false;
    let tenant = match store.tenant_by_dns(&dns).await? {
        Some(t) => t,
        None => {
            created = true;
            tenancy::create_tenant(store, &dns, &o.tenant_name, &o.tenant_tag).await?
        }
    };
    let community = match store.community_by_name(&tenant.id, o.community_name.trim()).await? {
        Some(c) => c,
        None => {
            created = true;
            tenancy::create_community(store, &tenant.id, &o.community_name).await?
        }
    };
    let now = envelope::wire::now_epoch();
    let existing = stores
        .licenses
        .licenses()
        .await?
        .into_iter()
        .find(|l| l.tag == BOOTSTRAP_TAG && l.auth_level == Level::System && l.status(now).is_ok());
    let license = match existing {
        Some(l) => l,
        None => {
            created = true;
            let spec = LicenseSpec {
                key_type: KeyType::Hawk,
                level: Level::System,
                tag: BOOTSTRAP_TAG.into(),
                expiry: now + o.license_days * 86_400,
                communities: None,
            };
            super::licenses::create_license(store, &*stores.licenses, &spec, o.curve).await?
        }
    };
    let out = Bootstrap {
        tenant_id: tenant.id,
        community_id: community.id,
        community_name: community.name,
        dns: tenant.dns,
        license_key: license.key_secret,
        urls: o.urls.clone(),
        admin: None,
    };
    Ok((out, created))
}
