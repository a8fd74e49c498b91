//! [`Sealer`]: values encrypted at rest with AES-256-GCM under the key-encryption key of the
//! deployment (each service's own: adminapi's secrets, tokens and gateways, users-mgmt's passkeys), each under a fresh random nonce and bound to where it belongs (associated data:
//! the community, the record, the field), so that a sealed value copied to another row does not
//! open. The key comes from `SECRET_STORE_KEY` (base64 of 32 bytes) or `SECRET_STORE_KEY_FILE`;
//! without either, one is generated on first start into `DATA_DIR/secret-store.key` (mode 0600)
//! and reused after. The same key, through a derived subkey, keys the MACs of values that are
//! kept only as a keyed hash (one-time passcodes: [`Sealer::mac`]).

use std::io::Write as _;
use std::path::Path;

use crate::config::{ConfigError, Settings};
use aes_gcm::aead::{Aead as _, Generate as _, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac as _};
use zeroize::{Zeroize as _, Zeroizing};

/// The environment variable holding the key (or, with `_FILE`, the file that holds it).
pub const KEY_VAR: &str = "SECRET_STORE_KEY";
/// The file, in `DATA_DIR`, of a key generated on first start.
pub const KEY_FILE: &str = "secret-store.key";

/// The prefix of a sealed value: the format's version.
const VERSION: &str = "v1.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a value could not be sealed or opened. Says nothing of the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not a sealed value of this format.
    #[error("not a sealed value")]
    Malformed,
    /// Sealed under another key, for another place, or altered.
    #[error("the sealed value does not open with this key for this record")]
    Tag,
    /// Opened to bytes that are not UTF-8 text.
    #[error("the sealed value is not text")]
    NotText,
    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Rng,
}

/// Seals and opens values under the deployment's key-encryption key. Cheap to share (`Arc`).
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    /// HMAC-SHA256 of a fixed label under the key: the subkey of [`Sealer::mac`], so that a MAC
    /// never uses the encryption key itself.
    mac_key: Zeroizing<[u8; 32]>,
}

type HmacSha256 = Hmac<sha2::Sha256>;

/// The label the MAC subkey is derived with (its first user's name, kept: a new label would
/// change every MAC).
const MAC_LABEL: &[u8] = b"adminapi sealer mac key v1";

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

impl Sealer {
    /// Under the raw 32-byte key.
    pub fn from_key(key: &[u8; 32]) -> Self {
        let mut mac_key = Zeroizing::new([0u8; 32]);
        // HMAC takes a key of any length: new_from_slice cannot fail.
        if let Ok(mut derive) = <HmacSha256 as hmac::KeyInit>::new_from_slice(key) {
            derive.update(MAC_LABEL);
            mac_key.copy_from_slice(&derive.finalize().into_bytes());
        }
        Self { cipher: <Aes256Gcm as aes_gcm::KeyInit>::new(&Key::<Aes256Gcm>::from(*key)), mac_key }
    }

    /// The HMAC-SHA256 of `parts` (length-prefixed, so no two lists give the same input) for
    /// `purpose`, under the subkey derived from the deployment's key: for values kept only as a
    /// keyed hash. Compare two MACs in constant time.
    pub fn mac(&self, purpose: &str, parts: &[&str]) -> [u8; 32] {
        let mut input = vec![purpose];
        input.extend_from_slice(parts);
        let mut out = [0u8; 32];
        if let Ok(mut mac) = <HmacSha256 as hmac::KeyInit>::new_from_slice(self.mac_key.as_slice()) {
            mac.update(&associated(&input));
            out.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    /// Under a key given as base64 of 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, ConfigError> {
        let mut raw = Zeroizing::new(
            B64.decode(text.trim()).map_err(|_| ConfigError(format!("{KEY_VAR} must be base64 of 32 bytes")))?,
        );
        let mut key: [u8; 32] =
            raw.as_slice().try_into().map_err(|_| ConfigError(format!("{KEY_VAR} must be base64 of 32 bytes")))?;
        raw.zeroize();
        let sealer = Self::from_key(&key);
        key.zeroize();
        Ok(sealer)
    }

    /// The sealer of a deployment: `SECRET_STORE_KEY` (or `SECRET_STORE_KEY_FILE`), else the key
    /// generated into `DATA_DIR` on the first start.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        match settings.var(KEY_VAR)? {
            Some(key) => Self::from_base64(&Zeroizing::new(key)),
            None => Self::from_base64(&key_in(Path::new(&settings.data_dir))?),
        }
    }

    /// Seals `plaintext` for the place named by `aad` (its parts, in order): `v1.` and the base64
    /// of the nonce, the ciphertext and the tag.
    pub fn seal(&self, aad: &[&str], plaintext: &str) -> Result<String, SealError> {
        let nonce = Nonce::<aes_gcm::aead::consts::U12>::try_generate().map_err(|_| SealError::Rng)?;
        let aad = associated(aad);
        let sealed = self
            .cipher
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: &aad })
            .map_err(|_| SealError::Rng)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{VERSION}{}", B64.encode(out)))
    }

    /// Opens what [`Sealer::seal`] made for the same `aad`.
    pub fn open(&self, aad: &[&str], sealed: &str) -> Result<Zeroizing<String>, SealError> {
        let body = sealed.strip_prefix(VERSION).ok_or(SealError::Malformed)?;
        let raw = B64.decode(body).map_err(|_| SealError::Malformed)?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SealError::Malformed);
        }
        let nonce =
            Nonce::<aes_gcm::aead::consts::U12>::try_from(&raw[..NONCE_LEN]).map_err(|_| SealError::Malformed)?;
        let aad = associated(aad);
        let plain =
            self.cipher.decrypt(&nonce, Payload { msg: &raw[NONCE_LEN..], aad: &aad }).map_err(|_| SealError::Tag)?;
        String::from_utf8(plain).map(Zeroizing::new).map_err(|e| {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            SealError::NotText
        })
    }
}

/// The associated data of `parts`: each part's length (8 bytes, big endian) then its bytes, so
/// that no two lists of parts give the same bytes.
fn associated(parts: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 8).sum());
    for part in parts {
        out.extend_from_slice(&(part.len() as u64).to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// The base64 key kept in `dir`, generated (mode 0600) when there is none.
fn key_in(dir: &Path) -> Result<Zeroizing<String>, ConfigError> {
    let path = dir.join(KEY_FILE);
    let shown = path.display().to_string();
    let read = |p: &Path| {
        std::fs::read_to_string(p)
            .map(Zeroizing::new)
            .map_err(|e| ConfigError(format!("cannot read the secret store key {shown}: {e}")))
    };
    if path.exists() {
        return read(&path);
    }
    std::fs::create_dir_all(dir).map_err(|e| ConfigError(format!("cannot create {}: {e}", dir.display())))?;
    let mut key = Key::<Aes256Gcm>::try_generate()
        .map_err(|_| ConfigError("the system random number generator failed".into()))?;
    let text = Zeroizing::new(B64.encode(key.as_slice()));
    key.zeroize();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|e| ConfigError(format!("cannot write the secret store key {shown}: {e}")))?;
            tracing::warn!(path = %shown, "generated a secret store key: back it up, or set SECRET_STORE_KEY");
            Ok(text)
        }
        // Another instance on this data folder made it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(ConfigError(format!("cannot create the secret store key {shown}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_its_place() {
        let sealer = Sealer::from_key(&[7; 32]);
        let a = sealer.seal(&["community", "stripe"], "sk_test_123").unwrap();
        let b = sealer.seal(&["community", "stripe"], "sk_test_123").unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert!(a.starts_with("v1.") && !a.contains("sk_test"));
        assert_eq!(sealer.open(&["community", "stripe"], &a).unwrap().as_str(), "sk_test_123");
        assert_eq!(sealer.open(&["community", "other"], &a), Err(SealError::Tag), "another record");
        assert_eq!(sealer.open(&["communitys", "tripe"], &a), Err(SealError::Tag), "the parts are delimited");
        assert_eq!(Sealer::from_key(&[8; 32]).open(&["community", "stripe"], &a), Err(SealError::Tag));
        // The MAC depends on the key, the purpose and each part.
        let mac = sealer.mac("otp", &["c", "jane", "123456"]);
        assert_eq!(mac, Sealer::from_key(&[7; 32]).mac("otp", &["c", "jane", "123456"]));
        assert_ne!(mac, Sealer::from_key(&[8; 32]).mac("otp", &["c", "jane", "123456"]));
        assert_ne!(mac, sealer.mac("other", &["c", "jane", "123456"]));
        assert_ne!(mac, sealer.mac("otp", &["cj", "ane", "123456"]));
        let mut altered = a.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(sealer.open(&["community", "stripe"], &String::from_utf8(altered).unwrap()), Err(SealError::Tag));
        assert_eq!(sealer.open(&["community", "stripe"], "v1.AAAA"), Err(SealError::Malformed));
        assert_eq!(sealer.open(&["community", "stripe"], "sk_test_123"), Err(SealError::Malformed));
        assert_eq!(format!("{sealer:?}"), "Sealer(<redacted>)");
    }

    #[test]
    fn the_key_comes_from_the_environment_a_file_or_the_data_folder() {
        let dir = std::env::temp_dir().join(format!("sealer-{}", uuid::Uuid::new_v4().simple()));
        let settings = |vars: &[(&str, String)]| {
            let mut env = std::collections::BTreeMap::from([("DATA_DIR".to_owned(), dir.display().to_string())]);
            env.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
            Settings::from_source(&env, "adminapi", 0).unwrap()
        };
        // Generated once into the data folder, private, and reused.
        let first = Sealer::from_settings(&settings(&[])).unwrap();
        let sealed = first.seal(&["c", "k"], "hello").unwrap();
        let again = Sealer::from_settings(&settings(&[])).unwrap();
        assert_eq!(again.open(&["c", "k"], &sealed).unwrap().as_str(), "hello");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // The variable and the file win over it.
        let key = B64.encode([9u8; 32]);
        let from_var = Sealer::from_settings(&settings(&[(KEY_VAR, key.clone())])).unwrap();
        assert_eq!(from_var.open(&["c", "k"], &sealed), Err(SealError::Tag));
        let file = dir.join("mounted");
        std::fs::write(&file, format!("{key}\n")).unwrap();
        let from_file =
            Sealer::from_settings(&settings(&[("SECRET_STORE_KEY_FILE", file.display().to_string())])).unwrap();
        let sealed = from_var.seal(&["c", "k"], "x").unwrap();
        assert_eq!(from_file.open(&["c", "k"], &sealed).unwrap().as_str(), "x");
        // A bad key names the variable, not the value.
        let err = Sealer::from_settings(&settings(&[(KEY_VAR, "c2hvcnQ=".into())])).unwrap_err();
        assert_eq!(err.0, "SECRET_STORE_KEY must be base64 of 32 bytes");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
