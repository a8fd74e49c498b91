//! Signed nonces: `POST …/nonce/sign` vouches for a `{publicKey, nonce}` pair with the service
//! key; `GET /nonce/validate` checks such a voucher and tells what it vouches for.
//!
//! Wire choice (the spec leaves the format open): the signed nonce is a compact, URL-safe token
//! `base64url(payload JSON) "." base64url(DER ECDSA-SHA256 signature over the first part)`, the
//! payload being `{nonce, publicKey, generated_ts, valid_ts}` with the timestamps as strings of
//! epoch seconds (as the spec's example shows them). Nothing is stored: a token is valid wherever
//! the service key is, until `valid_ts`, and any change to it breaks the signature.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use envelope::{Curve, KeyPair, PublicKey};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest accepted nonce and token.
const MAX_NONCE: usize = 512;
const MAX_TOKEN: usize = 8192;

/// Body of `POST /tenant/{tenantId}/community/{communityId}/nonce/sign`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    /// The caller's own public key: the key in its `publickey` header (another key is 403).
    pub public_key: String,
    /// A uuid.
    pub nonce: String,
}

/// What a signed nonce vouches for (the reply of `GET /nonce/validate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NoncePayload {
    pub nonce: String,
    #[serde(rename = "publicKey")]
    pub public_key: String,
    /// Epoch seconds, as a string.
    pub generated_ts: String,
    /// Epoch seconds until which the nonce is valid, as a string.
    pub valid_ts: String,
}

/// Why a nonce could not be signed or validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    #[error("{0}")]
    Invalid(String),
    #[error("the signed nonce is malformed")]
    Malformed,
    #[error("the signed nonce's signature is not valid")]
    BadSignature,
    #[error("the signed nonce has expired")]
    Expired,
    /// The body names another key than the caller's `publickey`: a nonce vouches only for the
    /// key of the caller who asks.
    #[error("publicKey must be the caller's publickey header")]
    NotTheCaller,
}

impl From<NonceError> for kit::AppError {
    fn from(e: NonceError) -> Self {
        let message = e.to_string();
        match e {
            NonceError::Invalid(_) | NonceError::Malformed => envelope::ApiError::bad_request(message).into(),
            NonceError::BadSignature | NonceError::Expired => envelope::ApiError::unauthorized(message).into(),
            NonceError::NotTheCaller => envelope::ApiError::forbidden(message).into(),
        }
    }
}

impl SignRequest {
    /// Checks the nonce is present and the public key is a key of `curve`.
    pub fn validate(&self, curve: Curve) -> Result<(), NonceError> {
        if self.nonce.trim().is_empty() || self.nonce.len() > MAX_NONCE {
            return Err(NonceError::Invalid(format!("nonce is required (at most {MAX_NONCE} bytes)")));
        }
        if uuid::Uuid::try_parse(self.nonce.trim()).is_err() {
            return Err(NonceError::Invalid("nonce must be a uuid".into()));
        }
        if self.public_key.len() > MAX_NONCE {
            return Err(NonceError::Invalid("publicKey is too long".into()));
        }
        PublicKey::from_base64(curve, &self.public_key)
            .map_err(|e| NonceError::Invalid(format!("publicKey is {e}")))?;
        Ok(())
    }
}

/// Signs `request` of the caller holding `caller_key` with `keys`, valid `ttl_secs` from
/// `now_secs`. Only the caller's own key is signed (the reference signs "the caller's
/// publicKey"): a nonce for another key would let `/nonce/validate` vouch for someone else.
pub fn sign(
    keys: &KeyPair,
    request: &SignRequest,
    caller_key: &str,
    now_secs: i64,
    ttl_secs: i64,
) -> Result<String, NonceError> {
    request.validate(keys.curve())?;
    if request.public_key.trim() != caller_key.trim() {
        return Err(NonceError::NotTheCaller);
    }
    let payload = NoncePayload {
        nonce: request.nonce.clone(),
        public_key: request.public_key.clone(),
        generated_ts: now_secs.to_string(),
        valid_ts: now_secs.saturating_add(ttl_secs).to_string(),
    };
    let json = serde_json::to_vec(&payload).map_err(|e| NonceError::Invalid(e.to_string()))?;
    let head = URL_SAFE_NO_PAD.encode(json);
    let der = STANDARD.decode(keys.private().sign(head.as_bytes())).map_err(|_| NonceError::Malformed)?;
    Ok(format!("{head}.{}", URL_SAFE_NO_PAD.encode(der)))
}

/// Checks `token` was signed by `service` and is still valid at `now_secs`.
pub fn validate(service: &PublicKey, token: &str, now_secs: i64) -> Result<NoncePayload, NonceError> {
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN {
        return Err(NonceError::Malformed);
    }
    let (head, sig) = token.split_once('.').ok_or(NonceError::Malformed)?;
    let der = URL_SAFE_NO_PAD.decode(sig).map_err(|_| NonceError::Malformed)?;
    if !service.verify(head.as_bytes(), &STANDARD.encode(der)) {
        return Err(NonceError::BadSignature);
    }
    let json = URL_SAFE_NO_PAD.decode(head).map_err(|_| NonceError::Malformed)?;
    let payload: NoncePayload = serde_json::from_slice(&json).map_err(|_| NonceError::Malformed)?;
    let valid_until: i64 = payload.valid_ts.parse().map_err(|_| NonceError::Malformed)?;
    if now_secs > valid_until {
        return Err(NonceError::Expired);
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "0b4fd8a4-4c86-4f43-9d3b-1ac4a3e8e4b2";

    fn setup() -> (KeyPair, SignRequest) {
        let service = KeyPair::generate(Curve::Secp256k1).unwrap();
        let caller = KeyPair::generate(Curve::Secp256k1).unwrap();
        (service, SignRequest { public_key: caller.public_base64().to_owned(), nonce: NONCE.into() })
    }

    #[test]
    fn a_signed_nonce_validates_until_it_expires() {
        let (service, req) = setup();
        let token = sign(&service, &req, &req.public_key, 1_000, 300).unwrap();
        let payload = validate(service.public(), &token, 1_300).unwrap();
        assert_eq!(payload.nonce, NONCE);
        assert_eq!(payload.public_key, req.public_key);
        assert_eq!((payload.generated_ts.as_str(), payload.valid_ts.as_str()), ("1000", "1300"));
        assert_eq!(validate(service.public(), &token, 1_301), Err(NonceError::Expired));
    }

    #[test]
    fn a_tampered_or_foreign_nonce_is_refused() {
        let (service, req) = setup();
        let token = sign(&service, &req, &req.public_key, 1_000, 300).unwrap();
        let (head, sig) = token.split_once('.').unwrap();
        let forged_payload = NoncePayload {
            nonce: NONCE.into(),
            public_key: req.public_key.clone(),
            generated_ts: "1000".into(),
            valid_ts: "99999999999".into(),
        };
        let forged = format!("{}.{sig}", URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged_payload).unwrap()));
        assert_eq!(validate(service.public(), &forged, 1_001), Err(NonceError::BadSignature));
        let other = KeyPair::generate(Curve::Secp256k1).unwrap();
        assert_eq!(validate(other.public(), &token, 1_001), Err(NonceError::BadSignature));
        assert_eq!(validate(service.public(), head, 1_001), Err(NonceError::Malformed));
        assert_eq!(validate(service.public(), "a.b.c", 1_001), Err(NonceError::Malformed));
        assert_eq!(validate(service.public(), "", 1_001), Err(NonceError::Malformed));
    }

    #[test]
    fn signing_needs_a_uuid_nonce_and_the_callers_own_real_public_key() {
        let (service, mut req) = setup();
        let caller = req.public_key.clone();
        req.nonce = " ".into();
        assert!(matches!(sign(&service, &req, &caller, 0, 1), Err(NonceError::Invalid(_))));
        req.nonce = "n-1".into();
        assert!(matches!(sign(&service, &req, &caller, 0, 1), Err(NonceError::Invalid(m)) if m.contains("uuid")));
        let (service, mut req) = setup();
        req.public_key = "AAAA".into();
        assert!(matches!(sign(&service, &req, "AAAA", 0, 1), Err(NonceError::Invalid(m)) if m.contains("publicKey")));
        let (service, req) = setup();
        let someone_else = KeyPair::generate(Curve::Secp256k1).unwrap();
        assert_eq!(sign(&service, &req, someone_else.public_base64(), 0, 1), Err(NonceError::NotTheCaller));
    }
}
