//! Header names, the `requestid` document and the encrypted `{"data": …}` body, as the SDKs send them.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};

use crate::cipher::{CipherError, SharedKey};
use crate::keys::KeyPair;

/// The caller's public key, in the clear.
pub const PUBLIC_KEY: &str = "publickey";
/// The caller's license key, encrypted for the service.
pub const LICENSE_KEY: &str = "licensekey";
/// The encrypted [`RequestId`] document.
pub const REQUEST_ID: &str = "requestid";

/// Seconds since the Unix epoch.
pub fn now_epoch() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}

/// The decrypted `requestid` header: when, which request, which app. All three fields are
/// required, as the reference says: `ts` a number, `uuid` and `appid` strings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RequestId {
    /// Epoch seconds at which the caller made the request.
    #[serde(deserialize_with = "epoch_number")]
    pub ts: i64,
    /// The caller's request identifier; may be reused with a fresh `ts`.
    pub uuid: String,
    /// The calling application.
    pub appid: String,
}

fn epoch_number<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Ts {
        Int(i64),
        Float(f64),
    }
    match Ts::deserialize(d)? {
        Ts::Int(n) => Ok(n),
        // Saturating float-to-int is the intent: absurd values are refused by the time window.
        #[allow(clippy::cast_possible_truncation)]
        Ts::Float(f) if f.is_finite() => Ok(f as i64),
        Ts::Float(_) => Err(serde::de::Error::custom("ts must be a finite number")),
    }
}

impl RequestId {
    /// A request id for now, with a fresh uuid.
    pub fn new(appid: impl Into<String>) -> Self {
        Self { ts: now_epoch(), uuid: uuid::Uuid::new_v4().to_string(), appid: appid.into() }
    }

    /// The same request id at another time (tests use it for stale or future requests).
    pub fn at(mut self, ts: i64) -> Self {
        self.ts = ts;
        self
    }
}

/// The three authentication headers of a request, ready to send.
#[derive(Clone)]
pub struct SignedHeaders {
    pub public_key: String,
    pub request_id: String,
    pub license_key: Option<String>,
}

impl std::fmt::Debug for SignedHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedHeaders").field("public_key", &self.public_key).finish_non_exhaustive()
    }
}

impl SignedHeaders {
    /// Encrypts `request_id` and the license key for the service whose shared key is `shared`.
    pub fn new(
        keys: &KeyPair,
        shared: &SharedKey,
        license_key: Option<&str>,
        request_id: &RequestId,
    ) -> Result<Self, CipherError> {
        let json = serde_json::to_string(request_id).map_err(|_| CipherError::NotText)?;
        Ok(Self {
            public_key: keys.public_base64().to_owned(),
            request_id: shared.encrypt(&json)?,
            license_key: license_key.map(|k| shared.encrypt(k)).transpose()?,
        })
    }

    /// The headers as name/value pairs.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![(PUBLIC_KEY, self.public_key.clone()), (REQUEST_ID, self.request_id.clone())];
        if let Some(l) = &self.license_key {
            out.push((LICENSE_KEY, l.clone()));
        }
        out
    }
}

/// An encrypted body: `{"data": "<ciphertext of JSON>"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedBody {
    pub data: String,
}

/// An encrypted reply: `{"data": "<ciphertext of JSON>", "publicKey": "<service key>"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SealedReplyBody {
    pub data: String,
    #[serde(rename = "publicKey")]
    pub public_key: String,
}

impl SealedBody {
    /// Encrypts a JSON value.
    pub fn seal<T: Serialize + ?Sized>(shared: &SharedKey, value: &T) -> Result<Self, CipherError> {
        let json = serde_json::to_string(value).map_err(|_| CipherError::NotText)?;
        Ok(Self { data: shared.encrypt(&json)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_is_a_number_and_every_field_is_required() {
        let a: RequestId = serde_json::from_str(r#"{"ts": 1700000000, "uuid": "u", "appid": "a"}"#).unwrap();
        let c: RequestId = serde_json::from_str(r#"{"ts": 1700000000.4, "uuid": "u", "appid": "a"}"#).unwrap();
        assert_eq!((a.ts, c.ts), (1_700_000_000, 1_700_000_000));
        for bad in [
            r#"{"ts": "1700000000", "uuid": "u", "appid": "a"}"#,
            r#"{"ts": 1700000000, "appid": "a"}"#,
            r#"{"ts": 1700000000, "uuid": "u"}"#,
            r#"{"ts": 1700000000, "uuid": 1, "appid": "a"}"#,
            r#"{"uuid": "u", "appid": "a"}"#,
        ] {
            assert!(serde_json::from_str::<RequestId>(bad).is_err(), "{bad}");
        }
    }
}
