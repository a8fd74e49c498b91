//! User PINs: stored as the SHA-512 hex digest of the PIN (as the reference does), compared in
//! constant time, one per user ([`PinStore`]).

use async_trait::async_trait;
use kit::{DomainError, StoreError};
use sha2::{Digest as _, Sha512};
use subtle::ConstantTimeEq as _;

/// Where PINs are kept (`crate::store::SqlPins`).
#[async_trait]
pub trait PinStore: Send + Sync {
    /// The PIN digest of a user.
    async fn get(&self, uid: &str) -> Result<Option<String>, StoreError>;
    /// Sets (or replaces) the PIN digest of a user.
    async fn set(&self, uid: &str, digest: &str) -> Result<(), StoreError>;
    /// Removes the PIN of a user; `true` when there was one.
    async fn delete(&self, uid: &str) -> Result<bool, StoreError>;
}

/// A PIN as accepted on registration: 4 to 32 characters without spaces or control characters.
pub fn checked(field: &str, pin: &str) -> Result<(), DomainError> {
    let n = pin.chars().count();
    if (4..=32).contains(&n) && !pin.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!("{field} must be 4 to 32 characters without spaces")))
    }
}

/// The stored form of a PIN: SHA-512, lowercase hex.
pub fn digest(pin: &str) -> String {
    hex::encode(Sha512::digest(pin.as_bytes()))
}

/// Whether `pin` is the one whose digest is `stored`, in constant time.
pub fn matches(pin: &str, stored: &str) -> bool {
    let given = digest(pin);
    bool::from(given.as_bytes().ct_eq(stored.trim().to_ascii_lowercase().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_sha512_hex_and_compared_exactly() {
        // sha512("1234"), as `printf 1234 | sha512sum` prints it.
        assert!(digest("1234").starts_with("d404559f602eab6fd602ac7680dacbfaadd13630335e951f097af3900e9de176"));
        assert_eq!(digest("1234").len(), 128);
        assert!(matches("1234", &digest("1234")));
        assert!(matches("1234", &digest("1234").to_uppercase()));
        assert!(!matches("12345", &digest("1234")) && !matches("1234", ""));
        assert!(checked("pin", "1234").is_ok());
        assert!(checked("pin", "123").is_err() && checked("pin", "12 34").is_err());
    }
}
