//! An access code as stored and shown, its states, and why a redeem is refused.

use zeroize::Zeroizing;

use super::DomainError;

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An invitation of a user of the community.
    Invitation,
    /// A user's own password reset (`PUT /password_reset/sendverify`).
    PasswordReset,
}

impl Purpose {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invitation => "invitation",
            Self::PasswordReset => "password_reset",
        }
    }

    /// The `type` the reference shows.
    pub fn wire_type(self) -> &'static str {
        match self {
            Self::Invitation => "user_invitation",
            Self::PasswordReset => "password_reset",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Invitation, Self::PasswordReset].into_iter().find(|p| p.as_str() == text)
    }
}

/// The stored state of a code ([`AccessCode::state`] adds `expired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Redeemed,
    Revoked,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Redeemed => "redeemed",
            Self::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::Redeemed, Self::Revoked].into_iter().find(|s| s.as_str() == text)
    }
}

/// A code as stored: its MAC, never the code.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessCode {
    /// The short non-secret id (24 hex digits).
    pub id: String,
    /// Hex of the code's MAC.
    pub code_hash: String,
    pub tenant_id: String,
    pub community_id: String,
    pub purpose: Purpose,
    /// The user the code is for: uid, username and auth module.
    pub uid: String,
    pub username: String,
    pub module_id: String,
    /// Where it was sent.
    pub email_to: Option<String>,
    pub sms_to: Option<String>,
    /// The template it was sent with (`templateKeyPath`), for a resend.
    pub template_key: String,
    /// The username and uid of who made it (the user themselves for a request).
    pub created_by: String,
    pub created_by_uid: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: Status,
    pub updated_at: i64,
    pub redeemed_at: Option<i64>,
    /// JSON: who redeemed it (`publicKey`, device).
    pub redeem_result: Option<String>,
}

impl std::fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCode").field("id", &self.id).field("status", &self.status).finish_non_exhaustive()
    }
}

/// A state of a code as shown and as redeeming sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Active,
    Redeemed,
    Revoked,
    Expired,
}

impl State {
    /// The shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Redeemed => "redeemed",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
        }
    }
}

impl AccessCode {
    /// Its state at `now`.
    pub fn state(&self, now: i64) -> State {
        match self.status {
            Status::Active if self.expires_at <= now => State::Expired,
            Status::Active => State::Active,
            Status::Redeemed => State::Redeemed,
            Status::Revoked => State::Revoked,
        }
    }

    /// Parses the stored names of a row (`None` when one is unknown).
    pub fn parse_names(purpose: &str, status: &str) -> Option<(Purpose, Status)> {
        Some((Purpose::parse(purpose)?, Status::parse(status)?))
    }
}

/// A code just made, with its record. `Debug` does not show the code.
pub struct Issued {
    /// The code: to answer and send once, never to log.
    pub code: Zeroizing<String>,
    pub record: AccessCode,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("code", &"<redacted>").field("record", &self.record).finish()
    }
}

/// Why a code was not redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedeemError {
    /// Redeemed before (409).
    #[error("the access code was already redeemed")]
    Redeemed,
    /// Replaced by a resend, or never delivered (410).
    #[error("the access code was revoked")]
    Revoked,
    /// Past its expiry (410).
    #[error("the access code has expired")]
    Expired,
}

impl From<RedeemError> for kit::AppError {
    fn from(e: RedeemError) -> Self {
        let status = match e {
            RedeemError::Redeemed => actix_web::http::StatusCode::CONFLICT,
            RedeemError::Revoked | RedeemError::Expired => actix_web::http::StatusCode::GONE,
        };
        envelope::ApiError::new(status, e.to_string()).into()
    }
}

/// Why a code in `state` cannot be redeemed (`None`: it can).
pub(super) fn refusal(state: State) -> Option<RedeemOutcome> {
    let why = match state {
        State::Active => return None,
        State::Redeemed => RedeemError::Redeemed,
        State::Revoked => RedeemError::Revoked,
        State::Expired => RedeemError::Expired,
    };
    Some(RedeemOutcome::Refused(why))
}

/// Why [`super::AccessCodes::redeem`] did not redeem.
#[derive(Debug, thiserror::Error)]
pub enum RedeemOutcome {
    /// The code's state forbids it.
    #[error(transparent)]
    Refused(RedeemError),
    /// The store failed.
    #[error(transparent)]
    Failed(DomainError),
}

impl From<RedeemOutcome> for kit::AppError {
    fn from(e: RedeemOutcome) -> Self {
        match e {
            RedeemOutcome::Refused(r) => r.into(),
            RedeemOutcome::Failed(d) => d.into(),
        }
    }
}
