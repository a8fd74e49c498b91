//! License keys: their levels, the authority that knows them, and the extractor that makes a
//! handler's accepted levels part of its signature.
//!
//! A handler that takes `Licensed<ServiceLevels>` cannot run for a caller without a valid license
//! of level system, service or service_ext: the check happens before the handler is called.
//!
//! The authority is `adminapi` (its database) for itself, and a cached remote client of it for
//! the other services (see [`crate::license_client`]). [`LicenseRecord`] is the record the
//! authority publishes, in the shape the helper SDKs' `BIDLicenses` module checks.

use std::marker::PhantomData;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use async_trait::async_trait;
use envelope::{ApiError, Caller, LicenseKey};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

mod record;
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
                License { level: Level::Service, tag: "infra".into(), communities: None, infra: true },
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
                    License { level, tag: "local".into(), communities: None, infra: false },
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

/// The license levels an endpoint accepts, and whether the deployment's `INFRA_LICENSE_KEY`
/// is accepted whatever its level (the catalog's `infra`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accept {
    /// The accepted levels.
    pub levels: &'static [Level],
    /// Whether the infra key is accepted.
    pub infra: bool,
}

impl Accept {
    /// Whether `license` may call an endpoint accepting `self`.
    pub fn allows(&self, license: &License) -> bool {
        self.levels.contains(&license.level) || (self.infra && license.infra)
    }

    /// The catalog's names of what is accepted: the level names, and `infra`.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.levels.iter().map(|l| l.name()).collect();
        if self.infra {
            names.push("infra");
        }
        names
    }
}

/// A set of license levels a handler accepts, named in its type (`Licensed<ServiceLevels>`).
pub trait Levels {
    /// What is accepted.
    const ACCEPT: Accept;
}

macro_rules! level_set {
    ($(#[$doc:meta])* $name:ident = [$($level:ident),*] $(+ $infra:ident)?) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;
        impl Levels for $name {
            const ACCEPT: Accept = Accept { levels: &[$(Level::$level),*], infra: level_set!(@infra $($infra)?) };
        }
    };
    (@infra infra) => { true };
    (@infra) => { false };
}

level_set!(
    /// system, service, service_ext, app, app_ext.
    AnyLevel = [System, Service, ServiceExt, App, AppExt]
);
level_set!(
    /// system, service, service_ext.
    ServiceLevels = [System, Service, ServiceExt]
);
level_set!(
    /// system, service.
    SystemOrService = [System, Service]
);
level_set!(
    /// system only.
    SystemOnly = [System]
);
level_set!(
    /// system, service, app, app_ext (not service_ext).
    SystemServiceApp = [System, Service, App, AppExt]
);
level_set!(
    /// system, service, app, app_ext, and the infra key.
    SystemServiceAppOrInfra = [System, Service, App, AppExt] + infra
);
level_set!(
    /// The deployment's `INFRA_LICENSE_KEY` only.
    InfraOnly = [] + infra
);

/// A verified caller holding a license accepted by `L`, valid for the `communityId` of the path
/// when there is one.
#[derive(Debug)]
pub struct Licensed<L> {
    pub caller: Caller,
    /// The license key the caller presented (verified; handle as a secret).
    pub key: LicenseKey,
    pub license: License,
    levels: PhantomData<L>,
}

/// Checks `key` against `authority` and what the endpoint accepts; with `community`, that the
/// license may act on it.
pub async fn authorize(
    authority: &dyn LicenseAuthority,
    key: Option<&LicenseKey>,
    accept: Accept,
    community: Option<&str>,
) -> Result<License, ApiError> {
    let key = key.ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let (license, allowed) = authority.check_for(key, community).await?;
    if !accept.allows(&license) {
        return Err(ApiError::forbidden(format!(
            "a {} license cannot call this endpoint (allowed: {})",
            license.level,
            accept.names().join(", ")
        )));
    }
    if community.is_some() && !allowed {
        return Err(ApiError::forbidden("the license is not authorized for this community"));
    }
    Ok(license)
}

/// The license authority registered in the app.
pub fn authority(req: &HttpRequest) -> Result<Arc<dyn LicenseAuthority>, ApiError> {
    req.app_data::<web::Data<dyn LicenseAuthority>>().map(|d| d.clone().into_inner()).ok_or_else(|| {
        tracing::error!("no LicenseAuthority registered as app data");
        ApiError::internal()
    })
}

/// A request's admission, kept in its extensions so the check runs once per request.
#[derive(Clone)]
struct Admitted {
    accept: Accept,
    caller: Caller,
    key: LicenseKey,
    license: License,
}

/// Verifies the caller of `req` and its license against `accept` (and the `communityId` of the
/// path), once per request: the router calls it before the handler's extractors run, so a
/// request is authorized before its body is read; `Licensed<L>` then finds the result.
pub async fn admit(req: &HttpRequest, accept: Accept) -> Result<(Caller, LicenseKey, License), ApiError> {
    let done = req.extensions().get::<Admitted>().filter(|a| a.accept == accept).cloned();
    if let Some(a) = done {
        return Ok((a.caller, a.key, a.license));
    }
    let caller = Caller::from_request(req, &mut Payload::None).await?;
    let key = caller.license_key().cloned().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let community = req.match_info().get("communityId").map(str::to_owned);
    let license = authorize(&*authority(req)?, Some(&key), accept, community.as_deref()).await?;
    req.extensions_mut().insert(Admitted {
        accept,
        caller: caller.clone(),
        key: key.clone(),
        license: license.clone(),
    });
    Ok((caller, key, license))
}

/// Checks the plain `license` header of `req` against `accept`.
pub async fn admit_plain(req: &HttpRequest, accept: Accept) -> Result<(LicenseKey, License), ApiError> {
    let key = envelope::server::header(req.headers(), "license")?
        .map(|k| LicenseKey::new(&k))
        .ok_or_else(|| ApiError::unauthorized("license header is required"))?;
    let license = authorize(&*authority(req)?, Some(&key), accept, None).await?;
    Ok((key, license))
}

impl<L: Levels + 'static> FromRequest for Licensed<L> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (caller, key, license) = admit(&req, L::ACCEPT).await?;
            Ok(Self { caller, key, license, levels: PhantomData })
        })
    }
}

/// A license accepted by `L`, presented in the clear in the `license` header (the endpoints
/// the reference documents that way).
#[derive(Debug)]
pub struct PlainLicensed<L> {
    /// The license key (verified; handle as a secret).
    pub key: LicenseKey,
    pub license: License,
    levels: PhantomData<L>,
}

impl<L: Levels + 'static> FromRequest for PlainLicensed<L> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (key, license) = admit_plain(&req, L::ACCEPT).await?;
            Ok(Self { key, license, levels: PhantomData })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn license(level: Level, infra: bool) -> License {
        License { level, tag: String::new(), communities: None, infra }
    }

    #[test]
    fn accept_levels_and_the_infra_key() {
        assert!(SystemOnly::ACCEPT.allows(&license(Level::System, false)));
        assert!(!SystemOnly::ACCEPT.allows(&license(Level::Service, true)));
        assert!(InfraOnly::ACCEPT.allows(&license(Level::Service, true)));
        assert!(!InfraOnly::ACCEPT.allows(&license(Level::Service, false)));
        assert!(!InfraOnly::ACCEPT.allows(&license(Level::System, false)));
        assert!(!SystemServiceApp::ACCEPT.allows(&license(Level::ServiceExt, false)));
        assert_eq!(SystemServiceAppOrInfra::ACCEPT.names(), ["system", "service", "app", "app_ext", "infra"]);
        assert_eq!(AnyLevel::ACCEPT.names().len(), 5);
    }
}
