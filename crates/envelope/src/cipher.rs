//! AES-256-GCM with a 16-byte nonce, in the BlockID ciphertext layout:
//! `base64(iv(16) || ciphertext || tag(16))`.

use aes_gcm::aead::{Aead as _, Generate as _, KeyInit as _};
use aes_gcm::aes::Aes256;
use aes_gcm::{AesGcm, Nonce, aead::consts::U16};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::{Zeroize, ZeroizeOnDrop};

type Cipher = AesGcm<Aes256, U16>;

const IV_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// Why a ciphertext could not be opened. Deliberately vague about the cause of a tag failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("not valid base64")]
    Base64,
    #[error("too short to be a ciphertext")]
    TooShort,
    #[error("could not be decrypted with this key")]
    Tag,
    #[error("decrypted to something that is not UTF-8 text")]
    NotText,
    #[error("the system random number generator failed")]
    Rng,
}

/// The 32-byte ECDH shared key of two parties, used directly as the AES-256-GCM key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SharedKey([u8; 32]);

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKey(<redacted>)")
    }
}

impl SharedKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> Cipher {
        Cipher::new(&self.0.into())
    }

    /// Encrypts text under a fresh random IV.
    pub fn encrypt(&self, plaintext: &str) -> Result<String, CipherError> {
        let iv = Nonce::<U16>::try_generate().map_err(|_| CipherError::Rng)?;
        let sealed = self.cipher().encrypt(&iv, plaintext.as_bytes()).map_err(|_| CipherError::Rng)?;
        let mut out = Vec::with_capacity(IV_LEN + sealed.len());
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(B64.encode(out))
    }

    /// Decrypts a ciphertext made by [`SharedKey::encrypt`] or by any BlockID SDK.
    pub fn decrypt(&self, ciphertext: &str) -> Result<String, CipherError> {
        let raw = B64.decode(ciphertext.trim()).map_err(|_| CipherError::Base64)?;
        if raw.len() < IV_LEN + TAG_LEN {
            return Err(CipherError::TooShort);
        }
        let iv = Nonce::<U16>::try_from(&raw[..IV_LEN]).map_err(|_| CipherError::TooShort)?;
        let plain = self.cipher().decrypt(&iv, &raw[IV_LEN..]).map_err(|_| CipherError::Tag)?;
        String::from_utf8(plain).map_err(|_| CipherError::NotText)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> SharedKey {
        SharedKey::from_bytes([byte; 32])
    }

    #[test]
    fn debug_never_shows_the_key() {
        assert_eq!(format!("{:?}", key(7)), "SharedKey(<redacted>)");
    }

    #[test]
    fn round_trip_and_layout() {
        let k = key(7);
        let c = k.encrypt("hello ✓").unwrap();
        assert_eq!(B64.decode(&c).unwrap().len(), IV_LEN + "hello ✓".len() + TAG_LEN);
        assert_eq!(k.decrypt(&c).unwrap(), "hello ✓");
        assert_ne!(k.encrypt("hello ✓").unwrap(), c, "a fresh IV every time");
    }

    #[test]
    fn wrong_key_tampering_and_garbage_are_refused() {
        let c = key(1).encrypt("secret").unwrap();
        assert_eq!(key(2).decrypt(&c).unwrap_err(), CipherError::Tag);
        let mut raw = B64.decode(&c).unwrap();
        raw[IV_LEN] ^= 1;
        assert_eq!(key(1).decrypt(&B64.encode(&raw)).unwrap_err(), CipherError::Tag);
        assert_eq!(key(1).decrypt("%%%").unwrap_err(), CipherError::Base64);
        assert_eq!(key(1).decrypt(&B64.encode([0u8; 20])).unwrap_err(), CipherError::TooShort);
    }

    /// Vector computed with Python `cryptography` (AESGCM with a 16-byte nonce).
    #[test]
    fn matches_an_independent_implementation() {
        let k = SharedKey::from_bytes(std::array::from_fn(|i| i as u8));
        let c = "AAECAwQFBgcICQoLDA0ODwUAzxVSjS6K7KYuG4B81XdcbcLLfwV2";
        assert_eq!(k.decrypt(c).unwrap(), "blockid");
    }
}
