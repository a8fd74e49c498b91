//! The `user_token` of an enrollment: handed out with a phrase and by each registration step,
//! taken back by the next one. It names the community, the phrase and its language, the number
//! of samples registered so far, the user once known (the proof's subject at the phrase fetch, or
//! the user of the first sample) and its expiry. It is AES-256-GCM under a key only this
//! service holds (derived from the ECDH of the service key with itself, for this purpose only):
//! a client can neither read, forge nor alter it. Every refusal is the same [`Invalid`].

use envelope::{KeyPair, SharedKey};
use kit::DomainError;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// How long a token lives (seconds): time to type the phrase once more.
pub const VALIDITY: i64 = 1800;

/// What derives the token key from the service's own shared secret.
const PURPOSE: &[u8] = b"users-mgmt behavior_auth user_token v1";

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserToken {
    pub tenant_id: String,
    pub community_id: String,
    /// The uid of the user enrolling, once known.
    pub uid: Option<String>,
    pub phrase: String,
    pub language: String,
    /// Samples registered with the phrase so far.
    pub attempts: usize,
    /// Expiry, epoch seconds.
    pub exp: i64,
}

/// A token that is not ours, is for another community, or has expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("user_token is invalid or expired: fetch a new phrase")]
pub struct Invalid;

/// The key tokens are sealed with.
#[derive(Clone)]
pub struct TokenKey(SharedKey);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<redacted>)")
    }
}

impl TokenKey {
    /// The key of the service holding `keys` (the same on every replica sharing the key).
    pub fn new(keys: &KeyPair) -> Result<Self, DomainError> {
        let own = keys
            .private()
            .shared_key(keys.public())
            .map_err(|_| DomainError::Invalid("the service key cannot derive a token key".into()))?;
        let mut h = Sha256::new();
        h.update(PURPOSE);
        h.update(own.as_bytes());
        Ok(Self(SharedKey::from_bytes(h.finalize().into())))
    }

    /// `token` sealed, valid [`VALIDITY`] seconds from `now` (its `exp` is set here).
    pub fn seal(&self, token: &UserToken, now: i64) -> Result<String, DomainError> {
        let t = UserToken { exp: now.saturating_add(VALIDITY), ..token.clone() };
        let text = serde_json::to_string(&t).map_err(|e| DomainError::Invalid(e.to_string()))?;
        self.0.encrypt(&text).map_err(|_| DomainError::Busy("the user token could not be sealed".into()))
    }

    /// What `text` says, when it is ours, unexpired at `now` and for `community_id` of
    /// `tenant_id`.
    pub fn open(&self, text: &str, tenant_id: &str, community_id: &str, now: i64) -> Result<UserToken, Invalid> {
        let plain = self.0.decrypt(text.trim()).map_err(|_| Invalid)?;
        let t: UserToken = serde_json::from_str(&plain).map_err(|_| Invalid)?;
        if t.tenant_id != tenant_id || t.community_id != community_id || t.exp <= now {
            return Err(Invalid);
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use envelope::Curve;

    use super::*;

    fn token() -> UserToken {
        UserToken {
            tenant_id: "t1".into(),
            community_id: "c1".into(),
            uid: Some("uid-5f3d8d0cd866fa61019c".into()),
            phrase: "the distinctive phrase of this token".into(),
            language: "en".into(),
            attempts: 2,
            exp: 0,
        }
    }

    #[test]
    fn a_token_opens_for_its_community_until_it_expires() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let keys = KeyPair::generate(curve).unwrap();
            let key = TokenKey::new(&keys).unwrap();
            let sealed = key.seal(&token(), 1000).unwrap();
            assert!(!sealed.contains("distinctive") && !sealed.contains("5f3d8d0cd866"), "the client cannot read it");
            let opened = key.open(&sealed, "t1", "c1", 1000 + VALIDITY - 1).unwrap();
            assert_eq!(opened, UserToken { exp: 1000 + VALIDITY, ..token() });
            assert_eq!(key.open(&sealed, "t1", "c1", 1000 + VALIDITY), Err(Invalid));
            assert_eq!(key.open(&sealed, "t1", "c2", 1001), Err(Invalid));
            assert_eq!(key.open(&sealed, "t2", "c1", 1001), Err(Invalid));
            // Another service key, or the plain ECDH key of the service with itself, cannot open it.
            let other = TokenKey::new(&KeyPair::generate(curve).unwrap()).unwrap();
            assert_eq!(other.open(&sealed, "t1", "c1", 1001), Err(Invalid));
            let own = keys.private().shared_key(keys.public()).unwrap();
            assert!(own.decrypt(&sealed).is_err());
            assert_eq!(TokenKey::new(&keys).unwrap().open(&sealed, "t1", "c1", 1001).map(|t| t.attempts), Ok(2));
            for bad in ["", "not a token", &sealed[..sealed.len() - 4]] {
                assert_eq!(key.open(bad, "t1", "c1", 1001), Err(Invalid));
            }
            assert_eq!(format!("{key:?}"), "TokenKey(<redacted>)");
        }
    }
}
