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
use actix_web::{FromRequest, HttpRequest, web};
use async_trait::async_trait;
use envelope::{ApiError, Caller, LicenseKey};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

/// The authorization level of a license key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
}

impl License {
    /// Whether the key may act on `community_id`.
    pub fn allows_community(&self, community_id: &str) -> bool {
        self.communities.as_ref().is_none_or(|c| c.iter().any(|id| id == community_id))
    }
}

/// How a license key is made: an `ecdsa` key's keyId is its public key and its secret the private
/// key; a `hawk` key's keyId is the SHA-512 hex of its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    Ecdsa,
    Hawk,
}

impl KeyType {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ecdsa => "ecdsa",
            Self::Hawk => "hawk",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Ecdsa, Self::Hawk].into_iter().find(|t| t.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// The keyId of a `hawk` key, and the lookup hash of any secret: lowercase SHA-512 hex.
pub fn secret_hash(secret: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha512::digest(secret.as_bytes()))
}

/// Whether two secrets are equal, in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A license key as the authority publishes it (`GET /servicekey/current`, `GET /servicekeys`,
/// `GET /community/{communityId}/licensecheck`). `expiry` is epoch seconds here and an RFC 3339
/// string on the wire (what the SDK's `moment(expiry)` reads; epoch numbers are accepted too).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenseRecord {
    pub key_id: String,
    pub key_secret: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    pub auth_level: Level,
    pub tag: String,
    #[serde(with = "expiry_format")]
    pub expiry: i64,
    pub disabled: bool,
    /// The communities the key may act on; absent means all (an addition to the SDK's shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communities: Option<Vec<String>>,
    /// Only in a `licensecheck` answer: whether the key may act on that community now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_authorized: Option<bool>,
}

impl std::fmt::Debug for LicenseRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenseRecord")
            .field("key_type", &self.key_type)
            .field("auth_level", &self.auth_level)
            .field("tag", &self.tag)
            .field("expiry", &self.expiry)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl LicenseRecord {
    /// Whether the key is usable at `now` (epoch seconds).
    pub fn status(&self, now: i64) -> Result<(), LicenseError> {
        if self.disabled {
            Err(LicenseError::Disabled)
        } else if self.expiry <= now {
            Err(LicenseError::Expired)
        } else {
            Ok(())
        }
    }

    /// What a handler learns of the key.
    pub fn license(&self) -> License {
        License { level: self.auth_level, tag: self.tag.clone(), communities: self.communities.clone() }
    }
}

/// `expiry` as RFC 3339 on output; RFC 3339, or epoch seconds / milliseconds, on input.
mod expiry_format {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(epoch: &i64, s: S) -> Result<S::Ok, S::Error> {
        let at = chrono::DateTime::from_timestamp(*epoch, 0).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        s.serialize_str(&at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(text) => chrono::DateTime::parse_from_rfc3339(&text)
                .map(|t| t.timestamp())
                .map_err(|e| D::Error::custom(format!("expiry {text:?}: {e}"))),
            // moment(n) reads milliseconds; a value this small can only be seconds.
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(|v| if v > 100_000_000_000 { v / 1000 } else { v })
                .ok_or_else(|| D::Error::custom("expiry must be an integer")),
            other => Err(D::Error::custom(format!("expiry must be a date string, not {other}"))),
        }
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
}

impl From<LicenseError> for ApiError {
    fn from(e: LicenseError) -> Self {
        match e {
            LicenseError::Unavailable(cause) => {
                tracing::error!(%cause, "license authority unavailable");
                ApiError::unavailable("the license authority is unavailable, try again")
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
                License { level: Level::Service, tag: "infra".into(), communities: None },
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
                keys.push((LicenseKey::new(key), License { level, tag: "local".into(), communities: None }));
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

/// A set of license levels a handler accepts.
pub trait Levels {
    /// The accepted levels.
    const ALLOWED: &'static [Level];
}

/// system, service, service_ext, app, app_ext.
#[derive(Debug)]
pub struct AnyLevel;
impl Levels for AnyLevel {
    const ALLOWED: &'static [Level] = &Level::ALL;
}

/// system, service, service_ext.
#[derive(Debug)]
pub struct ServiceLevels;
impl Levels for ServiceLevels {
    const ALLOWED: &'static [Level] = &[Level::System, Level::Service, Level::ServiceExt];
}

/// system, service.
#[derive(Debug)]
pub struct SystemOrService;
impl Levels for SystemOrService {
    const ALLOWED: &'static [Level] = &[Level::System, Level::Service];
}

/// system only.
#[derive(Debug)]
pub struct SystemOnly;
impl Levels for SystemOnly {
    const ALLOWED: &'static [Level] = &[Level::System];
}

/// A verified caller holding a license of one of the levels `L`, valid for the `communityId` of
/// the path when there is one.
#[derive(Debug)]
pub struct Licensed<L> {
    pub caller: Caller,
    pub license: License,
    levels: PhantomData<L>,
}

/// Checks `key` against the authority registered in the app and the accepted `levels`.
pub async fn authorize(
    authority: &dyn LicenseAuthority,
    key: Option<&LicenseKey>,
    levels: &[Level],
    community: Option<&str>,
) -> Result<License, ApiError> {
    let key = key.ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
    let (license, allowed) = authority.check_for(key, community).await?;
    if !levels.contains(&license.level) {
        let names: Vec<&str> = levels.iter().map(|l| l.name()).collect();
        return Err(ApiError::forbidden(format!(
            "a {} license cannot call this endpoint (allowed: {})",
            license.level,
            names.join(", ")
        )));
    }
    if let Some(c) = community.filter(|_| !allowed) {
        return Err(ApiError::forbidden(format!("the license is not authorized for community {c}")));
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

impl<L: Levels + 'static> FromRequest for Licensed<L> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let caller = Caller::from_request(req, payload);
        let authority = authority(req);
        let community = req.match_info().get("communityId").map(str::to_owned);
        Box::pin(async move {
            let caller = caller.await?;
            let license = authorize(&*authority?, caller.license_key(), L::ALLOWED, community.as_deref()).await?;
            Ok(Self { caller, license, levels: PhantomData })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_and_write_the_sdk_shape() {
        let json = serde_json::json!({
            "keyId": "id", "keySecret": "s", "type": "hawk", "authLevel": "service_ext",
            "tag": "t", "expiry": "2030-01-02T03:04:05.000Z", "disabled": false
        });
        let r: LicenseRecord = serde_json::from_value(json.clone()).unwrap();
        assert_eq!((r.auth_level, r.key_type, r.expiry), (Level::ServiceExt, KeyType::Hawk, 1_893_553_445));
        assert_eq!(serde_json::to_value(&r).unwrap(), json);
        let ms: LicenseRecord =
            serde_json::from_value(serde_json::json!({"keyId": "i", "keySecret": "s", "type": "ecdsa",
                "authLevel": "app", "tag": "", "expiry": 1_893_553_445_000_i64, "disabled": true}))
            .unwrap();
        assert_eq!(ms.expiry, 1_893_553_445);
        assert_eq!(ms.status(0), Err(LicenseError::Disabled));
        assert!(!format!("{ms:?}").contains("keySecret") && !format!("{ms:?}").contains("\"s\""));
        assert_eq!(secret_hash("abc").len(), 128);
    }
}
