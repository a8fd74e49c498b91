//! License keys: their levels, the authority that knows them, and the extractor that makes a
//! handler's accepted levels part of its signature.
//!
//! A handler that takes `Licensed<ServiceLevels>` cannot run for a caller without a valid license
//! of level system, service or service_ext: the check happens before the handler is called.
//!
//! The authority is `adminapi` (its database) for itself, and a cached remote client of it for
//! the other services (see [`crate::license_client`]). [`LicenseRecord`] is the record the
//! authority publishes, in the shape the helper SDKs' `BIDLicenses` module checks.

use async_trait::async_trait;
use envelope::{ApiError, LicenseKey};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

mod admission;
mod levels;
mod record;
pub use admission::{Licensed, PlainLicensed, admit, admit_plain, authority, authorize};
pub use levels::{
    Accept, AnyLevel, InfraOnly, Levels, ServiceLevels, SystemOnly, SystemOrInfra, SystemOrService, SystemServiceApp,
    SystemServiceAppOrInfra,
};
pub use record::{KeyType, LicenseRecord, same_secret, secret_hash};

/// The authorization level of a license key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    System,
    Service,
    ServiceExt,
    App,
    AppExt,
}

impl Level {
    /// Every level, most powerful first.
    pub const ALL: [Level; 5] = [Level::System, Level::Service, Level::ServiceExt, Level::App, Level::AppExt];

    /// The wire name (`service_ext`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Service => "service",
            Self::ServiceExt => "service_ext",
            Self::App => "app",
            Self::AppExt => "app_ext",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the authority knows of a valid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    /// Its level.
    pub level: Level,
    /// How it is made (hawk for keys configured in the environment).
    pub key_type: KeyType,
    /// Its tag (free text set by the administrator).
    pub tag: String,
    /// The communities it may act on; `None` means all.
    pub communities: Option<Vec<String>>,
    /// Whether it is this deployment's `INFRA_LICENSE_KEY` (a service-level key that the
    /// reference lets call a few endpoints no other service key may: the catalog's `infra`).
    pub infra: bool,
}

impl License {
    /// Whether the key may act on `community_id`.
    pub fn allows_community(&self, community_id: &str) -> bool {
        self.communities.as_ref().is_none_or(|c| c.iter().any(|id| id == community_id))
    }
}

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenseError {
    #[error("license key is not valid")]
    Unknown,
    #[error("license key is disabled")]
    Disabled,
    #[error("license key has expired")]
    Expired,
    #[error("the license authority is unavailable: {0}")]
    Unavailable(String),
    /// The authority holds a record it cannot read (a 500, not an outage).
    #[error("the license record is unreadable: {0}")]
    Corrupt(String),
}

impl From<LicenseError> for ApiError {
    fn from(e: LicenseError) -> Self {
        match e {
            LicenseError::Unavailable(cause) => {
                tracing::error!(%cause, "license authority unavailable");
                ApiError::unavailable("the license authority is unavailable, try again")
            }
            LicenseError::Corrupt(cause) => {
                tracing::error!(%cause, "license record unreadable");
                ApiError::internal()
            }
            other => ApiError::unauthorized(other.to_string()),
        }
    }
}

/// Knows which license keys are valid.
#[async_trait]
pub trait LicenseAuthority: Send + Sync {
    /// The license of `key`, or why it is refused.
    async fn check(&self, key: &LicenseKey) -> Result<License, LicenseError>;

    /// The license of `key` and, when `community` is given, whether it may act on it.
    async fn check_for(&self, key: &LicenseKey, community: Option<&str>) -> Result<(License, bool), LicenseError> {
        let license = self.check(key).await?;
        let allowed = community.is_none_or(|c| license.allows_community(c));
        Ok((license, allowed))
    }

    /// The service keys this authority holds (`GET /servicekeys`); `caller` is the (already
    /// checked) system key of the request, which a remote authority forwards.
    async fn service_keys(&self, caller: &LicenseKey) -> Result<Vec<LicenseRecord>, ApiError> {
        let _ = caller;
        Ok(Vec::new())
    }

    /// Replaces the key `key_id` by a new one with the same level, tag, expiry and communities
    /// (`DELETE /servicekey/{keyId}`).
    async fn reset_service_key(&self, caller: &LicenseKey, key_id: &str) -> Result<LicenseRecord, ApiError> {
        let _ = (caller, key_id);
        Err(ApiError::not_found("service key not found"))
    }
}

/// Keys configured for this service: `INFRA_LICENSE_KEY` (service level) and `LICENSE_KEYS`.
pub struct LocalLicenses {
    keys: Vec<(LicenseKey, License)>,
}

impl std::fmt::Debug for LocalLicenses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LocalLicenses({} keys)", self.keys.len())
    }
}

impl LocalLicenses {
    /// From the settings' `INFRA_LICENSE_KEY` and `LICENSE_KEYS` (`level:key,level:key`).
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, crate::config::ConfigError> {
        let mut keys = Vec::new();
        if let Some(infra) = &settings.infra_license_key {
            keys.push((
                LicenseKey::new(&infra.0),
                License {
                    level: Level::Service,
                    key_type: KeyType::Hawk,
                    tag: "infra".into(),
                    communities: None,
                    infra: true,
                },
            ));
        }
        if let Some(list) = &settings.license_keys {
            for item in list.0.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (level, key) = item
                    .split_once(':')
                    .and_then(|(l, k)| Some((Level::from_name(l)?, k.trim())))
                    .filter(|(_, k)| !k.is_empty())
                    .ok_or_else(|| {
                        crate::config::ConfigError("LICENSE_KEYS entries must be level:key (level system, service, service_ext, app or app_ext)".into())
                    })?;
                keys.push((
                    LicenseKey::new(key),
                    License { level, key_type: KeyType::Hawk, tag: "local".into(), communities: None, infra: false },
                ));
            }
        }
        Ok(Self { keys })
    }
}

#[async_trait]
impl LicenseAuthority for LocalLicenses {
    async fn check(&self, key: &LicenseKey) -> Result<License, LicenseError> {
        // Compare against every key in constant time so timing says nothing about which matched.
        let mut found = None;
        for (known, license) in &self.keys {
            if bool::from(known.expose().as_bytes().ct_eq(key.expose().as_bytes())) {
                found = Some(license.clone());
            }
        }
        found.ok_or(LicenseError::Unknown)
    }

    async fn service_keys(&self, _caller: &LicenseKey) -> Result<Vec<LicenseRecord>, ApiError> {
        Ok(self.records())
    }

    async fn reset_service_key(&self, _caller: &LicenseKey, key_id: &str) -> Result<LicenseRecord, ApiError> {
        if self.records().iter().any(|r| r.key_id == key_id) {
            return Err(ApiError::conflict(
                "this key is configured in the environment (INFRA_LICENSE_KEY / LICENSE_KEYS): change it there",
            ));
        }
        Err(ApiError::not_found("service key not found"))
    }
}

impl LocalLicenses {
    /// The configured keys as `hawk` records. Like the SDKs' infra key, they are valid for a year
    /// from now: the environment, not a date, decides how long they live.
    pub fn records(&self) -> Vec<LicenseRecord> {
        let expiry = envelope::wire::now_epoch() + 365 * 86_400;
        self.keys
            .iter()
            .map(|(key, license)| LicenseRecord {
                key_id: secret_hash(key.expose()),
                key_secret: key.expose().to_owned(),
                key_type: KeyType::Hawk,
                auth_level: license.level,
                tag: license.tag.clone(),
                expiry,
                disabled: false,
                communities: None,
                is_authorized: None,
            })
            .collect()
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn local(env: &[(&str, &str)]) -> LocalLicenses {
        let env: BTreeMap<String, String> = env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let settings = crate::config::Settings::from_source(&env, "kit-test", 0).unwrap();
        LocalLicenses::from_settings(&settings).unwrap()
    }

    #[test]
    fn a_license_limited_to_communities_allows_only_those() {
        let (one, two, other) = ("5f3d8d0cd866fa61019cf969", "6b16d06a48dc1927170000cc", "5f3d8d0cd866fa61019cf96a");
        let mut license =
            License { level: Level::App, key_type: KeyType::Hawk, tag: String::new(), communities: None, infra: false };
        assert!(license.allows_community(other), "without a list: every community");
        license.communities = Some(vec![one.into(), two.into()]);
        assert!(license.allows_community(one) && license.allows_community(two));
        assert!(!license.allows_community(other));
        license.communities = Some(Vec::new());
        assert!(!license.allows_community(one), "an empty list: none");
    }

    #[tokio::test]
    async fn configured_keys_are_year_long_hawk_records_changed_only_where_configured() {
        let none = local(&[]);
        assert!(none.is_empty() && none.records().is_empty());
        let keys = local(&[("INFRA_LICENSE_KEY", "infra-key-1"), ("LICENSE_KEYS", "app:app-key-1, system:sys-key-1")]);
        assert!(!keys.is_empty());
        assert_eq!(format!("{keys:?}"), "LocalLicenses(3 keys)", "the count, never a key");
        let records = keys.records();
        let levels: Vec<Level> = records.iter().map(|r| r.auth_level).collect();
        assert_eq!(levels, [Level::Service, Level::App, Level::System]);
        let year = envelope::wire::now_epoch() + 365 * 86_400;
        for r in &records {
            assert!((year - 5..=year).contains(&r.expiry), "{}", r.expiry);
            assert!(r.key_type == KeyType::Hawk && !r.disabled && r.communities.is_none());
        }
        assert_eq!(records[1].key_id, secret_hash("app-key-1"));
        let caller = LicenseKey::new("sys-key-1");
        assert_eq!(keys.service_keys(&caller).await.unwrap().len(), 3);
        let configured = keys.reset_service_key(&caller, &records[1].key_id).await.unwrap_err();
        assert_eq!(configured.status().as_u16(), 409, "{}", configured.message());
        let unknown = keys.reset_service_key(&caller, &secret_hash("not-configured")).await.unwrap_err();
        assert_eq!(unknown.status().as_u16(), 404);
    }
}
