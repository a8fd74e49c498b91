//! Devices linked to users: a phone's wallet, named by its DID and public key, that a logged-in
//! user links to their account by answering a QR session (`PUT /session/new` with purpose `link`,
//! then `POST /session/response/fetch` with the user's token). A linked device then signs its
//! user in by answering an authentication session: the phone proves it holds the linked key by
//! encrypting its answer with it.
//!
//! A DID is linked to at most one user of a community, a user links at most
//! [`MAX_DEVICES_PER_USER`] devices, and relinking a device of the same user refreshes it (a
//! reinstalled wallet keeps its DID and gets a new key). The identity assurance level a wallet
//! reports (`IAL1` to `IAL3`) is kept as it reported it: identity proofing is what raises it.

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

/// The most devices one user links.
pub const MAX_DEVICES_PER_USER: usize = 20;
/// The longest DID, app id and detail text kept.
const MAX_TEXT: usize = 512;
/// The identity assurance levels, lowest first.
pub const IALS: [&str; 3] = ["IAL1", "IAL2", "IAL3"];

/// What a device reports about itself (its session answer's `eventData`), each field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authenticator_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc_lat: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loc_lon: Option<String>,
}

impl DeviceDetails {
    /// The details found in a device's `eventData`: texts and numbers of the known fields, cut
    /// to [`MAX_TEXT`] characters; anything else is ignored.
    pub fn from_event(event: Option<&Value>) -> Self {
        let field = |name: &str| {
            let value = event?.get(name)?;
            let text = match value {
                Value::String(s) => s.trim().to_owned(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            (!text.is_empty()).then(|| text.chars().filter(|c| !c.is_control()).take(MAX_TEXT).collect())
        };
        Self {
            os: field("os"),
            device_name: field("deviceName"),
            authenticator_id: field("authenticatorId"),
            authenticator_version: field("authenticatorVersion"),
            authenticator_name: field("authenticatorName"),
            client_ip: field("clientIp"),
            user_agent: field("userAgent"),
            loc_lat: field("locLat"),
            loc_lon: field("locLon"),
        }
    }
}

/// A device linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// 24 hex digits.
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub uid: String,
    pub username: String,
    /// The auth module the user signs in with.
    pub module_id: String,
    pub did: String,
    /// The wallet's public key (wire encoding), the other half of the ECDH its answers use.
    pub public_key: String,
    pub app_id: String,
    /// `IAL1` to `IAL3` as the wallet reported it, if it did.
    pub ial: Option<String>,
    pub details: DeviceDetails,
    /// Epoch seconds.
    pub created_at: i64,
    /// Epoch seconds.
    pub updated_at: i64,
}

impl Device {
    /// The device as `devices/fetch` lists it.
    pub fn device_view(&self) -> Value {
        let mut view = json!({
            "id": self.id,
            "uid": self.uid,
            "did": self.did,
            "publickey": self.public_key,
            "appid": self.app_id,
            "createdTS": self.created_at,
            "updatedTS": self.updated_at,
        });
        if let (Value::Object(map), Ok(Value::Object(details))) = (&mut view, serde_json::to_value(&self.details)) {
            map.extend(details);
        }
        view
    }

    /// The wallet's identity record (the spec's PON data, `list` of `devices/fetch`).
    pub fn person_view(&self) -> Value {
        json!({
            "id": self.id,
            "personId": self.did,
            "userIdList": [self.uid],
            "communityId": self.community_id,
            "publicKey": self.public_key,
            "poi_ial": self.ial,
            "pon_ial": self.ial,
            "updatedTS": self.updated_at,
        })
    }
}

/// Where linked devices are kept (`crate::store::SqlDevices`).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// The device with `did` in the community.
    async fn by_did(&self, community_id: &str, did: &str) -> Result<Option<Device>, StoreError>;
    /// The user's devices, oldest first.
    async fn of_user(&self, community_id: &str, uid: &str) -> Result<Vec<Device>, StoreError>;
    /// Stores a new device (`Conflict` when its DID is linked already).
    async fn insert(&self, device: &Device) -> Result<(), StoreError>;
    /// Replaces the key, app, level, details and update time of the device `id`.
    async fn refresh(&self, device: &Device) -> Result<(), StoreError>;
    /// Removes the user's device with `did`; `true` when there was one.
    async fn unlink(&self, community_id: &str, uid: &str, did: &str) -> Result<bool, StoreError>;
}

/// A DID or app id: 1 to [`MAX_TEXT`] characters, no control characters.
pub fn text(field: &str, value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(DomainError::Invalid(format!("{field} must be 1 to {MAX_TEXT} printable characters")));
    }
    Ok(value.to_owned())
}

/// A reported identity assurance level, when it is one of [`IALS`] (any case).
pub fn ial(reported: Option<&str>) -> Option<String> {
    let reported = reported?.trim();
    IALS.iter().find(|level| level.eq_ignore_ascii_case(reported)).map(|level| (*level).to_owned())
}

/// The highest level the user's devices report, `IAL1` without any.
pub fn ial_of(devices: &[Device]) -> &'static str {
    let rank = |d: &Device| d.ial.as_deref().and_then(|l| IALS.iter().position(|x| *x == l)).unwrap_or(0);
    IALS[devices.iter().map(rank).max().unwrap_or(0)]
}

/// Links `device` to its user: a new DID is added (at most [`MAX_DEVICES_PER_USER`] per user),
/// a DID of the same user is refreshed (keeping its id and creation time), a DID of another user
/// is a 409.
pub async fn link(store: &dyn DeviceStore, mut device: Device) -> Result<Device, DomainError> {
    match store.by_did(&device.community_id, &device.did).await? {
        Some(existing) if existing.uid != device.uid => {
            Err(DomainError::Conflict("the device is linked to another user of the community".into()))
        }
        Some(existing) => {
            device.id = existing.id;
            device.created_at = existing.created_at;
            store.refresh(&device).await?;
            Ok(device)
        }
        None => {
            if store.of_user(&device.community_id, &device.uid).await?.len() >= MAX_DEVICES_PER_USER {
                return Err(DomainError::Conflict(format!("a user links at most {MAX_DEVICES_PER_USER} devices")));
            }
            store.insert(&device).await.map_err(|e| match e {
                StoreError::Conflict(_) => DomainError::Conflict("the device was linked meanwhile".into()),
                other => other.into(),
            })?;
            Ok(device)
        }
    }
}

/// The device that answered a login, if it is linked in the community with the key it answered
/// with. `None` for an unknown DID or another key.
pub async fn signing_device(
    store: &dyn DeviceStore,
    community_id: &str,
    did: &str,
    public_key: &str,
) -> Result<Option<Device>, DomainError> {
    let device = store.by_did(community_id, did).await?;
    // Public keys are not secret, but the comparison costs nothing to make constant-time.
    Ok(device.filter(|d| bool::from(d.public_key.as_bytes().ct_eq(public_key.as_bytes()))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(ial: Option<&str>) -> Device {
        Device {
            id: "0".repeat(24),
            tenant_id: "t".into(),
            community_id: "c".into(),
            uid: "u".into(),
            username: "jane".into(),
            module_id: "m".into(),
            did: "did".into(),
            public_key: "pk".into(),
            app_id: "app".into(),
            ial: ial.map(str::to_owned),
            details: DeviceDetails::default(),
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn the_level_is_the_highest_reported_and_ial1_without_devices() {
        assert_eq!(ial_of(&[]), "IAL1");
        assert_eq!(ial_of(&[device(None), device(Some("IAL2")), device(Some("IAL1"))]), "IAL2");
        assert_eq!(ial_of(&[device(Some("IAL3"))]), "IAL3");
    }

    #[test]
    fn only_known_levels_are_kept() {
        assert_eq!(ial(Some(" ial2 ")).as_deref(), Some("IAL2"));
        assert_eq!(ial(Some("IAL4")), None);
        assert_eq!(ial(None), None);
    }

    #[test]
    fn details_keep_known_fields_cut_and_printable() {
        let event = json!({"os": "iOS", "deviceName": "a\u{7}b", "locLat": 12.5, "other": "x", "userAgent": "y".repeat(600), "clientIp": {}});
        let d = DeviceDetails::from_event(Some(&event));
        assert_eq!(d.os.as_deref(), Some("iOS"));
        assert_eq!(d.device_name.as_deref(), Some("ab"));
        assert_eq!(d.loc_lat.as_deref(), Some("12.5"));
        assert_eq!(d.user_agent.map(|u| u.len()), Some(MAX_TEXT));
        assert_eq!(d.client_ip, None);
        assert_eq!(DeviceDetails::from_event(None), DeviceDetails::default());
    }

    #[test]
    fn texts_are_bounded_and_printable() {
        assert!(text("did", "did:x").is_ok());
        assert!(text("did", " ").is_err());
        assert!(text("did", "a\nb").is_err());
        assert!(text("did", &"d".repeat(MAX_TEXT + 1)).is_err());
    }
}
