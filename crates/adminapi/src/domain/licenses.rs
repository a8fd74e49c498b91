//! The license aggregate: license keys, their store ([`LicenseStore`]), making them (and making
//! them again on reset), and deciding whether a presented key is valid and authorized for a
//! community.

use async_trait::async_trait;
use envelope::{Curve, KeyPair};
use kit::StoreError;
use kit::license::{KeyType, Level, LicenseError, LicenseRecord, same_secret, secret_hash};

use super::DomainError;
use super::tenancy::TenancyStore;

/// Where license keys are kept (`crate::store::SqlLicenses`).
#[async_trait]
pub trait LicenseStore: Send + Sync {
    /// Stores a new license key.
    async fn insert_license(&self, license: &LicenseRecord) -> Result<(), StoreError>;
    /// The license whose secret hashes to `secret_hash`.
    async fn license_by_secret_hash(&self, secret_hash: &str) -> Result<Option<LicenseRecord>, StoreError>;
    /// A license by keyId.
    async fn license(&self, key_id: &str) -> Result<Option<LicenseRecord>, StoreError>;
    /// Every license, oldest first.
    async fn licenses(&self) -> Result<Vec<LicenseRecord>, StoreError>;
    /// Disables or enables a license; `NotFound` when there is none.
    async fn set_disabled(&self, key_id: &str, disabled: bool) -> Result<(), StoreError>;
    /// Replaces the license `old_key_id` by `fresh`, atomically; `NotFound` when there is none.
    async fn replace_license(&self, old_key_id: &str, fresh: &LicenseRecord) -> Result<(), StoreError>;
}

/// Creates a license key; every community it is limited to must exist.
pub async fn create_license(
    tenancy: &dyn TenancyStore,
    store: &dyn LicenseStore,
    spec: &LicenseSpec,
    curve: Curve,
) -> Result<LicenseRecord, DomainError> {
    super::ids::name("tag", &spec.tag)?;
    for id in spec.communities.iter().flatten() {
        if tenancy.community(id).await?.is_none() {
            return Err(DomainError::NotFound(format!("community {id} not found")));
        }
    }
    let license = generate(spec, curve)?;
    store.insert_license(&license).await?;
    Ok(license)
}

/// What a new license is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseSpec {
    pub key_type: KeyType,
    pub level: Level,
    pub tag: String,
    /// Epoch seconds.
    pub expiry: i64,
    /// `None`: every community.
    pub communities: Option<Vec<String>>,
}

/// A new key for `spec`: an `ecdsa` key pair on `curve` (keyId the public key, secret the private
/// key) or a random `hawk` secret (keyId its SHA-512 hex).
pub fn generate(spec: &LicenseSpec, curve: Curve) -> Result<LicenseRecord, DomainError> {
    let (key_id, key_secret) = match spec.key_type {
        KeyType::Ecdsa => {
            let pair = KeyPair::generate(curve).map_err(|e| DomainError::Invalid(format!("key generation: {e}")))?;
            (pair.public_base64().to_owned(), pair.private().to_base64().as_str().to_owned())
        }
        KeyType::Hawk => {
            let secret = uuid::Uuid::new_v4().to_string();
            (secret_hash(&secret), secret)
        }
    };
    Ok(LicenseRecord {
        key_id,
        key_secret,
        key_type: spec.key_type,
        auth_level: spec.level,
        tag: spec.tag.clone(),
        expiry: spec.expiry,
        disabled: false,
        communities: spec.communities.clone(),
        is_authorized: None,
    })
}

/// The replacement of `old` on reset: a new key with the same type, level, tag, expiry and communities.
pub fn regenerate(old: &LicenseRecord, curve: Curve) -> Result<LicenseRecord, DomainError> {
    let spec = LicenseSpec {
        key_type: old.key_type,
        level: old.auth_level,
        tag: old.tag.clone(),
        expiry: old.expiry,
        communities: old.communities.clone(),
    };
    generate(&spec, curve)
}

/// The record of a presented secret, found by its hash: `Unknown` unless the stored secret is the
/// same (compared in constant time). Disabled and expired records are returned as they are.
pub fn matching(found: Option<LicenseRecord>, presented: &str) -> Result<LicenseRecord, LicenseError> {
    found.filter(|r| same_secret(&r.key_secret, presented)).ok_or(LicenseError::Unknown)
}

/// Whether `record` may act on `community_id` at `now`: enabled, not expired, and listing the
/// community (or all of them).
pub fn authorized_for(record: &LicenseRecord, community_id: &str, now: i64) -> bool {
    record.status(now).is_ok() && record.communities.as_ref().is_none_or(|c| c.iter().any(|id| id == community_id))
}

/// Parses `a,b,c` into a list of community ids (24 hex each).
pub fn community_list(text: &str) -> Result<Vec<String>, DomainError> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|id| super::ids::object_id("community", id)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(key_type: KeyType) -> LicenseSpec {
        LicenseSpec { key_type, level: Level::App, tag: "t".into(), expiry: 2_000_000_000, communities: None }
    }

    #[test]
    fn hawk_and_ecdsa_keys_have_their_ids() {
        let hawk = generate(&spec(KeyType::Hawk), Curve::Secp256k1).unwrap();
        assert_eq!(hawk.key_id, secret_hash(&hawk.key_secret));
        assert_eq!(hawk.key_id.len(), 128);
        let ecdsa = generate(&spec(KeyType::Ecdsa), Curve::Secp256k1).unwrap();
        let pair = KeyPair::from_private_base64(Curve::Secp256k1, &ecdsa.key_secret).unwrap();
        assert_eq!(pair.public_base64(), ecdsa.key_id);
        let again = regenerate(&hawk, Curve::Secp256k1).unwrap();
        assert_ne!(again.key_secret, hawk.key_secret);
        assert_eq!((again.auth_level, again.tag.as_str(), again.expiry), (Level::App, "t", hawk.expiry));
    }

    #[test]
    fn presented_secrets_status_and_communities() {
        let mut r = generate(&spec(KeyType::Hawk), Curve::Secp256k1).unwrap();
        assert_eq!(matching(Some(r.clone()), "other"), Err(LicenseError::Unknown));
        assert_eq!(matching(None, &r.key_secret.clone()), Err(LicenseError::Unknown));
        assert!(matching(Some(r.clone()), &r.key_secret.clone()).is_ok());
        let c = "0123456789abcdef01234567";
        assert!(authorized_for(&r, c, 1_000));
        r.communities = Some(vec!["aaaaaaaaaaaaaaaaaaaaaaaa".into()]);
        assert!(!authorized_for(&r, c, 1_000));
        r.communities = Some(vec![c.into()]);
        assert!(authorized_for(&r, c, 1_000));
        assert!(!authorized_for(&r, c, r.expiry), "expired at its expiry");
        r.disabled = true;
        assert!(!authorized_for(&r, c, 1_000));
        assert_eq!(r.status(1_000), Err(LicenseError::Disabled));
        assert_eq!(community_list(" , ").unwrap(), Vec::<String>::new());
        assert!(community_list("nope").is_err());
    }
}
