//! WebAuthn (FIDO2) security keys and platform authenticators of a community's users.
//!
//! - [`ceremony`]: registration (attestation) and authentication (assertion) ceremonies with
//!   `webauthn-rs`, the relying party of each community being its tenant's DNS name; the state of
//!   a ceremony waits in the ephemeral store under its challenge, for a short time and for one use
//!   (a replayed response finds nothing).
//! - [`vendors`]: the community's authenticator models (AAGUIDs) allowed or denied at
//!   registration.
//! - The credentials themselves ([`Credential`], kept by a [`CredentialStore`]): public data only
//!   (the id, the public key, the signature counter); the counter only moves forward, by a
//!   compare-and-swap, so a cloned authenticator (a counter that does not grow) is refused.
//!
//! The community's FIDO settings ([`super::login_settings::FidoSettings`]) decide which kinds of
//! authenticators may register and sign in.

pub mod ceremony;
pub mod vendors;

use async_trait::async_trait;
use kit::{AppError, StoreError};

use super::DomainError;
use super::login_settings::FidoSettings;

/// The kind of an authenticator, chosen at registration (`authenticatorAttachment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A roaming authenticator (USB, NFC, BLE key): `cross-platform`, or no attachment asked.
    SecurityKey,
    /// One built into the device (Touch ID, Windows Hello): `platform`.
    PlatformAuthenticator,
}

impl Kind {
    /// The stored and shown name (the enrollment factors' names).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SecurityKey => "security_key",
            Self::PlatformAuthenticator => "platform_authenticator",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "security_key" => Some(Self::SecurityKey),
            "platform_authenticator" => Some(Self::PlatformAuthenticator),
            _ => None,
        }
    }

    /// Whether the community's FIDO settings allow this kind.
    pub fn allowed_by(self, fido: &FidoSettings) -> bool {
        !fido.fido_disabled
            && match self {
                Self::SecurityKey => !fido.fido_security_key_disabled,
                Self::PlatformAuthenticator => !fido.fido_platform_authenticator_disabled,
            }
    }

    /// Refuses (403) a kind the FIDO settings do not allow, naming the setting.
    pub fn check(self, fido: &FidoSettings) -> Result<(), DomainError> {
        if fido.fido_disabled {
            return Err(DomainError::Forbidden("the community's FIDO settings disable FIDO authenticators".into()));
        }
        if self.allowed_by(fido) {
            return Ok(());
        }
        Err(DomainError::Forbidden(match self {
            Self::SecurityKey => "the community's FIDO settings disable security keys".into(),
            Self::PlatformAuthenticator => "the community's FIDO settings disable platform authenticators".into(),
        }))
    }
}

/// A registered credential. `Debug` leaves the credential's data out.
#[derive(Clone)]
pub struct Credential {
    /// The `deviceId` (24 hex).
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    /// The user's uid and username (lowercase) and the auth module they signed in with.
    pub uid: String,
    pub username: String,
    pub module_id: String,
    /// The credential id, base64url.
    pub credential_id: String,
    /// The authenticator model, lowercase hyphenated.
    pub aaguid: String,
    pub kind: Kind,
    /// `deviceName`.
    pub name: String,
    /// `keyType`, as the client named it.
    pub key_type: String,
    /// The verified credential (webauthn-rs `Passkey`) as JSON: public key, counter.
    pub passkey: String,
    /// The last signature counter accepted.
    pub counter: u32,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential").field("id", &self.id).field("kind", &self.kind).finish_non_exhaustive()
    }
}

/// Where credentials are kept (`crate::store::SqlWebauthn`).
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Adds a credential; `Conflict` when the community has its credential id.
    async fn insert(&self, credential: &Credential) -> Result<(), StoreError>;
    /// The credentials of `username` (lowercase) in the community, oldest first.
    async fn by_user(&self, community_id: &str, username: &str) -> Result<Vec<Credential>, StoreError>;
    /// The community's credential with this credential id (base64url).
    async fn by_credential_id(&self, community_id: &str, credential_id: &str)
    -> Result<Option<Credential>, StoreError>;
    /// Moves the counter of credential `id` from `from` to `to` (with its updated `passkey` and
    /// last use), only if it is still `from`: whether it moved.
    async fn advance(&self, id: &str, from: u32, to: u32, passkey: &str, now: i64) -> Result<bool, StoreError>;
}

/// Why a ceremony failed.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// The response does not prove what it must (401): an unknown, expired or used challenge, a
    /// bad signature, another origin, a counter that did not grow. The message names the check.
    #[error("{0}")]
    Refused(String),
    /// A domain refusal (400, 403, 404, 409) or a store failure.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<StoreError> for CeremonyError {
    fn from(e: StoreError) -> Self {
        Self::Domain(DomainError::Store(e))
    }
}

impl From<CeremonyError> for AppError {
    fn from(e: CeremonyError) -> Self {
        match e {
            CeremonyError::Refused(m) => envelope::ApiError::unauthorized(m).into(),
            CeremonyError::Domain(d) => d.into(),
        }
    }
}
