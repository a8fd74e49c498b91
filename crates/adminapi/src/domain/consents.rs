//! A community's consent documents (the biometric consent a user accepts before enrolling), one
//! current document per type with every earlier version kept, each named by its content hash.
//!
//! The hash is a real IPFS CIDv0 (`Qm…`): base58btc of the sha2-256 multihash of the document as
//! `ipfs add` would store it, a UnixFS file in one dag-pb block (documents are kept under the
//! 256 KiB of one IPFS chunk). So `ipfs add` of the stored document's bytes (its compact JSON, as
//! `GET /config/consents/ipfs/{ipfsHash}` shows the fields `type` … `acknowledgeText`) gives the
//! same hash, and the document could be pinned to IPFS as it is.

use async_trait::async_trait;
use kit::StoreError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::DomainError;
use super::audit::Change;

/// The consent types a community may set.
pub const CONSENT_TYPES: &[&str] = &["biometric"];
/// The largest stored document: one IPFS chunk.
pub const MAX_DOCUMENT: usize = 256 * 1024;
/// The most versions a read lists.
pub const HISTORY_LIMIT: u32 = 100;
const MAX_TITLE: usize = 200;
const MAX_TEXT: usize = 1000;

/// A consent document, as hashed and stored (field order matters: it is the hashed JSON's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConsentDocument {
    /// One of the consent types (`biometric`).
    #[serde(rename = "type")]
    pub consent_type: String,
    pub is_enabled: bool,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub subtitle: String,
    /// Base64 (required, with `title` and `acknowledgeText`, when enabled).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub acknowledge_text: String,
}

/// One stored version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentVersion {
    pub tenant_id: String,
    pub community_id: String,
    pub ipfs_hash: String,
    pub document: ConsentDocument,
    pub updated_by: String,
    /// Epoch seconds.
    pub updated_at: i64,
}

/// Where consent versions are kept (`crate::store::SqlConsents`).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Adds `version` as the current one of its type and records `change`, both or neither.
    async fn put(&self, version: &ConsentVersion, change: &Change) -> Result<(), StoreError>;
    /// The community's versions of `consent_type`, newest first, at most `limit`.
    async fn history(
        &self,
        community_id: &str,
        consent_type: &str,
        limit: u32,
    ) -> Result<Vec<ConsentVersion>, StoreError>;
    /// The community's version with this hash.
    async fn by_hash(&self, community_id: &str, ipfs_hash: &str) -> Result<Option<ConsentVersion>, StoreError>;
}

/// A consent type of [`CONSENT_TYPES`], or the 400 listing them.
pub fn consent_type(text: &str) -> Result<String, DomainError> {
    let t = text.trim().to_ascii_lowercase();
    if CONSENT_TYPES.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(DomainError::Invalid(format!("type must be one of: {}", CONSENT_TYPES.join(", "))))
    }
}

fn bounded(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.chars().count() > max {
        return Err(DomainError::Invalid(format!("{field} must be at most {max} characters")));
    }
    Ok(())
}

/// The document a write makes, checked: a known type; when enabled, `title`, `body` (base64)
/// and `acknowledgeText` given; lengths bounded. Returns it with its bytes (the hashed JSON).
pub fn check(mut doc: ConsentDocument) -> Result<(ConsentDocument, Vec<u8>), DomainError> {
    use base64::Engine as _;
    doc.consent_type = consent_type(&doc.consent_type)?;
    if doc.is_enabled {
        for (field, value) in [("title", &doc.title), ("body", &doc.body), ("acknowledgeText", &doc.acknowledge_text)] {
            if value.trim().is_empty() {
                return Err(DomainError::Invalid(format!("{field} is required when isEnabled is true")));
            }
        }
        if base64::engine::general_purpose::STANDARD.decode(doc.body.trim()).is_err() {
            return Err(DomainError::Invalid("body must be base64 encoded when isEnabled is true".into()));
        }
    }
    bounded("title", &doc.title, MAX_TITLE)?;
    bounded("subtitle", &doc.subtitle, MAX_TEXT)?;
    bounded("acknowledgeText", &doc.acknowledge_text, MAX_TEXT)?;
    let bytes = serde_json::to_vec(&doc).map_err(|e| DomainError::Store(StoreError::Corrupt(e.to_string())))?;
    if bytes.len() > MAX_DOCUMENT {
        return Err(DomainError::Invalid(format!("the consent document must be at most {MAX_DOCUMENT} bytes")));
    }
    Ok((doc, bytes))
}

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return;
        }
        out.push(low | 0x80);
    }
}

/// The CIDv0 `ipfs add` gives `content` (at most one 256 KiB chunk): the sha2-256 multihash,
/// base58btc, of the dag-pb node `{Data: UnixFS {Type: File, Data: content, filesize}}`.
pub fn cid_v0(content: &[u8]) -> String {
    let mut unixfs = vec![0x08, 0x02];
    if !content.is_empty() {
        unixfs.push(0x12);
        varint(content.len(), &mut unixfs);
        unixfs.extend_from_slice(content);
    }
    unixfs.push(0x18);
    varint(content.len(), &mut unixfs);
    let mut node = vec![0x0a];
    varint(unixfs.len(), &mut node);
    node.extend_from_slice(&unixfs);
    let mut multihash = vec![0x12, 0x20];
    multihash.extend_from_slice(&Sha256::digest(&node));
    bs58::encode(multihash).into_string()
}

/// A path's hash: a CIDv0 (`Qm` and 44 base58 digits), or the 400 saying so.
pub fn ipfs_hash(text: &str) -> Result<String, DomainError> {
    let ok = text.len() == 46
        && text.starts_with("Qm")
        && bs58::decode(text).into_vec().is_ok_and(|d| d.len() == 34 && d[..2] == [0x12, 0x20]);
    if ok { Ok(text.to_owned()) } else { Err(DomainError::Invalid("ipfsHash must be a CIDv0 (Qm…)".into())) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_those_of_ipfs_add() {
        // `echo "hello world" | ipfs add` and an empty file.
        assert_eq!(cid_v0(b"hello world\n"), "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o");
        assert_eq!(cid_v0(b""), "QmbFMke1KXqnYyBBWxB74N4c5SBnJMVAiMNRcGu6x1AwQH");
        assert_eq!(ipfs_hash("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").unwrap().len(), 46);
        assert!(ipfs_hash("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff50").is_err(), "0 is not base58");
        assert!(ipfs_hash("bafybeigdyrzt5").is_err());
    }

    #[test]
    fn an_enabled_consent_needs_its_texts() {
        let doc = |enabled: bool, body: &str| ConsentDocument {
            consent_type: "Biometric".into(),
            is_enabled: enabled,
            title: "Consent".into(),
            subtitle: String::new(),
            body: body.into(),
            acknowledge_text: "I agree".into(),
        };
        let (ok, bytes) = check(doc(true, "SGVsbG8=")).unwrap();
        assert_eq!(ok.consent_type, "biometric");
        assert!(bytes.starts_with(br#"{"type":"biometric","isEnabled":true"#));
        assert!(matches!(check(doc(true, "")), Err(DomainError::Invalid(m)) if m.contains("body is required")));
        assert!(matches!(check(doc(true, "not base64!")), Err(DomainError::Invalid(m)) if m.contains("base64")));
        assert!(check(doc(false, "")).is_ok());
        let mut other = doc(false, "");
        other.consent_type = "marketing".into();
        assert!(check(other).is_err());
    }
}
