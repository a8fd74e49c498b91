//! Access codes: one-time codes a user redeems, issued by an invitation (`PUT /users/invite`,
//! `POST /users/resend/invite`, `POST /users/request/invite`) and redeemed through the helper
//! SDKs' `BIDAccessCodes` calls, or by a user's own password reset
//! (`PUT /password_reset/sendverify`, redeemed by `POST /password_reset`). The two purposes never
//! mix: the invitation lookups and lists see invitations only, [`AccessCodes::find_reset`] reset
//! codes only, and a reset code lives its own, shorter time.
//!
//! A code is 192 random bits from the operating system's generator, written in URL-safe base64
//! (32 characters). It is answered and sent once, when it is made, and never stored: the store
//! keeps its HMAC-SHA256 under a subkey of the deployment's key ([`Sealer::mac`]), by which a
//! presented code is found, and a short non-secret `id` that lists and logs show. A code is
//! `active` until it is redeemed (`redeemed`), replaced by a resend or never delivered
//! (`revoked`); an active code past its expiry is `expired`. Redeeming is one conditional update
//! of an active, unexpired code, so of concurrent redeems of one code exactly one wins. The time
//! is passed in (`now`, epoch seconds).

pub mod message;
mod record;
mod view;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use kit::StoreError;
use kit::ephemeral::Ephemeral;
use zeroize::Zeroizing;

use record::refusal;
pub use record::{AccessCode, Issued, Purpose, RedeemError, RedeemOutcome, State, Status};
pub use view::view;

use super::DomainError;
use super::audit::Change;
use super::secrets::Sealer;

/// The kind of record in the audit log.
pub const KIND: &str = "access_code";
/// How long a code lives unless configured otherwise (`INVITATION_TTL_SECONDS`): 7 days.
pub const DEFAULT_TTL: u64 = 7 * 24 * 3600;
/// Random bytes in a code (192 bits).
const CODE_BYTES: usize = 24;
/// The MAC purpose of codes.
const MAC_PURPOSE: &str = "access_code.v1";
/// Invitations one user may ask for (`POST /users/request/invite`) per [`REQUEST_WINDOW`].
pub const REQUEST_LIMIT: i64 = 5;
/// The window of [`REQUEST_LIMIT`].
pub const REQUEST_WINDOW: Duration = Duration::from_secs(3600);
/// How long a password reset code lives unless configured otherwise
/// (`PASSWORD_RESET_TTL_SECONDS`): 1 hour.
pub const DEFAULT_RESET_TTL: u64 = 3600;

/// Where codes are kept (`crate::store::SqlAccessCodes`). Writes that take a [`Change`] record
/// it in the same transaction.
#[async_trait]
pub trait AccessCodeStore: Send + Sync {
    /// Adds a code.
    async fn insert(&self, code: &AccessCode, change: &Change) -> Result<(), StoreError>;
    /// The code whose MAC is `code_hash`.
    async fn by_hash(&self, code_hash: &str) -> Result<Option<AccessCode>, StoreError>;
    /// The code whose id is `id`.
    async fn by_id(&self, id: &str) -> Result<Option<AccessCode>, StoreError>;
    /// The community's codes, of the users `uids` only when given, newest first.
    async fn list(&self, community_id: &str, uids: Option<&[String]>) -> Result<Vec<AccessCode>, StoreError>;
    /// Marks the code `old_id` revoked and adds `new`, when `old_id` is still active: whether it
    /// was (nothing is written otherwise).
    async fn replace(&self, old_id: &str, new: &AccessCode, change: &Change) -> Result<bool, StoreError>;
    /// Marks an active code revoked (a code never delivered): whether it was active.
    async fn revoke(&self, id: &str, now: i64) -> Result<bool, StoreError>;
    /// Marks the code redeemed at `now` with `result`, when it is active and unexpired at
    /// `now`: whether it was.
    async fn redeem(&self, id: &str, now: i64, result: &str) -> Result<bool, StoreError>;
    /// Makes a redeemed code active again (what it was redeemed for failed): whether it was
    /// redeemed.
    async fn release(&self, id: &str, now: i64) -> Result<bool, StoreError>;
    /// Deletes the code: whether there was one.
    async fn delete(&self, id: &str, change: &Change) -> Result<bool, StoreError>;
}

/// What an issue needs to know of the code's user and maker.
#[derive(Debug, Clone)]
pub struct Draft {
    pub tenant_id: String,
    pub community_id: String,
    pub uid: String,
    pub username: String,
    pub module_id: String,
    pub email_to: Option<String>,
    pub sms_to: Option<String>,
    pub template_key: String,
    pub created_by: String,
    pub created_by_uid: String,
}

/// Issues, finds, redeems and deletes codes.
#[derive(Clone)]
pub struct AccessCodes {
    store: Arc<dyn AccessCodeStore>,
    sealer: Arc<Sealer>,
    limits: Arc<dyn Ephemeral>,
    ttl: u64,
    reset_ttl: u64,
}

impl std::fmt::Debug for AccessCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessCodes").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

/// A new code: its text and its id.
fn new_code() -> Result<Zeroizing<String>, DomainError> {
    let mut bytes = Zeroizing::new([0u8; CODE_BYTES]);
    getrandom::fill(bytes.as_mut_slice())
        .map_err(|_| DomainError::Busy("the system random number generator failed".into()))?;
    Ok(Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())))
}

/// Whether `given` has the shape of a code (so that anything else is refused before a lookup).
pub fn looks_like_code(given: &str) -> bool {
    (16..=64).contains(&given.len()) && given.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn change(code: &AccessCode, action: &str, actor_uid: &str, fields: &[&str], at: i64) -> Change {
    Change {
        tenant_id: code.tenant_id.clone(),
        community_id: code.community_id.clone(),
        kind: KIND.to_owned(),
        record: code.id.clone(),
        action: action.to_owned(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        actor: actor_uid.to_owned(),
        at,
    }
}

impl AccessCodes {
    /// Codes in `store`, MACed with `sealer`, living `ttl` seconds (at least 1); request limits
    /// counted in `limits` (the durable ephemeral store, shared by every instance).
    pub fn new(store: Arc<dyn AccessCodeStore>, sealer: Arc<Sealer>, limits: Arc<dyn Ephemeral>, ttl: u64) -> Self {
        Self { store, sealer, limits, ttl: ttl.max(1), reset_ttl: DEFAULT_RESET_TTL }
    }

    /// The same, with password reset codes living `ttl` seconds (at least 1).
    pub fn with_reset_ttl(self, ttl: u64) -> Self {
        Self { reset_ttl: ttl.max(1), ..self }
    }

    /// Seconds a code lives.
    pub fn ttl(&self) -> u64 {
        self.ttl
    }

    fn hash(&self, code: &str) -> String {
        hex::encode(self.sealer.mac(MAC_PURPOSE, &[code]))
    }

    fn record(&self, d: Draft, purpose: Purpose, code_hash: String, now: i64) -> AccessCode {
        let ttl = if purpose == Purpose::PasswordReset { self.reset_ttl } else { self.ttl };
        AccessCode {
            id: super::ids::new_object_id(),
            code_hash,
            tenant_id: d.tenant_id,
            community_id: d.community_id,
            purpose,
            uid: d.uid,
            username: d.username,
            module_id: d.module_id,
            email_to: d.email_to,
            sms_to: d.sms_to,
            template_key: d.template_key,
            created_by: d.created_by,
            created_by_uid: d.created_by_uid,
            created_at: now,
            expires_at: now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)),
            status: Status::Active,
            updated_at: now,
            redeemed_at: None,
            redeem_result: None,
        }
    }

    /// Makes and stores an invitation code for `draft` at `now`.
    pub async fn issue(&self, draft: Draft, now: i64) -> Result<Issued, DomainError> {
        self.issue_for(Purpose::Invitation, draft, now).await
    }

    /// Makes and stores a password reset code for `draft` at `now`.
    pub async fn issue_reset(&self, draft: Draft, now: i64) -> Result<Issued, DomainError> {
        self.issue_for(Purpose::PasswordReset, draft, now).await
    }

    async fn issue_for(&self, purpose: Purpose, draft: Draft, now: i64) -> Result<Issued, DomainError> {
        let code = new_code()?;
        let actor = draft.created_by_uid.clone();
        let record = self.record(draft, purpose, self.hash(&code), now);
        self.store.insert(&record, &change(&record, "create", &actor, &["uid", "expiresAt"], now)).await?;
        Ok(Issued { code, record })
    }

    /// Replaces the active or expired code `old` by a new one for the same user, sent to
    /// `email_to`: 409 when `old` was redeemed or revoked (also by a concurrent resend).
    pub async fn reissue(
        &self,
        old: &AccessCode,
        email_to: String,
        by: (&str, &str),
        now: i64,
    ) -> Result<Issued, DomainError> {
        let refused =
            || DomainError::Conflict("the access code was redeemed or revoked: it cannot be sent again".into());
        if matches!(old.status, Status::Redeemed | Status::Revoked) {
            return Err(refused());
        }
        let code = new_code()?;
        let draft = Draft {
            tenant_id: old.tenant_id.clone(),
            community_id: old.community_id.clone(),
            uid: old.uid.clone(),
            username: old.username.clone(),
            module_id: old.module_id.clone(),
            email_to: Some(email_to),
            sms_to: None,
            template_key: old.template_key.clone(),
            created_by: by.0.to_owned(),
            created_by_uid: by.1.to_owned(),
        };
        let record = self.record(draft, old.purpose, self.hash(&code), now);
        let change = change(&record, "resend", by.1, &["uid", "expiresAt", "replaces"], now);
        if !self.store.replace(&old.id, &record, &change).await? {
            return Err(refused());
        }
        Ok(Issued { code, record })
    }

    /// Revokes a code that could not be delivered.
    pub async fn undeliverable(&self, record: &AccessCode, now: i64) -> Result<(), DomainError> {
        self.store.revoke(&record.id, now).await?;
        Ok(())
    }

    /// The code of `purpose` `given` names, when it has a code's shape and exists.
    async fn find_of(&self, purpose: Purpose, given: &str) -> Result<Option<AccessCode>, DomainError> {
        let given = given.trim();
        if !looks_like_code(given) {
            return Ok(None);
        }
        Ok(self.store.by_hash(&self.hash(given)).await?.filter(|c| c.purpose == purpose))
    }

    /// The invitation code `given` names, when it has a code's shape and exists.
    pub async fn find(&self, given: &str) -> Result<Option<AccessCode>, DomainError> {
        self.find_of(Purpose::Invitation, given).await
    }

    /// The password reset code `given` names, when it has a code's shape and exists.
    pub async fn find_reset(&self, given: &str) -> Result<Option<AccessCode>, DomainError> {
        self.find_of(Purpose::PasswordReset, given).await
    }

    /// The invitation code `given` names: its id (24 hex digits) or the code itself.
    pub async fn find_by_id_or_code(&self, given: &str) -> Result<Option<AccessCode>, DomainError> {
        let given = given.trim();
        if kit::ids::is_object_id(given) {
            let found = self.store.by_id(&given.to_ascii_lowercase()).await?;
            return Ok(found.filter(|c| c.purpose == Purpose::Invitation));
        }
        self.find(given).await
    }

    /// Redeems `record` at `now`, noting `result` (JSON): the redeemed record, or why not.
    pub async fn redeem(&self, record: &AccessCode, result: &str, now: i64) -> Result<AccessCode, RedeemOutcome> {
        if let Some(refused) = refusal(record.state(now)) {
            return Err(refused);
        }
        if self.store.redeem(&record.id, now, result).await.map_err(|e| RedeemOutcome::Failed(e.into()))? {
            return Ok(AccessCode {
                status: Status::Redeemed,
                redeemed_at: Some(now),
                redeem_result: Some(result.to_owned()),
                updated_at: now,
                ..record.clone()
            });
        }
        // Changed since it was read: a concurrent redeem won, or a resend revoked it.
        let current = self.store.by_id(&record.id).await.map_err(|e| RedeemOutcome::Failed(e.into()))?;
        Err(match current.map(|c| c.state(now)) {
            None => RedeemOutcome::Failed(DomainError::NotFound("no such access code".into())),
            Some(state) => refusal(state).unwrap_or_else(|| {
                RedeemOutcome::Failed(DomainError::Busy("the access code changed meanwhile: try again".into()))
            }),
        })
    }

    /// Makes `record`, redeemed, active again: what it was redeemed for failed.
    pub async fn release(&self, record: &AccessCode, now: i64) -> Result<(), DomainError> {
        self.store.release(&record.id, now).await?;
        Ok(())
    }

    /// The community's invitation codes (of `uids` only, when given), newest first.
    pub async fn list(&self, community_id: &str, uids: Option<&[String]>) -> Result<Vec<AccessCode>, DomainError> {
        let mut codes = self.store.list(community_id, uids).await?;
        codes.retain(|c| c.purpose == Purpose::Invitation);
        Ok(codes)
    }

    /// Deletes `record`, by the user `actor_uid`.
    pub async fn delete(&self, record: &AccessCode, actor_uid: &str, now: i64) -> Result<(), DomainError> {
        if self.store.delete(&record.id, &change(record, "delete", actor_uid, &["id"], now)).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound("no such access code".into()))
        }
    }

    /// Counts a request for an invitation by the user `uid`: whether it is within
    /// [`REQUEST_LIMIT`] per [`REQUEST_WINDOW`].
    pub async fn count_request(&self, community_id: &str, uid: &str) -> Result<bool, DomainError> {
        self.count("invite-request", community_id, uid).await
    }

    /// Counts a request for a password reset for the user `uid`: whether it is within
    /// [`REQUEST_LIMIT`] per [`REQUEST_WINDOW`].
    pub async fn count_reset_request(&self, community_id: &str, uid: &str) -> Result<bool, DomainError> {
        self.count("reset-request", community_id, uid).await
    }

    async fn count(&self, what: &str, community_id: &str, uid: &str) -> Result<bool, DomainError> {
        let key = format!("{what}:{}:{}", community_id.to_ascii_lowercase(), uid);
        Ok(self.limits.incr(&key, REQUEST_WINDOW).await? <= REQUEST_LIMIT)
    }
}

#[cfg(test)]
mod tests;
