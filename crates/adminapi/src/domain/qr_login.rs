//! The admin console's QR login over the sessions service: adminapi opens a session there in its
//! own name (so the phone's answer is encrypted for adminapi), remembers which browser asked
//! ([`Pending`], in the durable ephemeral store until the session's end), and on
//! `POST /session/response/fetch` opens the phone's answer ([`open_answer`]).
//!
//! A session has a purpose: `authentication` (the default) signs in the user whose linked device
//! answered; `link` links the answering device to the user of the token the fetch carries.

use std::sync::Arc;
use std::time::Duration;

use envelope::{KeyPair, PublicKey};
use kit::DomainError;
use kit::ephemeral::Ephemeral;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::devices::{self, DeviceDetails};

/// What a QR session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Purpose {
    /// Sign in the user whose linked device answers.
    Authentication,
    /// Link the answering device to the logged-in user.
    Link,
}

impl Purpose {
    /// The purpose `metadata.purpose` names (`authentication` when it names none).
    pub fn parse(given: Option<&str>) -> Result<Self, DomainError> {
        match given.map(str::trim) {
            None | Some("" | "authentication") => Ok(Self::Authentication),
            Some("link") => Ok(Self::Link),
            Some(_) => Err(DomainError::Invalid("metadata.purpose must be authentication or link".into())),
        }
    }
}

/// A QR session adminapi opened, waiting for its fetch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The public key of the browser that asked: only it may fetch the answer.
    pub caller: String,
    pub tenant_id: String,
    pub community_id: String,
    pub purpose: Purpose,
}

/// The pending QR sessions, and where phones find them.
#[derive(Clone)]
pub struct QrLogins {
    store: Arc<dyn Ephemeral>,
    ttl: Duration,
    /// The sessions service as phones reach it (`SESSIONS_PUBLIC_URL`); the service directory's
    /// address when unset.
    pub session_url: Option<String>,
    /// The deployment's name for the phone (`SESSION_ENV`).
    pub session_env: String,
}

impl std::fmt::Debug for QrLogins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrLogins").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

fn key(session_id: &str) -> String {
    format!("qr-login:{session_id}")
}

impl QrLogins {
    /// Over `store`, each kept for `ttl` (at least the sessions service's session lifetime).
    pub fn new(store: Arc<dyn Ephemeral>, ttl: Duration, session_url: Option<String>, session_env: String) -> Self {
        Self { store, ttl, session_url, session_env }
    }

    /// Remembers session `session_id`.
    pub async fn remember(&self, session_id: &str, pending: &Pending) -> Result<(), DomainError> {
        let value = serde_json::to_string(pending).map_err(|e| DomainError::Invalid(e.to_string()))?;
        Ok(self.store.put(&key(session_id), &value, self.ttl).await?)
    }

    /// The pending session `session_id`, if adminapi opened it and it was not finished.
    pub async fn pending(&self, session_id: &str) -> Result<Option<Pending>, DomainError> {
        let Some(raw) = self.store.get(&key(session_id)).await? else { return Ok(None) };
        Ok(Some(serde_json::from_str(&raw).map_err(|_| kit::StoreError::Corrupt("a pending QR session".into()))?))
    }

    /// Ends session `session_id`; `true` for the one caller that ended it (a fetch is used once).
    pub async fn finish(&self, session_id: &str) -> Result<bool, DomainError> {
        Ok(self.store.take(&key(session_id)).await?.is_some())
    }
}

/// The phone's answer, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub did: String,
    /// The wallet's public key (wire encoding).
    pub public_key: String,
    pub app_id: String,
    /// `IAL1` to `IAL3` when the wallet reported one.
    pub ial: Option<String>,
    /// The username the wallet names, if it names one.
    pub username: Option<String>,
    pub details: DeviceDetails,
}

/// Opens the answer the sessions service returned (`data` encrypted by the phone with the ECDH
/// of its key and adminapi's): a 400 for an answer that does not open or whose inner `did`
/// differs from its outer one.
pub fn open_answer(keys: &KeyPair, reply: &Value) -> Result<Answer, DomainError> {
    let field = |name: &str| reply.get(name).and_then(Value::as_str).unwrap_or_default();
    let did = devices::text("did", field("did"))?;
    let app_id = devices::text("appid", field("appid"))?;
    let unreadable = || DomainError::Invalid("the device's answer cannot be opened".into());
    let phone = PublicKey::from_base64(keys.curve(), field("publicKey")).map_err(|_| unreadable())?;
    let shared = keys.private().shared_key(&phone).map_err(|_| unreadable())?;
    let opened = shared.decrypt(field("data")).map_err(|_| unreadable())?;
    let data: Value = serde_json::from_str(&opened).map_err(|_| unreadable())?;
    if data.get("did").and_then(Value::as_str).is_some_and(|inner| inner.trim() != did) {
        return Err(DomainError::Invalid("the device's answer names two DIDs".into()));
    }
    let username = ["userid", "userId", "username"]
        .iter()
        .find_map(|name| data.get(*name).and_then(Value::as_str))
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    Ok(Answer {
        did,
        public_key: phone.to_base64(),
        app_id,
        ial: devices::ial(reply.get("ial").and_then(Value::as_str)),
        username,
        details: DeviceDetails::from_event(reply.get("eventData")),
    })
}

#[cfg(test)]
mod tests {
    use envelope::Curve;
    use serde_json::json;

    use super::*;

    fn answer(service: &KeyPair, phone: &KeyPair, data: &Value, did: &str) -> Value {
        let sealed = phone.shared_key_with(service.public_base64()).unwrap().encrypt(&data.to_string()).unwrap();
        json!({"data": sealed, "publicKey": phone.public_base64(), "did": did, "appid": "app", "ial": "ial2",
               "eventData": {"os": "iOS"}})
    }

    #[test]
    fn an_answer_opens_with_the_service_key_only() {
        let (service, phone, other) = (
            KeyPair::generate(Curve::Secp256k1).unwrap(),
            KeyPair::generate(Curve::Secp256k1).unwrap(),
            KeyPair::generate(Curve::Secp256k1).unwrap(),
        );
        let reply = answer(&service, &phone, &json!({"userid": "jane", "did": "did:x"}), "did:x");
        let opened = open_answer(&service, &reply).unwrap();
        assert_eq!(opened.did, "did:x");
        assert_eq!(opened.public_key, phone.public_base64());
        assert_eq!(opened.username.as_deref(), Some("jane"));
        assert_eq!(opened.ial.as_deref(), Some("IAL2"));
        assert_eq!(opened.details.os.as_deref(), Some("iOS"));
        assert!(matches!(open_answer(&other, &reply), Err(DomainError::Invalid(_))));
    }

    #[test]
    fn an_answer_naming_two_dids_is_refused() {
        let (service, phone) =
            (KeyPair::generate(Curve::Secp256k1).unwrap(), KeyPair::generate(Curve::Secp256k1).unwrap());
        let reply = answer(&service, &phone, &json!({"did": "did:other"}), "did:x");
        assert!(matches!(open_answer(&service, &reply), Err(DomainError::Invalid(m)) if m.contains("two DIDs")));
    }

    #[test]
    fn purposes() {
        assert_eq!(Purpose::parse(None).unwrap(), Purpose::Authentication);
        assert_eq!(Purpose::parse(Some("link")).unwrap(), Purpose::Link);
        assert!(Purpose::parse(Some("other")).is_err());
    }
}
