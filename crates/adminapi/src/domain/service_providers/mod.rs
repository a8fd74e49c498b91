//! A community's service providers: the applications that sign their users in through the
//! community, as SAML 2.0 service providers, OpenID Connect clients or WS-Federation relying
//! parties. [`check`] turns a create or update request into the stored [`ServiceProvider`]
//! (every field checked, by name); [`saml`], [`oidc_client`] and [`wsfed`] hold the rules of
//! each type's configuration and [`catalog`] the templates of the featured applications.
//!
//! An OIDC client's secret is made at creation and shown once: the store keeps its MAC under a
//! subkey of the deployment's key ([`oidc_client::secret_mac`]), never the secret.

pub mod catalog;
pub mod featured;
pub mod oidc_client;
pub mod saml;
pub mod wsfed;

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DomainError;
use super::audit::Change;

pub use oidc_client::OidcConfig;
pub use saml::SamlConfig;
pub use wsfed::WsfedConfig;

/// The largest logo (a URL or a data URL), in bytes.
pub const MAX_LOGO: usize = 256 * 1024;
/// The longest mobile app label, in characters (the spec's rule).
pub const MAX_MOBILE_APP_LABEL: usize = 15;
/// The most service providers a list shows.
pub const LIST_LIMIT: u32 = 1000;

/// The protocol a service provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpType {
    Saml,
    Oidc,
    Wsfed,
}

impl SpType {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Saml => "saml",
            Self::Oidc => "oidc",
            Self::Wsfed => "wsfed",
        }
    }

    /// The type named `text`, or the 400 listing the types.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "saml" => Ok(Self::Saml),
            "oidc" => Ok(Self::Oidc),
            "wsfed" => Ok(Self::Wsfed),
            _ => Err(DomainError::Invalid("type must be one of: saml, oidc, wsfed".into())),
        }
    }
}

/// Body of `PUT /serviceprovider` and `PATCH /serviceprovider/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceProviderRequest {
    /// 1 to 100 printable characters.
    pub name: String,
    /// Default: empty.
    #[serde(default)]
    pub environment: Option<String>,
    /// A URL or data URL, may be empty (at most 256 KiB).
    #[serde(default)]
    pub logo: Option<String>,
    /// `saml`, `oidc` or `wsfed`.
    #[serde(rename = "type")]
    pub sp_type: String,
    /// Required for (and only for) type `saml`.
    #[serde(default)]
    pub saml_config: Option<saml::SamlConfigInput>,
    /// Required for (and only for) type `oidc`.
    #[serde(default)]
    pub oidc_config: Option<oidc_client::OidcConfigInput>,
    /// Required for (and only for) type `wsfed`.
    #[serde(default)]
    pub wsfed_config: Option<wsfed::WsfedConfigInput>,
    #[serde(default, rename = "forceReauthentication")]
    pub force_reauthentication: Option<bool>,
    /// Hide the banner on the OIDC login page.
    #[serde(default, rename = "hideBanner")]
    pub hide_banner: Option<bool>,
    /// Hide mobile app download links on the OIDC login page.
    #[serde(default, rename = "hideMobileLinks")]
    pub hide_mobile_links: Option<bool>,
    /// Custom mobile app name label (at most 15 characters, OIDC only).
    #[serde(default, rename = "mobileAppLabel")]
    pub mobile_app_label: Option<String>,
    /// What a fetched record carries and an update may send back: ignored.
    #[serde(default, rename = "_id")]
    pub _id: Option<serde_json::Value>,
    #[serde(default, rename = "communityId")]
    pub _community_id: Option<serde_json::Value>,
    #[serde(default, rename = "__v")]
    pub _v: Option<serde_json::Value>,
}

/// A service provider's configuration as stored and shown (without secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SpDocument {
    pub name: String,
    pub environment: String,
    /// Absent when none was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    #[serde(rename = "type")]
    pub sp_type: SpType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saml_config: Option<SamlConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_config: Option<OidcConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wsfed_config: Option<WsfedConfig>,
    #[serde(rename = "forceReauthentication")]
    pub force_reauthentication: bool,
    #[serde(rename = "hideBanner")]
    pub hide_banner: bool,
    #[serde(rename = "hideMobileLinks")]
    pub hide_mobile_links: bool,
    #[serde(default, rename = "mobileAppLabel", skip_serializing_if = "Option::is_none")]
    pub mobile_app_label: Option<String>,
}

/// A stored service provider.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceProvider {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub document: SpDocument,
    /// The MAC of an OIDC client's secret (hex), for OIDC providers.
    pub client_secret_mac: Option<String>,
    /// Bumped by every update (the spec's `__v`).
    pub version: i64,
    pub created_by: String,
    /// Epoch seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

impl ServiceProvider {
    /// The OIDC client id, for OIDC providers.
    pub fn client_id(&self) -> Option<&str> {
        self.document.oidc_config.as_ref().map(|c| c.client_id.as_str())
    }

    /// Whether the provider offers IdP-initiated login (SAML providers that enable it).
    pub fn idp_initiated(&self) -> bool {
        self.document.saml_config.as_ref().is_some_and(|c| c.idp_initiated)
    }

    /// The SAML entity id, for SAML providers; the realm (`wtrealm`), for WS-Fed relying parties.
    pub fn entity_id(&self) -> Option<&str> {
        match (&self.document.saml_config, &self.document.wsfed_config) {
            (Some(c), _) => Some(c.entity_id.as_str()),
            (None, Some(w)) => Some(w.realm.as_str()),
            _ => None,
        }
    }
}

/// Where service providers are kept (`crate::store::SqlServiceProviders`).
#[async_trait]
pub trait ServiceProviderStore: Send + Sync {
    /// Adds `sp` and records `change`, both or neither.
    async fn insert(&self, sp: &ServiceProvider, change: &Change) -> Result<(), StoreError>;
    /// The provider `id` of the community.
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<ServiceProvider>, StoreError>;
    /// The community's providers (of `sp_type` when given), oldest first, at most `limit`.
    async fn list(
        &self,
        community_id: &str,
        sp_type: Option<SpType>,
        limit: u32,
    ) -> Result<Vec<ServiceProvider>, StoreError>;
    /// The SAML providers of the community offering IdP-initiated login.
    async fn idp_initiated(&self, community_id: &str) -> Result<Vec<ServiceProvider>, StoreError>;
    /// The OIDC provider whose client id is `client_id` (in any community).
    async fn by_client_id(&self, client_id: &str) -> Result<Option<ServiceProvider>, StoreError>;
    /// The providers of `sp_type` whose entity id (SAML) or realm (WS-Fed) is `entity_id`, in any
    /// community, oldest first, at most `limit`.
    async fn by_entity_id(
        &self,
        entity_id: &str,
        sp_type: SpType,
        limit: u32,
    ) -> Result<Vec<ServiceProvider>, StoreError>;
    /// Replaces the provider when its stored `version` is `expected_version` (`false`: it changed
    /// meanwhile or is gone), recording `change`.
    async fn update(&self, sp: &ServiceProvider, expected_version: i64, change: &Change) -> Result<bool, StoreError>;
    /// Removes the provider (`false`: there was none), recording `change`.
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError>;
}

fn text_opt(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, DomainError> {
    match value {
        Some(v) if v.chars().count() > max => {
            Err(DomainError::Invalid(format!("{field} must be at most {max} characters")))
        }
        Some(v) if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') => {
            Err(DomainError::Invalid(format!("{field} must not hold control characters")))
        }
        other => Ok(other),
    }
}

/// The checked configuration of `request`. `previous` is the stored provider an update replaces
/// (its type may not change, its OIDC client id and SAML ids are kept).
pub fn check(request: ServiceProviderRequest, previous: Option<&SpDocument>) -> Result<SpDocument, DomainError> {
    let sp_type = SpType::parse(&request.sp_type)?;
    if let Some(prev) = previous
        && prev.sp_type != sp_type
    {
        return Err(DomainError::Invalid(format!(
            "type cannot change (the service provider is {}): delete it and create another",
            prev.sp_type.as_str()
        )));
    }
    let name = super::ids::name("name", &request.name)?;
    let environment = text_opt("environment", request.environment, 100)?.unwrap_or_default().trim().to_owned();
    let logo = match request.logo {
        Some(l) if l.len() > MAX_LOGO => {
            return Err(DomainError::Invalid(format!("logo must be at most {MAX_LOGO} bytes")));
        }
        Some(l) if l.chars().any(char::is_control) => {
            return Err(DomainError::Invalid("logo must not hold control characters".into()));
        }
        other => other,
    };
    let only = |given: bool, field: &str, for_type: &str| {
        if given && sp_type.as_str() != for_type {
            Err(DomainError::Invalid(format!("{field} is only for type {for_type}")))
        } else {
            Ok(())
        }
    };
    only(request.saml_config.is_some(), "saml_config", "saml")?;
    only(request.oidc_config.is_some(), "oidc_config", "oidc")?;
    only(request.wsfed_config.is_some(), "wsfed_config", "wsfed")?;
    only(request.mobile_app_label.is_some(), "mobileAppLabel", "oidc")?;
    let required = |field: &str| DomainError::Invalid(format!("{field} is required for type {}", sp_type.as_str()));
    let mut document = SpDocument {
        name,
        environment,
        logo,
        sp_type,
        saml_config: None,
        oidc_config: None,
        wsfed_config: None,
        force_reauthentication: request.force_reauthentication.unwrap_or(false),
        hide_banner: request.hide_banner.unwrap_or(false),
        hide_mobile_links: request.hide_mobile_links.unwrap_or(false),
        mobile_app_label: None,
    };
    match sp_type {
        SpType::Saml => {
            let input = request.saml_config.ok_or_else(|| required("saml_config"))?;
            document.saml_config = Some(saml::check(input, previous.and_then(|p| p.saml_config.as_ref()))?);
        }
        SpType::Oidc => {
            let input = request.oidc_config.ok_or_else(|| required("oidc_config"))?;
            document.oidc_config = Some(oidc_client::check(input, previous.and_then(|p| p.oidc_config.as_ref()))?);
            let label = text_opt("mobileAppLabel", request.mobile_app_label, MAX_MOBILE_APP_LABEL)?;
            document.mobile_app_label = label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
        }
        SpType::Wsfed => {
            let input = request.wsfed_config.ok_or_else(|| required("wsfed_config"))?;
            document.wsfed_config = Some(wsfed::check(input)?);
        }
    }
    Ok(document)
}

/// The names of the fields of `document` that differ from `before` (for the audit log).
pub fn changed(before: Option<&SpDocument>, after: &SpDocument) -> Vec<String> {
    let json =
        |d: Option<&SpDocument>| d.and_then(|d| serde_json::to_value(d).ok()).unwrap_or_else(|| serde_json::json!({}));
    super::audit::changed_fields(&json(before), &json(Some(after)))
}

#[cfg(test)]
mod tests;
