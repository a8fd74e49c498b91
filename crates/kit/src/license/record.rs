//! The license record the authority publishes and the helper SDKs check, the key types, and the
//! hashing and constant-time comparison of secrets.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq as _;

use super::{Level, License, LicenseError};

/// How a license key is made: an `ecdsa` key's keyId is its public key and its secret the private
/// key; a `hawk` key's keyId is the SHA-512 hex of its secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LicenseRecord {
    pub key_id: String,
    pub key_secret: String,
    #[serde(rename = "type")]
    pub key_type: KeyType,
    pub auth_level: Level,
    pub tag: String,
    #[serde(with = "expiry_format")]
    #[schema(value_type = String, format = DateTime)]
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
        License {
            level: self.auth_level,
            key_type: self.key_type,
            tag: self.tag.clone(),
            communities: self.communities.clone(),
            infra: false,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::Level;

    #[test]
    fn secrets_are_the_same_only_byte_for_byte_and_key_types_keep_their_wire_names() {
        assert!(same_secret("a-secret-1", "a-secret-1"));
        assert!(!same_secret("a-secret-1", "a-secret-2"));
        assert!(!same_secret("a-secret-1", "a-secret-10"), "a prefix is not the secret");
        assert!(!same_secret("", "a-secret-1"));
        assert_eq!((KeyType::Ecdsa.name(), KeyType::Hawk.name()), ("ecdsa", "hawk"));
        assert_eq!(KeyType::from_name(" HAWK "), Some(KeyType::Hawk));
        assert_eq!(KeyType::from_name("ecdsa"), Some(KeyType::Ecdsa));
        assert_eq!(KeyType::from_name("rsa"), None);
    }

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
        // FIPS 180-2's SHA-512 test vector for "abc", in lowercase hex.
        assert_eq!(
            secret_hash("abc"),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }
}
