//! Images administrators upload (logos, backgrounds of the login pages): PNG, JPEG or WebP,
//! recognized by their first bytes, never by a name or a declared type (SVG, which can carry
//! scripts, is refused), at most `IMAGE_MAX_BYTES`. Each is kept once, named by the SHA-256 of
//! its bytes, and served back by adminapi at `GET /images/{sha256}`.

use async_trait::async_trait;
use kit::StoreError;
use sha2::{Digest, Sha256};

use super::DomainError;
use super::audit::Change;

/// The default most bytes of an image (2 MiB).
pub const DEFAULT_MAX_BYTES: usize = 2 * 1024 * 1024;

/// An image as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    /// Lowercase hex SHA-256 of `content`.
    pub sha256: String,
    /// `image/png`, `image/jpeg` or `image/webp`.
    pub content_type: &'static str,
    pub content: Vec<u8>,
    /// Epoch seconds of the first upload.
    pub created_at: i64,
}

impl std::fmt::Debug for Image {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Image")
            .field("sha256", &self.sha256)
            .field("content_type", &self.content_type)
            .field("size", &self.content.len())
            .finish()
    }
}

/// Where images are kept (`crate::store::SqlImages`).
#[async_trait]
pub trait ImageStore: Send + Sync {
    /// Keeps `image` (nothing changes when one with its hash is kept already) and records
    /// `change`, both or neither.
    async fn put(&self, image: &Image, change: &Change) -> Result<(), StoreError>;
    /// The image with this hash.
    async fn get(&self, sha256: &str) -> Result<Option<Image>, StoreError>;
}

/// The media type of `bytes` by their magic numbers, if they are a PNG, a JPEG or a WebP.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The media type a stored type name stands for (the three this module accepts).
pub fn known_type(name: &str) -> Option<&'static str> {
    ["image/png", "image/jpeg", "image/webp"].into_iter().find(|t| *t == name)
}

/// The image `bytes` make, or the 400 saying why not.
pub fn accept(bytes: Vec<u8>, now: i64) -> Result<Image, DomainError> {
    if bytes.is_empty() {
        return Err(DomainError::Invalid("image is empty".into()));
    }
    let content_type = sniff(&bytes).ok_or_else(|| {
        DomainError::Invalid(
            "image must be a PNG, JPEG or WebP file (checked by its content; SVG is not accepted)".into(),
        )
    })?;
    Ok(Image { sha256: hex::encode(Sha256::digest(&bytes)), content_type, content: bytes, created_at: now })
}

/// A path's image name: 64 lowercase hex digits (uppercase accepted).
pub fn hash_of(text: &str) -> Result<String, DomainError> {
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(DomainError::Invalid("sha256 must be 64 hexadecimal digits".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_content() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), None);
        assert_eq!(sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert!(matches!(accept(b"hello".to_vec(), 0), Err(DomainError::Invalid(_))));
        let png = accept(b"\x89PNG\r\n\x1a\nrest".to_vec(), 5).unwrap();
        assert_eq!(png.sha256, hex::encode(Sha256::digest(b"\x89PNG\r\n\x1a\nrest")));
        assert_eq!(hash_of(&png.sha256.to_uppercase()).unwrap(), png.sha256);
        assert!(hash_of("../etc/passwd").is_err());
    }
}
