//! The SQL implementations of adminapi's stores, one per aggregate, over the kit's sqlx `Any`
//! pool (portable SQL for SQLite and PostgreSQL). The traits belong to the domain modules:
//! [`crate::domain::tenancy::TenancyStore`], [`crate::domain::licenses::LicenseStore`],
//! [`crate::domain::authz::AuthzStore`],
//! [`crate::domain::config::ConfigStore`], [`crate::domain::audit::AuditLog`],
//! [`crate::domain::secrets::SecretStore`], [`crate::domain::msg_gateway::GatewayStore`],
//! [`crate::domain::images::ImageStore`], [`crate::domain::consents::ConsentStore`],
//! [`crate::domain::templates::TemplateStore`], [`crate::domain::module_scripts::ModuleScriptStore`],
//! [`crate::domain::hardware_tokens::TokenStore`], [`crate::domain::devices::DeviceStore`],
//! [`crate::domain::journeys::JourneyStore`], [`crate::domain::access_codes::AccessCodeStore`],
//! [`crate::domain::webauthn::CredentialStore`], [`crate::domain::webauthn::vendors::VendorStore`],
//! [`crate::domain::service_providers::ServiceProviderStore`],
//! [`crate::domain::oidc::keys::SigningKeyStore`],
//! [`crate::domain::reports::EventStore`] and [`crate::domain::reports::JobStore`] (one table each) and
//! [`crate::domain::radius::ProxyConfigStore`] (RADIUS and Auth Proxy, a table each).

mod access_codes;
mod audit;
mod auth_schemes;
mod authz;
mod config;
mod consents;
mod devices;
mod hardware_tokens;
mod identity_providers;
mod images;
mod journeys;
mod licenses;
mod module_scripts;
mod msg_gateways;
mod oidc_keys;
mod radius;
mod reports;
mod saml_keys;
mod secrets;
mod service_providers;
mod templates;
mod tenancy;
mod webauthn;

use std::sync::Arc;

use kit::db::Db;

pub use access_codes::SqlAccessCodes;
pub use audit::SqlAudit;
pub use auth_schemes::SqlAuthSchemes;
pub use authz::SqlAuthz;
pub use config::SqlConfigs;
pub use consents::SqlConsents;
pub use devices::SqlDevices;
pub use hardware_tokens::SqlHardwareTokens;
pub use identity_providers::SqlProviders;
pub use images::SqlImages;
pub use journeys::SqlJourneys;
pub use licenses::SqlLicenses;
pub use module_scripts::SqlModuleScripts;
pub use msg_gateways::SqlGateways;
pub use oidc_keys::SqlOidcKeys;
pub use radius::SqlProxyConfigs;
pub use reports::SqlReports;
pub use saml_keys::SqlSamlKeys;
pub use secrets::SqlSecrets;
pub use service_providers::SqlServiceProviders;
pub use templates::SqlTemplates;
pub use tenancy::SqlTenancy;
pub use webauthn::SqlWebauthn;

use crate::domain::access_codes::AccessCodeStore;
use crate::domain::audit::AuditLog;
use crate::domain::auth_scheme::AuthSchemeStore;
use crate::domain::authz::AuthzStore;
use crate::domain::config::ConfigStore;
use crate::domain::consents::ConsentStore;
use crate::domain::devices::DeviceStore;
use crate::domain::hardware_tokens::TokenStore;
use crate::domain::images::ImageStore;
use crate::domain::journeys::JourneyStore;
use crate::domain::licenses::LicenseStore;
use crate::domain::module_scripts::ModuleScriptStore;
use crate::domain::msg_gateway::GatewayStore;
use crate::domain::oidc::keys::SigningKeyStore;
use crate::domain::radius::{Kind, ProxyConfigStore};
use crate::domain::secrets::SecretStore;
use crate::domain::service_providers::ServiceProviderStore;
use crate::domain::templates::TemplateStore;
use crate::domain::tenancy::TenancyStore;
use crate::domain::webauthn::CredentialStore;
use crate::domain::webauthn::vendors::VendorStore;

/// Every store of adminapi.
#[derive(Clone)]
pub struct Stores {
    pub tenancy: Arc<dyn TenancyStore>,
    pub licenses: Arc<dyn LicenseStore>,
    pub authz: Arc<dyn AuthzStore>,
    pub auth_schemes: Arc<dyn AuthSchemeStore>,
    pub configs: Arc<dyn ConfigStore>,
    pub audit: Arc<dyn AuditLog>,
    pub secrets: Arc<dyn SecretStore>,
    pub gateways: Arc<dyn GatewayStore>,
    pub images: Arc<dyn ImageStore>,
    pub consents: Arc<dyn ConsentStore>,
    pub templates: Arc<dyn TemplateStore>,
    pub module_scripts: Arc<dyn ModuleScriptStore>,
    pub hardware_tokens: Arc<dyn TokenStore>,
    pub devices: Arc<dyn DeviceStore>,
    pub journeys: Arc<dyn JourneyStore>,
    pub access_codes: Arc<dyn AccessCodeStore>,
    pub webauthn_credentials: Arc<dyn CredentialStore>,
    pub webauthn_vendors: Arc<dyn VendorStore>,
    pub service_providers: Arc<dyn ServiceProviderStore>,
    pub oidc_keys: Arc<dyn SigningKeyStore>,
    pub radius_configs: Arc<dyn ProxyConfigStore>,
    pub authproxy_configs: Arc<dyn ProxyConfigStore>,
    pub identity_providers: Arc<dyn crate::domain::identity_providers::ProviderStore>,
    pub external_idps: Arc<dyn crate::domain::identity_providers::ProviderStore>,
    pub saml_keys: Arc<dyn crate::domain::saml::keys::SamlKeyStore>,
    pub report_events: Arc<dyn crate::domain::reports::EventStore>,
    pub report_jobs: Arc<dyn crate::domain::reports::JobStore>,
}

impl std::fmt::Debug for Stores {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stores").finish_non_exhaustive()
    }
}

impl Stores {
    /// The SQL stores over a migrated database.
    pub fn sql(db: &Db) -> Self {
        Self {
            tenancy: Arc::new(SqlTenancy::new(db.clone())),
            licenses: Arc::new(SqlLicenses::new(db.clone())),
            authz: Arc::new(SqlAuthz::new(db.clone())),
            auth_schemes: Arc::new(SqlAuthSchemes::new(db.clone())),
            configs: Arc::new(SqlConfigs::new(db.clone())),
            audit: Arc::new(SqlAudit::new(db.clone())),
            secrets: Arc::new(SqlSecrets::new(db.clone())),
            gateways: Arc::new(SqlGateways::new(db.clone())),
            images: Arc::new(SqlImages::new(db.clone())),
            consents: Arc::new(SqlConsents::new(db.clone())),
            templates: Arc::new(SqlTemplates::new(db.clone())),
            module_scripts: Arc::new(SqlModuleScripts::new(db.clone())),
            hardware_tokens: Arc::new(SqlHardwareTokens::new(db.clone())),
            devices: Arc::new(SqlDevices::new(db.clone())),
            journeys: Arc::new(SqlJourneys::new(db.clone())),
            access_codes: Arc::new(SqlAccessCodes::new(db.clone())),
            webauthn_credentials: Arc::new(SqlWebauthn::new(db.clone())),
            webauthn_vendors: Arc::new(SqlWebauthn::new(db.clone())),
            service_providers: Arc::new(SqlServiceProviders::new(db.clone())),
            oidc_keys: Arc::new(SqlOidcKeys::new(db.clone())),
            radius_configs: Arc::new(SqlProxyConfigs::new(db.clone(), Kind::Radius)),
            authproxy_configs: Arc::new(SqlProxyConfigs::new(db.clone(), Kind::AuthProxy)),
            identity_providers: Arc::new(SqlProviders::new(db.clone(), crate::domain::identity_providers::Kind::Idp)),
            external_idps: Arc::new(SqlProviders::new(db.clone(), crate::domain::identity_providers::Kind::External)),
            saml_keys: Arc::new(SqlSamlKeys::new(db.clone())),
            report_events: Arc::new(SqlReports::new(db.clone())),
            report_jobs: Arc::new(SqlReports::new(db.clone())),
        }
    }
}
