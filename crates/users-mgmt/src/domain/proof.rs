//! Proofs of authentication: JWTs signed with the service key ([`envelope::jws`]: ES256K on
//! secp256k1, ES256 on P-256), issued by users-mgmt for an application (`aud`), short-lived.

use envelope::jws::{self, JwsError};
use envelope::{KeyPair, PublicKey};
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};

/// The issuer of every proof.
pub const ISSUER: &str = "users-mgmt";

/// The claims of a proof of authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `users-mgmt`.
    pub iss: String,
    /// The user's uid.
    pub sub: String,
    /// The application the proof was made for (the caller's `appid`).
    pub aud: String,
    pub tenant: String,
    pub community: String,
    /// The factors checked: `password`, `user_pin`.
    pub methods: Vec<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token's algorithm is not the service's")]
    Algorithm,
    #[error("the token's signature is not the service's")]
    Signature,
    #[error("the token has expired")]
    Expired,
    #[error("the token is for another audience")]
    Audience,
    #[error("the token was not issued by users-mgmt")]
    Issuer,
}

/// A signed compact JWS of `claims`.
pub fn issue(keys: &KeyPair, claims: &Claims) -> Result<String, DomainError> {
    jws::sign(keys, claims)
        .map_err(|e| DomainError::Store(StoreError::Corrupt(format!("proof of authentication: {e}"))))
}

/// The claims of `token` when it is signed by `key`, unexpired at `now`, issued by users-mgmt
/// and, when `audience` is given, for it.
pub fn verify(key: &PublicKey, token: &str, audience: Option<&str>, now: i64) -> Result<Claims, ProofError> {
    let claims: Claims = jws::verify(key, token).map_err(|e| match e {
        JwsError::Algorithm => ProofError::Algorithm,
        JwsError::Signature => ProofError::Signature,
        JwsError::Malformed | JwsError::Encoding => ProofError::Malformed,
    })?;
    if claims.iss != ISSUER {
        return Err(ProofError::Issuer);
    }
    if claims.exp <= now {
        return Err(ProofError::Expired);
    }
    if audience.is_some_and(|a| a != claims.aud) {
        return Err(ProofError::Audience);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use envelope::Curve;

    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            sub: "uid-1".into(),
            aud: "app".into(),
            tenant: "t".into(),
            community: "c".into(),
            methods: vec!["password".into()],
            iat: 100,
            exp,
            jti: "j".into(),
        }
    }

    #[test]
    fn tokens_verify_on_both_curves_and_only_with_their_key() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let keys = KeyPair::generate(curve).unwrap();
            let other = KeyPair::generate(curve).unwrap();
            for _ in 0..20 {
                let token = issue(&keys, &claims(200)).unwrap();
                assert_eq!(verify(keys.public(), &token, Some("app"), 150), Ok(claims(200)));
                assert_eq!(verify(other.public(), &token, None, 150), Err(ProofError::Signature));
                assert_eq!(verify(keys.public(), &token, None, 200), Err(ProofError::Expired));
                assert_eq!(verify(keys.public(), &token, Some("other"), 150), Err(ProofError::Audience));
                let mut tampered = token.clone();
                tampered.insert(token.find('.').unwrap() + 1, 'e');
                assert!(verify(keys.public(), &tampered, None, 150).is_err());
            }
            assert_eq!(verify(keys.public(), "a.b", None, 0), Err(ProofError::Malformed));
            let foreign = jws::sign(&keys, &serde_json::json!({"iss": "adminapi"})).unwrap();
            assert_eq!(verify(keys.public(), &foreign, None, 0), Err(ProofError::Malformed));
        }
    }
}
