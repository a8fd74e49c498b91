//! Server-held passkeys: a P-256 credential whose private key (a JWK) the caller registers for a
//! user, to be fetched back by the callers the spec allows (an Entra ID passkey kept on the
//! user's behalf). The JWK must be a real key ([`PrivateKey::check`]: `x`, `y` a point of P-256,
//! `d` its private scalar); it is sealed at rest with the service's [`Sealer`] (AES-256-GCM, bound
//! to the community and the credential id) and opened only to answer a fetch. `Debug` never shows
//! `d`, and no message quotes a value.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use kit::sealer::Sealer;
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zeroize::{Zeroize as _, Zeroizing};

/// The purpose the sealed keys are bound to.
const KIND: &str = "passkey";
/// The longest credential id, user handle, display name and Entra id.
const MAX_TEXT: usize = 512;

/// A P-256 private key as a JWK (RFC 7517). `d` is wiped when dropped and never shown.
#[derive(Clone, Deserialize, Serialize, ToSchema)]
pub struct Jwk {
    /// `EC`.
    pub kty: String,
    /// `P-256`.
    pub crv: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext: Option<bool>,
    /// The private scalar, base64url (32 bytes).
    pub d: String,
    /// The public point, base64url (32 bytes each).
    pub x: String,
    pub y: String,
}

impl Drop for Jwk {
    fn drop(&mut self) {
        self.d.zeroize();
    }
}

impl std::fmt::Debug for Jwk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwk").field("kty", &self.kty).field("crv", &self.crv).finish_non_exhaustive()
    }
}

/// `privateKey` of a registration: the JWK and what it is for.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateKey {
    pub jwk: Jwk,
    /// `ES256` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// `P-256` when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

fn invalid(message: &str) -> DomainError {
    DomainError::Invalid(format!("privateKey: {message}"))
}

/// The 32 bytes of a base64url field (padding tolerated).
fn coordinate(field: &str, text: &str) -> Result<Zeroizing<Vec<u8>>, DomainError> {
    let bytes = Zeroizing::new(
        B64URL
            .decode(text.trim().trim_end_matches('='))
            .map_err(|_| invalid(&format!("jwk.{field} must be base64url")))?,
    );
    if bytes.len() != 32 {
        return Err(invalid(&format!("jwk.{field} must be 32 bytes")));
    }
    Ok(bytes)
}

impl PrivateKey {
    /// Refuses (400) what is not a P-256 signing key whose `d` is the private key of `(x, y)`.
    pub fn check(&self) -> Result<(), DomainError> {
        let jwk = &self.jwk;
        if jwk.kty != "EC" || jwk.crv != "P-256" {
            return Err(invalid("jwk must be an EC key on P-256 (kty EC, crv P-256)"));
        }
        if self.algorithm.as_deref().is_some_and(|a| a != "ES256") {
            return Err(invalid("algorithm must be ES256"));
        }
        if self.curve.as_deref().is_some_and(|c| c != "P-256") {
            return Err(invalid("curve must be P-256"));
        }
        if jwk.key_ops.as_ref().is_some_and(|ops| !ops.iter().any(|o| o == "sign")) {
            return Err(invalid("jwk.key_ops must allow sign"));
        }
        let (x, y) = (coordinate("x", &jwk.x)?, coordinate("y", &jwk.y)?);
        let mut sec1 = Zeroizing::new(Vec::with_capacity(65));
        sec1.push(0x04);
        sec1.extend_from_slice(&x);
        sec1.extend_from_slice(&y);
        let public =
            p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| invalid("jwk.x and jwk.y must be a point of P-256"))?;
        let d = coordinate("d", &jwk.d)?;
        let secret = p256::SecretKey::from_slice(&d).map_err(|_| invalid("jwk.d must be a P-256 private key"))?;
        if secret.public_key() != public {
            return Err(invalid("jwk.d is not the private key of jwk.x and jwk.y"));
        }
        Ok(())
    }
}

/// A registered passkey. `Debug` leaves the sealed key out.
#[derive(Clone)]
pub struct Passkey {
    pub community_id: String,
    pub credential_id: String,
    pub tenant_id: String,
    pub uid: String,
    /// The user's username, lowercase.
    pub username: String,
    /// The WebAuthn user handle (`userId`).
    pub user_handle: String,
    pub user_display_name: Option<String>,
    pub rp_id: String,
    pub entra_auth_method_id: Option<String>,
    /// The [`PrivateKey`] as JSON, sealed.
    pub sealed_private_key: String,
    pub sign_count: u32,
    /// `createdAt` as given (RFC 3339), else the registration time.
    pub created_at: String,
    /// Epoch milliseconds (orders a user's passkeys).
    pub registered_at: i64,
}

impl std::fmt::Debug for Passkey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkey").field("credential_id", &self.credential_id).finish_non_exhaustive()
    }
}

/// Where passkeys are kept (`crate::store::SqlPasskeys`).
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// Adds a passkey; `Conflict` when the community has its credential id.
    async fn insert(&self, passkey: &Passkey) -> Result<(), StoreError>;
    /// The newest passkey of the user `uid` in the community.
    async fn latest(&self, community_id: &str, uid: &str) -> Result<Option<Passkey>, StoreError>;
}

/// A registration, checked by [`Passkeys::register`].
#[derive(Debug)]
pub struct Registration<'a> {
    pub credential_id: &'a str,
    pub private_key: &'a PrivateKey,
    pub rp_id: &'a str,
    pub user_handle: &'a str,
    pub user_display_name: Option<&'a str>,
    pub entra_auth_method_id: Option<&'a str>,
    pub created_at: Option<&'a str>,
}

fn text(field: &str, value: &str) -> Result<String, DomainError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(DomainError::Invalid(format!("{field} must be 1 to {MAX_TEXT} characters")));
    }
    Ok(value.to_owned())
}

/// A relying party id: a DNS name (letters, digits, `-`, `.`), at most 253.
fn rp_id(value: &str) -> Result<String, DomainError> {
    let id = value.trim().to_ascii_lowercase();
    let ok = !id.is_empty()
        && id.len() <= 253
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
        && !id.starts_with(['.', '-']);
    if ok { Ok(id) } else { Err(DomainError::Invalid("rpId must be a DNS name".into())) }
}

/// The passkeys of every community.
#[derive(Clone)]
pub struct Passkeys {
    store: Arc<dyn PasskeyStore>,
    sealer: Arc<Sealer>,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys").finish_non_exhaustive()
    }
}

/// Who a passkey belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Holder<'a> {
    pub tenant_id: &'a str,
    pub community_id: &'a str,
    pub uid: &'a str,
    pub username: &'a str,
}

impl Passkeys {
    /// Over `store`, sealing keys with `sealer`.
    pub fn new(store: Arc<dyn PasskeyStore>, sealer: Arc<Sealer>) -> Self {
        Self { store, sealer }
    }

    /// Checks and stores a passkey of `holder` (409 when the credential id is taken); `now_ms`:
    /// epoch milliseconds.
    pub async fn register(
        &self,
        holder: Holder<'_>,
        r: &Registration<'_>,
        now_ms: i64,
    ) -> Result<Passkey, DomainError> {
        let credential_id = text("credentialId", r.credential_id)?;
        let user_handle = text("userId", r.user_handle)?;
        let rp_id = rp_id(r.rp_id)?;
        let display = r.user_display_name.map(|d| text("userDisplayName", d)).transpose()?;
        let entra = r.entra_auth_method_id.map(|e| text("entraAuthMethodId", e)).transpose()?;
        let created_at = match r.created_at.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => chrono::DateTime::parse_from_rfc3339(c)
                .map_err(|_| DomainError::Invalid("createdAt must be an ISO 8601 timestamp".into()))?
                .to_rfc3339(),
            None => chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default().to_rfc3339(),
        };
        r.private_key.check()?;
        let json = Zeroizing::new(
            serde_json::to_string(r.private_key).map_err(|e| StoreError::Corrupt(format!("passkey key: {e}")))?,
        );
        let sealed = self
            .sealer
            .seal(&[KIND, holder.community_id, &credential_id], &json)
            .map_err(|e| StoreError::Unavailable(format!("sealing a passkey: {e}")))?;
        let passkey = Passkey {
            community_id: holder.community_id.to_owned(),
            credential_id,
            tenant_id: holder.tenant_id.to_owned(),
            uid: holder.uid.to_owned(),
            username: holder.username.to_lowercase(),
            user_handle,
            user_display_name: display,
            rp_id,
            entra_auth_method_id: entra,
            sealed_private_key: sealed,
            sign_count: 0,
            created_at,
            registered_at: now_ms,
        };
        match self.store.insert(&passkey).await {
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict("credentialId is already registered".into())),
            other => Ok(other.map(|()| passkey)?),
        }
    }

    /// The newest passkey of the user `uid` (404 without one) and its private key, opened.
    pub async fn latest(&self, community_id: &str, uid: &str) -> Result<(Passkey, PrivateKey), DomainError> {
        let passkey = self
            .store
            .latest(community_id, uid)
            .await?
            .ok_or_else(|| DomainError::NotFound("the user has no passkey".into()))?;
        let json = self
            .sealer
            .open(&[KIND, community_id, &passkey.credential_id], &passkey.sealed_private_key)
            .map_err(|e| StoreError::Corrupt(format!("passkey key: {e}")))?;
        let key = serde_json::from_str(&json).map_err(|_| StoreError::Corrupt("passkey key: not a JWK".into()))?;
        Ok((passkey, key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Generate as _;

    /// A fresh key as a JWK.
    fn jwk() -> PrivateKey {
        let secret = p256::SecretKey::try_generate().unwrap();
        let point = secret.public_key().to_sec1_bytes();
        let jwk = Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            key_ops: Some(vec!["sign".into()]),
            ext: Some(true),
            d: B64URL.encode(secret.to_bytes()),
            x: B64URL.encode(&point[1..33]),
            y: B64URL.encode(&point[33..65]),
        };
        PrivateKey { jwk, algorithm: Some("ES256".into()), curve: Some("P-256".into()) }
    }

    #[test]
    fn a_real_key_passes_and_every_flaw_is_named_without_its_value() {
        let good = jwk();
        good.check().unwrap();
        let other = jwk();
        let cases: Vec<(PrivateKey, &str)> = vec![
            (
                {
                    let mut k = good.clone();
                    k.jwk.d = other.jwk.d.clone();
                    k
                },
                "jwk.d is not the private key",
            ),
            (
                {
                    let mut k = good.clone();
                    k.jwk.y = other.jwk.y.clone();
                    k
                },
                "must be a point of P-256",
            ),
            (
                {
                    let mut k = good.clone();
                    k.jwk.x = "AAAA".into();
                    k
                },
                "jwk.x must be 32 bytes",
            ),
            (
                {
                    let mut k = good.clone();
                    k.jwk.d = "!!".into();
                    k
                },
                "jwk.d must be base64url",
            ),
            (
                {
                    let mut k = good.clone();
                    k.jwk.d = B64URL.encode([0u8; 32]);
                    k
                },
                "jwk.d must be a P-256 private key",
            ),
            (
                {
                    let mut k = good.clone();
                    k.jwk.crv = "P-384".into();
                    k
                },
                "kty EC, crv P-256",
            ),
            (
                {
                    let mut k = good.clone();
                    k.algorithm = Some("RS256".into());
                    k
                },
                "algorithm must be ES256",
            ),
            (
                {
                    let mut k = good.clone();
                    k.jwk.key_ops = Some(vec!["verify".into()]);
                    k
                },
                "key_ops must allow sign",
            ),
        ];
        for (key, expected) in cases {
            let e = key.check().unwrap_err().to_string();
            assert!(e.contains(expected), "{e} lacks {expected}");
            assert!(!e.contains(&good.jwk.d) && !e.contains(&other.jwk.d), "{e}");
        }
        assert!(!format!("{good:?}").contains(&good.jwk.d), "Debug hides d");
    }
}
