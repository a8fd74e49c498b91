//! Compact JWS tokens (JWTs) signed with a service key: ES256K on secp256k1, ES256 on P-256.
//! `jsonwebtoken` has no ES256K, so both are built here over the key's ECDSA signer (SHA-256, DER)
//! converted to the 64-byte `r || s` form JOSE uses. The claims' meaning (issuer, expiry,
//! audience) is the caller's: [`verify`] checks the algorithm and the signature only.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::keys::{Curve, KeyPair, PublicKey};

/// Why a token is refused before its claims are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token's algorithm is not the service's")]
    Algorithm,
    #[error("the token's signature is not the service's")]
    Signature,
    #[error("the token's claims could not be encoded")]
    Encoding,
}

/// The JOSE algorithm of a curve.
pub fn algorithm(curve: Curve) -> &'static str {
    match curve {
        Curve::Secp256k1 => "ES256K",
        Curve::P256 => "ES256",
    }
}

/// A compact JWS of `claims` signed with `keys`.
pub fn sign<C: Serialize>(keys: &KeyPair, claims: &C) -> Result<String, JwsError> {
    let header = serde_json::json!({"alg": algorithm(keys.curve()), "typ": "JWT"});
    let claims = serde_json::to_vec(claims).map_err(|_| JwsError::Encoding)?;
    let signing_input = format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims));
    let der = STANDARD.decode(keys.private().sign(signing_input.as_bytes())).map_err(|_| JwsError::Encoding)?;
    let raw = der_to_raw(&der).ok_or(JwsError::Encoding)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// The claims of `token` when it carries the algorithm of `key`'s curve and `key`'s signature.
pub fn verify<C: DeserializeOwned>(key: &PublicKey, token: &str) -> Result<C, JwsError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsError::Malformed);
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| JwsError::Malformed);
    let header: serde_json::Value = serde_json::from_slice(&decode(header)?).map_err(|_| JwsError::Malformed)?;
    if header["alg"].as_str() != Some(algorithm(key.curve())) {
        return Err(JwsError::Algorithm);
    }
    let raw = decode(signature)?;
    if raw.len() != 64 {
        return Err(JwsError::Signature);
    }
    let signing_input = &token[..token.len() - signature.len() - 1];
    if !key.verify(signing_input.as_bytes(), &STANDARD.encode(&raw)) {
        return Err(JwsError::Signature);
    }
    serde_json::from_slice(&decode(payload)?).map_err(|_| JwsError::Malformed)
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
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn tokens_verify_on_both_curves_and_only_with_their_key() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let keys = KeyPair::generate(curve).unwrap();
            let other = KeyPair::generate(curve).unwrap();
            let claims = json!({"sub": "uid-1", "exp": 200});
            for _ in 0..20 {
                let token = sign(&keys, &claims).unwrap();
                assert_eq!(verify::<Value>(keys.public(), &token), Ok(claims.clone()));
                assert_eq!(verify::<Value>(other.public(), &token), Err(JwsError::Signature));
                let mut tampered = token.clone();
                tampered.insert(token.find('.').unwrap() + 1, 'e');
                assert!(verify::<Value>(keys.public(), &tampered).is_err());
            }
            let header = URL_SAFE_NO_PAD.encode(format!("{{\"alg\":\"{}\"}}", algorithm(curve)));
            assert_eq!(verify::<Value>(keys.public(), &format!("{header}.e30.AAAA")), Err(JwsError::Signature));
            let none = URL_SAFE_NO_PAD.encode("{\"alg\":\"none\"}");
            assert_eq!(verify::<Value>(keys.public(), &format!("{none}.e30.")), Err(JwsError::Algorithm));
            assert_eq!(verify::<Value>(keys.public(), "a.b"), Err(JwsError::Malformed));
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
