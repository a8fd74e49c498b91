//! A community's ID token signing keys: one signing key per algorithm (ES256, RS256), made on
//! first use, kept sealed by the deployment's key (bound to the community and the key id), and
//! rotated when older than `OIDC_KEY_ROTATION_DAYS` or on demand ([`KeySet::rotate`]). A retired
//! key stays in the JWKS until the last ID token it signed has expired, so relying parties that
//! cached the old set keep validating while new tokens carry the new `kid`.

use std::sync::Arc;

use async_trait::async_trait;
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kit::StoreError;
use kit::sealer::Sealer;
use serde::Serialize;

use crate::domain::DomainError;

/// A stored key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub kid: String,
    pub tenant_id: String,
    pub community_id: String,
    /// `ES256` or `RS256`.
    pub alg: String,
    /// The PKCS#8 DER private key, base64, sealed ([`Sealer`]).
    pub private_sealed: String,
    /// The public JWK (JSON).
    pub public_jwk: String,
    /// Epoch seconds.
    pub created_at: i64,
    pub retired_at: Option<i64>,
    /// Until when a retired key is published.
    pub publish_until: Option<i64>,
}

/// Where signing keys are kept (`crate::store::SqlOidcKeys`).
#[async_trait]
pub trait SigningKeyStore: Send + Sync {
    /// The community's signing key of `alg` (the one not retired).
    async fn current(&self, community_id: &str, alg: &str) -> Result<Option<KeyRecord>, StoreError>;
    /// Makes `new` the signing key of its community and algorithm, retiring `old` (the kid of the
    /// signing key it replaces, none for the first) at `retired_at` and publishing it until
    /// `publish_until`, all or nothing. `false` when `old` is no longer the signing key (another
    /// instance rotated first) or a signing key already exists.
    async fn replace(
        &self,
        old: Option<&str>,
        retired_at: i64,
        publish_until: i64,
        new: &KeyRecord,
    ) -> Result<bool, StoreError>;
    /// The community's keys to publish at `now`: the signing keys (newest first), then the
    /// retired ones still within `publish_until` (newest first).
    async fn published(&self, community_id: &str, now: i64) -> Result<Vec<KeyRecord>, StoreError>;
}

/// A key ready to sign.
pub struct Signer {
    pub kid: String,
    pub alg: Algorithm,
    key: EncodingKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).field("alg", &self.alg).finish_non_exhaustive()
    }
}

impl Signer {
    /// A compact JWS of `claims` with this key's `kid`.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, DomainError> {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| internal(format!("signing an ID token: {e}")))
    }
}

fn internal(message: String) -> DomainError {
    DomainError::Store(StoreError::Corrupt(message))
}

fn algorithm(alg: &str) -> Result<Algorithm, DomainError> {
    match alg {
        "ES256" => Ok(Algorithm::ES256),
        "RS256" => Ok(Algorithm::RS256),
        _ => Err(DomainError::Invalid("the ID token algorithm must be ES256 or RS256".into())),
    }
}

/// The DER content of the `privateKey` OCTET STRING of a PKCS#8 `PrivateKeyInfo` (the PKCS#1
/// `RSAPrivateKey` jsonwebtoken wants for RSA).
fn pkcs8_inner(der: &[u8]) -> Option<&[u8]> {
    // (tag, content) of the TLV at the start of `input`, and what follows it.
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    let (0x30, info, _) = tlv(der)? else { return None };
    let (0x02, _, rest) = tlv(info)? else { return None };
    let (0x30, _, rest) = tlv(rest)? else { return None };
    let (0x04, key, _) = tlv(rest)? else { return None };
    Some(key)
}

fn encoding_key(alg: Algorithm, pkcs8: &[u8]) -> Result<EncodingKey, DomainError> {
    match alg {
        Algorithm::RS256 => pkcs8_inner(pkcs8)
            .map(EncodingKey::from_rsa_der)
            .ok_or_else(|| internal("oidc_signing_keys: not a PKCS#8 RSA key".into())),
        _ => Ok(EncodingKey::from_ec_der(pkcs8)),
    }
}

/// A new key of `alg` for the community: its record (private key sealed) and signer.
pub fn generate(
    sealer: &Sealer,
    tenant_id: &str,
    community_id: &str,
    alg: &str,
    now: i64,
) -> Result<KeyRecord, DomainError> {
    use base64::Engine as _;
    let algorithm = algorithm(alg)?;
    let pair = match algorithm {
        Algorithm::RS256 => rcgen::KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048),
        _ => rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
    }
    .map_err(|e| internal(format!("generating a signing key: {e}")))?;
    let der = zeroize::Zeroizing::new(pair.serialize_der());
    let kid = uuid::Uuid::new_v4().simple().to_string();
    let mut jwk = Jwk::from_encoding_key(&encoding_key(algorithm, &der)?, algorithm)
        .map_err(|e| internal(format!("the public key of a signing key: {e}")))?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    jwk.common.key_algorithm =
        Some(if algorithm == Algorithm::RS256 { KeyAlgorithm::RS256 } else { KeyAlgorithm::ES256 });
    let public_jwk = serde_json::to_string(&jwk).map_err(|e| internal(e.to_string()))?;
    let encoded = zeroize::Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(der.as_slice()));
    let private_sealed = sealer
        .seal(&aad(community_id, &kid).each(), &encoded)
        .map_err(|e| internal(format!("sealing a signing key: {e}")))?;
    Ok(KeyRecord {
        kid,
        tenant_id: tenant_id.to_owned(),
        community_id: community_id.to_owned(),
        alg: alg.to_owned(),
        private_sealed,
        public_jwk,
        created_at: now,
        retired_at: None,
        publish_until: None,
    })
}

/// The associated data a key is sealed under.
struct Aad(String, String);

impl Aad {
    fn each(&self) -> [&str; 3] {
        ["oidc-signing-key", &self.0, &self.1]
    }
}

fn aad(community_id: &str, kid: &str) -> Aad {
    Aad(community_id.to_owned(), kid.to_owned())
}

/// The signer of a stored key.
pub fn open(sealer: &Sealer, record: &KeyRecord) -> Result<Signer, DomainError> {
    use base64::Engine as _;
    let alg = algorithm(&record.alg)?;
    let encoded = sealer
        .open(&aad(&record.community_id, &record.kid).each(), &record.private_sealed)
        .map_err(|e| internal(format!("oidc_signing_keys.private_sealed: {e}")))?;
    let der = zeroize::Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(encoded.as_bytes())
            .map_err(|_| internal("oidc_signing_keys.private_sealed: not base64".into()))?,
    );
    Ok(Signer { kid: record.kid.clone(), alg, key: encoding_key(alg, &der)? })
}

/// The communities' key sets.
#[derive(Clone)]
pub struct KeySet {
    store: Arc<dyn SigningKeyStore>,
    sealer: Arc<Sealer>,
    /// A signing key older than this is replaced on its next use (seconds).
    pub rotate_after: i64,
    /// How long a retired key stays published: the lifetime of the ID tokens it signed, and a
    /// minute of clock skew (seconds).
    pub publish_for: i64,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet").field("rotate_after", &self.rotate_after).finish_non_exhaustive()
    }
}

impl KeySet {
    /// Keys kept in `store`, sealed by `sealer`.
    pub fn new(store: Arc<dyn SigningKeyStore>, sealer: Arc<Sealer>, rotate_after: i64, publish_for: i64) -> Self {
        Self { store, sealer, rotate_after, publish_for }
    }

    /// The community's signer of `alg` at `now`: its signing key, made on first use and
    /// replaced when older than [`Self::rotate_after`].
    pub async fn signer(
        &self,
        tenant_id: &str,
        community_id: &str,
        alg: &str,
        now: i64,
    ) -> Result<Signer, DomainError> {
        for _ in 0..3 {
            let current = self.store.current(community_id, alg).await?;
            match current {
                Some(k) if now.saturating_sub(k.created_at) < self.rotate_after => return open(&self.sealer, &k),
                _ => {
                    let old = current.as_ref().map(|k| k.kid.as_str());
                    let new = generate(&self.sealer, tenant_id, community_id, alg, now)?;
                    if self.store.replace(old, now, now.saturating_add(self.publish_for), &new).await? {
                        tracing::info!(kid = %new.kid, alg, "OIDC signing key made");
                        return open(&self.sealer, &new);
                    }
                    // Another instance made or rotated it meanwhile: use theirs.
                }
            }
        }
        Err(DomainError::Busy("the community's signing key is being replaced: try again".into()))
    }

    /// Replaces the community's signing key of `alg` now (the old one stays published until the
    /// tokens it signed have expired): the new key's id.
    pub async fn rotate(
        &self,
        tenant_id: &str,
        community_id: &str,
        alg: &str,
        now: i64,
    ) -> Result<String, DomainError> {
        let current = self.store.current(community_id, alg).await?;
        let new = generate(&self.sealer, tenant_id, community_id, alg, now)?;
        let old = current.as_ref().map(|k| k.kid.as_str());
        if self.store.replace(old, now, now.saturating_add(self.publish_for), &new).await? {
            tracing::info!(kid = %new.kid, alg, "OIDC signing key rotated");
            Ok(new.kid)
        } else {
            Err(DomainError::Conflict("the signing key was replaced meanwhile".into()))
        }
    }

    /// The community's published keys at `now` (the JWKS).
    pub async fn jwks(&self, community_id: &str, now: i64) -> Result<JwkSet, DomainError> {
        let mut keys = Vec::new();
        for k in self.store.published(community_id, now).await? {
            let jwk: Jwk = serde_json::from_str(&k.public_jwk)
                .map_err(|e| internal(format!("oidc_signing_keys.public_jwk: {e}")))?;
            keys.push(jwk);
        }
        Ok(JwkSet { keys })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sign_tokens_their_jwk_verifies() {
        let sealer = Sealer::from_key(&[7; 32]);
        for alg in ["ES256", "RS256"] {
            let record = generate(&sealer, "t", "c", alg, 100).unwrap();
            assert!(!record.private_sealed.contains("MII"), "sealed, not PEM or DER in clear");
            let signer = open(&sealer, &record).unwrap();
            let token = signer.sign(&serde_json::json!({"sub": "u", "exp": 4_000_000_000u64})).unwrap();
            let jwk: Jwk = serde_json::from_str(&record.public_jwk).unwrap();
            assert_eq!(jwk.common.key_id.as_deref(), Some(record.kid.as_str()));
            let key = jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap();
            let mut validation = jsonwebtoken::Validation::new(algorithm(alg).unwrap());
            validation.validate_aud = false;
            let data = jsonwebtoken::decode::<serde_json::Value>(&token, &key, &validation).unwrap();
            assert_eq!(data.claims["sub"], "u");
            assert_eq!(data.header.kid.as_deref(), Some(record.kid.as_str()));
            // Sealed for its community and kid: another community's row does not open.
            let moved = KeyRecord { community_id: "other".into(), ..record.clone() };
            assert!(open(&sealer, &moved).is_err());
        }
    }
}
