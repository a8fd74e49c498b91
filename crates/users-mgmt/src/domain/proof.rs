//! Proofs of authentication: compact JWS tokens signed with the service key, ES256K on
//! secp256k1 and ES256 on P-256. `jsonwebtoken` has no ES256K, so both are built here over the
//! envelope signer (ECDSA over SHA-256, DER) converted to the 64-byte `r || s` form JOSE uses.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use envelope::{Curve, KeyPair, PublicKey};
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

/// The JOSE algorithm of a curve.
pub fn algorithm(curve: Curve) -> &'static str {
    match curve {
        Curve::Secp256k1 => "ES256K",
        Curve::P256 => "ES256",
    }
}

/// A signed compact JWS of `claims`.
pub fn issue(keys: &KeyPair, claims: &Claims) -> Result<String, DomainError> {
    let internal = |what: &str| DomainError::Store(StoreError::Corrupt(format!("proof of authentication: {what}")));
    let header = serde_json::json!({"alg": algorithm(keys.curve()), "typ": "JWT"});
    let claims = serde_json::to_vec(claims).map_err(|_| internal("claims"))?;
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims));
    let der = STANDARD.decode(keys.private().sign(signing_input.as_bytes())).map_err(|_| internal("signature"))?;
    let raw = der_to_raw(&der).ok_or_else(|| internal("signature encoding"))?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// The claims of `token` when it is signed by `key`, unexpired at `now`, issued by users-mgmt
/// and, when `audience` is given, for it.
pub fn verify(key: &PublicKey, token: &str, audience: Option<&str>, now: i64) -> Result<Claims, ProofError> {
    let mut parts = token.trim().split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| ProofError::Malformed);
    let header: serde_json::Value = serde_json::from_slice(&decode(header)?).map_err(|_| ProofError::Malformed)?;
    if header["alg"].as_str() != Some(algorithm(key.curve())) {
        return Err(ProofError::Algorithm);
    }
    let raw = decode(signature)?;
    if raw.len() != 64 {
        return Err(ProofError::Signature);
    }
    let signing_input = &token.trim()[..token.trim().len() - signature.len() - 1];
    if !key.verify(signing_input.as_bytes(), &STANDARD.encode(&raw)) {
        return Err(ProofError::Signature);
    }
    let claims: Claims = serde_json::from_slice(&decode(payload)?).map_err(|_| ProofError::Malformed)?;
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

/// The `r || s` form (32 bytes each) of a DER ECDSA signature `SEQUENCE { INTEGER r, INTEGER s }`.
pub fn der_to_raw(der: &[u8]) -> Option<[u8; 64]> {
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || usize::from(len) != body.len() {
        return None;
    }
    let (r, rest) = der_integer(body)?;
    let (s, rest) = der_integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = [0u8; 64];
    out[32 - r.len()..32].copy_from_slice(r);
    out[64 - s.len()..].copy_from_slice(s);
    Some(out)
}

/// One DER INTEGER of at most 32 significant bytes, without its leading zeros; and what follows.
fn der_integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len, rest) = rest.split_first()?;
    let len = usize::from(len);
    if tag != 0x02 || len > rest.len() || len > 33 {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    let first = value.iter().position(|b| *b != 0).unwrap_or(value.len());
    let value = &value[first..];
    (value.len() <= 32).then_some((value, rest))
}

#[cfg(test)]
mod tests {
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
            let header = URL_SAFE_NO_PAD.encode(if curve == Curve::P256 {
                "{\"alg\":\"ES256\"}"
            } else {
                "{\"alg\":\"ES256K\"}"
            });
            assert_eq!(verify(keys.public(), &format!("{header}.e30.AAAA"), None, 0), Err(ProofError::Signature));
            assert_eq!(verify(keys.public(), "a.b", None, 0), Err(ProofError::Malformed));
        }
    }

    #[test]
    fn der_signatures_become_jose_signatures() {
        // r with a leading zero byte (high bit set), s short.
        let mut der = vec![0x30, 0x00, 0x02, 33, 0x00];
        der.extend([0x80; 32]);
        der.extend([0x02, 2, 0x01, 0x02]);
        der[1] = u8::try_from(der.len() - 2).unwrap();
        let raw = der_to_raw(&der).unwrap();
        assert_eq!(&raw[..32], &[0x80; 32]);
        assert_eq!(&raw[62..], &[1, 2]);
        assert!(raw[32..62].iter().all(|b| *b == 0));
        assert_eq!(der_to_raw(&der[..der.len() - 1]), None);
    }
}
