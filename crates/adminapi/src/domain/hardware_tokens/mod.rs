//! Hardware tokens of a community: HOTP and TOTP tokens imported from CSV, assigned to users,
//! resynchronised, and checked as a second factor.
//!
//! A token's seed is sealed at rest with the deployment's [`Sealer`] (bound to the community and
//! the token's id) and never leaves this module: listings, errors, the audit log and the logs
//! name tokens by serial number. `counter` is the first HOTP counter (or TOTP time step) that may
//! still be accepted: a code is accepted by a compare-and-swap of that exact counter, so of
//! concurrent uses of one code exactly one succeeds, and a code once accepted is refused again.
//! Look-ahead is bounded: [`HOTP_WINDOW`] counters (or the MFA settings'
//! `sync_window_for_first_usage` for a token never used), TOTP ±1 step; resynchronisation
//! searches [`RESYNC_WINDOW`] for three consecutive codes. Every write by an administrator
//! records a [`Change`] (field names only).

pub mod codes;
pub mod csv;
mod service;

use async_trait::async_trait;
use kit::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

pub use service::{HardwareTokens, Outcome, RowError, assignments, seed_format};

use super::DomainError;
use super::audit::Change;

/// The kind of record in the audit log.
pub const KIND: &str = "hardware_token";
/// HOTP counters looked ahead of the expected one.
pub const HOTP_WINDOW: u64 = 10;
/// Counters (HOTP) or steps on each side of now (TOTP) a resynchronisation searches.
pub const RESYNC_WINDOW: u64 = 1000;

/// How a token makes its codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    /// Counter based (RFC 4226).
    Hotp,
    /// Time based (RFC 6238).
    Totp,
}

impl TokenType {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hotp => "hotp",
            Self::Totp => "totp",
        }
    }

    /// The type named `name` (any case).
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "hotp" => Some(Self::Hotp),
            "totp" => Some(Self::Totp),
            _ => None,
        }
    }
}

/// A token as stored. `Debug` leaves the sealed seed out.
#[derive(Clone)]
pub struct Token {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub serial_number: String,
    pub token_type: TokenType,
    /// The seed (hex), sealed by the [`Sealer`](super::secrets::Sealer).
    pub sealed_seed: String,
    /// 6 to 8.
    pub digits: u32,
    /// TOTP seconds per step.
    pub period: u64,
    /// The first counter (HOTP) or time step (TOTP) that may still be accepted.
    pub counter: u64,
    /// TOTP steps the token's clock is ahead of ours (negative: behind).
    pub drift: i64,
    /// The assigned user's username (lowercase) and uid.
    pub username: Option<String>,
    pub user_uid: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_used_at: Option<i64>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.id)
            .field("serial_number", &self.serial_number)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

/// A token as listed: never its seed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    #[serde(rename = "_id")]
    pub id: String,
    pub serial_number: String,
    #[serde(rename = "type")]
    pub token_type: TokenType,
    pub digits: u32,
    /// TOTP seconds per step.
    pub period: u64,
    pub counter: u64,
    /// The assigned user, if any.
    pub username: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When a code was last accepted (epoch seconds).
    pub last_used_at: Option<i64>,
}

impl From<&Token> for TokenInfo {
    fn from(t: &Token) -> Self {
        Self {
            id: t.id.clone(),
            serial_number: t.serial_number.clone(),
            token_type: t.token_type,
            digits: t.digits,
            period: t.period,
            counter: t.counter,
            username: t.username.clone(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// Where tokens are kept (`crate::store::SqlHardwareTokens`). Writes that take a [`Change`]
/// record it in the same transaction.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// Adds a token; `Conflict` when the community has its serial number.
    async fn insert(&self, token: &Token, change: &Change) -> Result<(), StoreError>;
    /// The community's tokens, by serial number.
    async fn list(&self, community_id: &str) -> Result<Vec<Token>, StoreError>;
    /// The community's token with this id.
    async fn by_id(&self, community_id: &str, id: &str) -> Result<Option<Token>, StoreError>;
    /// The community's token with this serial number (exact).
    async fn by_serial(&self, community_id: &str, serial: &str) -> Result<Option<Token>, StoreError>;
    /// The tokens assigned to `username` (lowercase) in the community.
    async fn by_user(&self, community_id: &str, username: &str) -> Result<Vec<Token>, StoreError>;
    /// Writes the seed, counter, drift and assignment of `token`; false when it is gone.
    async fn save(&self, token: &Token, change: &Change) -> Result<bool, StoreError>;
    /// Moves the counter of token `id` from `from` to `to` (and its drift, its last use), only if
    /// it is still `from`: whether it moved.
    async fn advance(&self, id: &str, from: u64, to: u64, drift: i64, now: i64) -> Result<bool, StoreError>;
    /// Deletes the community's token `id`; false when it is gone.
    async fn delete(&self, community_id: &str, id: &str, change: &Change) -> Result<bool, StoreError>;
}
