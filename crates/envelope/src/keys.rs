//! Elliptic-curve keys in the BlockID wire encoding, ECDH and ECDSA.
//!
//! Wire encoding (the helper SDKs use it byte for byte):
//! - public key: base64 of the 64-byte uncompressed point without the `0x04` prefix (X || Y);
//! - private key: base64 of the 32-byte big-endian scalar (shorter input is left-padded);
//! - shared key: the raw 32-byte X coordinate of the ECDH point, used as the AES-256 key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use k256::elliptic_curve::Generate as _;
use k256::elliptic_curve::sec1::ToSec1Point as _;

use crate::cipher::SharedKey;

/// A failure to read or use key material. Never carries the key itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not valid base64")]
    Base64,
    #[error("not a valid {0} public key")]
    PublicKey(Curve),
    #[error("not a valid {0} private key")]
    PrivateKey(Curve),
    #[error("not a valid signature")]
    Signature,
    #[error("unknown curve {0:?}: expected secp256k1 or prime256v1")]
    UnknownCurve(String),
    #[error("keys are on different curves")]
    CurveMismatch,
    #[error("the system random number generator failed")]
    Rng,
}

/// The curve every key of a deployment is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Curve {
    /// secp256k1, the BlockID default.
    #[default]
    Secp256k1,
    /// prime256v1 (NIST P-256), selected with `EC_CURVE_NAME=prime256v1`.
    P256,
}

impl Curve {
    /// Parses the names OpenSSL and the helper SDKs use.
    pub fn from_name(name: &str) -> Result<Self, KeyError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "" | "secp256k1" => Ok(Self::Secp256k1),
            "prime256v1" | "p-256" | "p256" | "secp256r1" => Ok(Self::P256),
            other => Err(KeyError::UnknownCurve(other.to_owned())),
        }
    }

    /// The OpenSSL name of the curve.
    pub fn name(self) -> &'static str {
        match self {
            Self::Secp256k1 => "secp256k1",
            Self::P256 => "prime256v1",
        }
    }
}

impl std::fmt::Display for Curve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Point {
    K(k256::PublicKey),
    P(p256::PublicKey),
}

/// A peer's public key.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    point: Point,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({}, {})", self.curve(), self.to_base64())
    }
}

fn decode_b64(text: &str) -> Result<Vec<u8>, KeyError> {
    B64.decode(text.trim()).map_err(|_| KeyError::Base64)
}

impl PublicKey {
    /// Reads a base64 public key: 64 bytes X||Y (the wire form), or SEC1 with its prefix.
    pub fn from_base64(curve: Curve, text: &str) -> Result<Self, KeyError> {
        let raw = decode_b64(text)?;
        let sec1: Vec<u8> = if raw.len() == 64 { std::iter::once(0x04).chain(raw).collect() } else { raw };
        let point = match curve {
            Curve::Secp256k1 => k256::PublicKey::from_sec1_bytes(&sec1).map(Point::K),
            Curve::P256 => p256::PublicKey::from_sec1_bytes(&sec1).map(Point::P),
        }
        .map_err(|_| KeyError::PublicKey(curve))?;
        Ok(Self { point })
    }

    /// The curve of this key.
    pub fn curve(&self) -> Curve {
        match self.point {
            Point::K(_) => Curve::Secp256k1,
            Point::P(_) => Curve::P256,
        }
    }

    /// The wire encoding: base64 of X || Y.
    pub fn to_base64(&self) -> String {
        let sec1 = match &self.point {
            Point::K(p) => p.to_sec1_point(false).as_bytes().to_vec(),
            Point::P(p) => p.to_sec1_point(false).as_bytes().to_vec(),
        };
        B64.encode(&sec1[1..])
    }

    /// Verifies a base64 DER (or raw r||s) ECDSA-SHA256 signature of `message`.
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> bool {
        use k256::ecdsa::signature::Verifier as _;
        let Ok(sig) = decode_b64(signature_b64) else {
            return false;
        };
        match &self.point {
            Point::K(p) => {
                let key = k256::ecdsa::VerifyingKey::from(p);
                // k256 accepts only low-S signatures; OpenSSL (the SDKs) makes high-S ones half
                // the time, and (r, n - s) is the same signature, so normalize first.
                k256::ecdsa::Signature::from_der(&sig)
                    .or_else(|_| k256::ecdsa::Signature::from_slice(&sig))
                    .is_ok_and(|s| key.verify(message, &s.normalize_s()).is_ok())
            }
            Point::P(p) => {
                let key = p256::ecdsa::VerifyingKey::from(p);
                p256::ecdsa::Signature::from_der(&sig)
                    .or_else(|_| p256::ecdsa::Signature::from_slice(&sig))
                    .is_ok_and(|s| key.verify(message, &s).is_ok())
            }
        }
    }
}

enum Secret {
    K(k256::SecretKey),
    P(p256::SecretKey),
}

/// A private key. Its `Debug` never prints the scalar; it is zeroized on drop by the curve crates.
pub struct PrivateKey {
    secret: Secret,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({}, <redacted>)", self.curve())
    }
}

impl PrivateKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate(curve: Curve) -> Result<Self, KeyError> {
        let secret = match curve {
            Curve::Secp256k1 => Secret::K(k256::SecretKey::try_generate().map_err(|_| KeyError::Rng)?),
            Curve::P256 => Secret::P(p256::SecretKey::try_generate().map_err(|_| KeyError::Rng)?),
        };
        Ok(Self { secret })
    }

    /// Reads a base64 scalar; shorter input is left-padded with zeros (as the SDKs allow).
    pub fn from_base64(curve: Curve, text: &str) -> Result<Self, KeyError> {
        let raw = zeroize::Zeroizing::new(decode_b64(text)?);
        if raw.is_empty() || raw.len() > 32 {
            return Err(KeyError::PrivateKey(curve));
        }
        let mut padded = zeroize::Zeroizing::new([0u8; 32]);
        padded[32 - raw.len()..].copy_from_slice(&raw);
        let secret = match curve {
            Curve::Secp256k1 => k256::SecretKey::from_slice(&padded[..]).map(Secret::K),
            Curve::P256 => p256::SecretKey::from_slice(&padded[..]).map(Secret::P),
        }
        .map_err(|_| KeyError::PrivateKey(curve))?;
        Ok(Self { secret })
    }

    /// The wire encoding: base64 of the 32-byte scalar. Handle the result as a secret.
    pub fn to_base64(&self) -> zeroize::Zeroizing<String> {
        let bytes = match &self.secret {
            Secret::K(s) => zeroize::Zeroizing::new(s.to_bytes().to_vec()),
            Secret::P(s) => zeroize::Zeroizing::new(s.to_bytes().to_vec()),
        };
        zeroize::Zeroizing::new(B64.encode(&bytes[..]))
    }

    /// The curve of this key.
    pub fn curve(&self) -> Curve {
        match self.secret {
            Secret::K(_) => Curve::Secp256k1,
            Secret::P(_) => Curve::P256,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        let point = match &self.secret {
            Secret::K(s) => Point::K(s.public_key()),
            Secret::P(s) => Point::P(s.public_key()),
        };
        PublicKey { point }
    }

    /// ECDH with a peer: the raw X coordinate, used directly as the AES-256-GCM key.
    pub fn shared_key(&self, peer: &PublicKey) -> Result<SharedKey, KeyError> {
        let mut out = [0u8; 32];
        match (&self.secret, &peer.point) {
            (Secret::K(s), Point::K(p)) => {
                let shared = k256::ecdh::diffie_hellman(s.to_nonzero_scalar(), p.as_affine());
                out.copy_from_slice(shared.raw_secret_bytes());
            }
            (Secret::P(s), Point::P(p)) => {
                let shared = p256::ecdh::diffie_hellman(s.to_nonzero_scalar(), p.as_affine());
                out.copy_from_slice(shared.raw_secret_bytes());
            }
            _ => return Err(KeyError::CurveMismatch),
        }
        Ok(SharedKey::from_bytes(out))
    }

    /// ECDSA over SHA-256 of `message`; base64 of the DER signature (what Node's `crypto.sign` gives).
    pub fn sign(&self, message: &[u8]) -> String {
        use k256::ecdsa::signature::Signer as _;
        let der = match &self.secret {
            Secret::K(s) => {
                let sig: k256::ecdsa::Signature = k256::ecdsa::SigningKey::from(s).sign(message);
                sig.to_der().as_bytes().to_vec()
            }
            Secret::P(s) => {
                let sig: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(s).sign(message);
                sig.to_der().as_bytes().to_vec()
            }
        };
        B64.encode(der)
    }
}

/// A private key with its public key, as a service or a client holds it.
#[derive(Debug)]
pub struct KeyPair {
    private: PrivateKey,
    public: PublicKey,
    public_b64: String,
}

impl KeyPair {
    /// A fresh pair.
    pub fn generate(curve: Curve) -> Result<Self, KeyError> {
        Ok(Self::from_private(PrivateKey::generate(curve)?))
    }

    /// The pair of a known private key.
    pub fn from_private(private: PrivateKey) -> Self {
        let public = private.public_key();
        let public_b64 = public.to_base64();
        Self { private, public, public_b64 }
    }

    /// Reads a base64 private key.
    pub fn from_private_base64(curve: Curve, text: &str) -> Result<Self, KeyError> {
        Ok(Self::from_private(PrivateKey::from_base64(curve, text)?))
    }

    /// The curve of both keys.
    pub fn curve(&self) -> Curve {
        self.public.curve()
    }

    /// The private half.
    pub fn private(&self) -> &PrivateKey {
        &self.private
    }

    /// The public half.
    pub fn public(&self) -> &PublicKey {
        &self.public
    }

    /// The public key in the wire encoding.
    pub fn public_base64(&self) -> &str {
        &self.public_b64
    }

    /// ECDH with a peer given in the wire encoding.
    pub fn shared_key_with(&self, peer_b64: &str) -> Result<SharedKey, KeyError> {
        let peer = PublicKey::from_base64(self.curve(), peer_b64)?;
        self.private.shared_key(&peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_say_their_curve_and_debug_shows_no_secret() {
        for (curve, name) in [(Curve::Secp256k1, "secp256k1"), (Curve::P256, "prime256v1")] {
            let pair = KeyPair::generate(curve).unwrap();
            assert_eq!((curve.to_string(), pair.private().curve()), (name.to_owned(), curve));
            let private = format!("{:?}", pair.private());
            assert_eq!(private, format!("PrivateKey({name}, <redacted>)"));
            assert!(!private.contains(pair.private().to_base64().as_str()));
            let public = format!("{:?}", pair.public());
            assert_eq!(public, format!("PublicKey({name}, {})", pair.public_base64()));
        }
    }

    #[test]
    fn ecdh_is_symmetric_on_both_curves() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let a = KeyPair::generate(curve).unwrap();
            let b = KeyPair::generate(curve).unwrap();
            let ab = a.shared_key_with(b.public_base64()).unwrap();
            let ba = b.shared_key_with(a.public_base64()).unwrap();
            assert_eq!(ab.as_bytes(), ba.as_bytes());
            assert_eq!(B64.decode(a.public_base64()).unwrap().len(), 64);
        }
    }

    #[test]
    fn private_key_round_trips_and_accepts_short_input() {
        let pair = KeyPair::generate(Curve::Secp256k1).unwrap();
        let again = KeyPair::from_private_base64(Curve::Secp256k1, &pair.private().to_base64()).unwrap();
        assert_eq!(again.public_base64(), pair.public_base64());
        // Scalar 1 written in one byte: the public key is the generator.
        let one = KeyPair::from_private_base64(Curve::Secp256k1, &B64.encode([1u8])).unwrap();
        let g = B64.decode(one.public_base64()).unwrap();
        assert_eq!(hex_prefix(&g), "79be667e");
    }

    fn hex_prefix(bytes: &[u8]) -> String {
        bytes[..4].iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn keys_of_the_wrong_curve_or_shape_are_refused() {
        let k = KeyPair::generate(Curve::Secp256k1).unwrap();
        let p = KeyPair::generate(Curve::P256).unwrap();
        assert!(PublicKey::from_base64(Curve::P256, k.public_base64()).is_err());
        assert_eq!(k.shared_key_with(p.public_base64()).unwrap_err(), KeyError::PublicKey(Curve::Secp256k1));
        assert_eq!(PublicKey::from_base64(Curve::Secp256k1, "!!").unwrap_err(), KeyError::Base64);
        assert!(PublicKey::from_base64(Curve::Secp256k1, &B64.encode([4u8; 64])).is_err());
        assert!(PrivateKey::from_base64(Curve::Secp256k1, &B64.encode([0u8; 32])).is_err());
        assert!(PrivateKey::from_base64(Curve::Secp256k1, &B64.encode([1u8; 40])).is_err());
        assert!(Curve::from_name("ed25519").is_err());
        assert_eq!(Curve::from_name("prime256v1").unwrap(), Curve::P256);
    }

    /// OpenSSL signs with a high S half the time; such a signature must verify.
    #[test]
    fn high_s_signatures_from_other_implementations_verify() {
        let pair = KeyPair::generate(Curve::Secp256k1).unwrap();
        let low = k256::ecdsa::Signature::from_der(&B64.decode(pair.private().sign(b"m")).unwrap()).unwrap();
        let high_s = -*low.s().as_ref();
        let high = k256::ecdsa::Signature::from_scalars(low.r().to_bytes(), high_s.to_bytes()).unwrap();
        assert_ne!(high, low.normalize_s());
        assert!(pair.public().verify(b"m", &B64.encode(high.to_der().as_bytes())));
        assert!(!pair.public().verify(b"other", &B64.encode(high.to_der().as_bytes())));
    }

    #[test]
    fn signatures_verify_only_for_the_signed_message() {
        for curve in [Curve::Secp256k1, Curve::P256] {
            let pair = KeyPair::generate(curve).unwrap();
            let sig = pair.private().sign(b"nonce");
            assert!(pair.public().verify(b"nonce", &sig));
            assert!(!pair.public().verify(b"nonce2", &sig));
            assert!(!pair.public().verify(b"nonce", "garbage"));
            let other = KeyPair::generate(curve).unwrap();
            assert!(!other.public().verify(b"nonce", &sig));
        }
    }
}
