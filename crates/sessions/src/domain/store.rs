//! How a session lives in the ephemeral store: ONE record per session, `session:{id}`, holding
//! the session, its expiry and its [`Progress`] (pending → answered with the answer → fetched),
//! written with a time to live so no sweeper is needed for correctness.
//!
//! One record makes every read one round trip (a pending poll is one `GET` / `SELECT`), and every
//! change of progress a [`compare_and_swap`](kit::ephemeral::Ephemeral::compare_and_swap) from
//! the exact text that was read: of concurrent answers exactly one moves the session from pending
//! to answered, and of concurrent polls exactly one moves it from answered to fetched, so no poll
//! can see the answer gone without also seeing it fetched. Progress only ever moves forward, so a
//! failed swap always means another caller moved it first.
//!
//! Records are kept a grace period past the session's expiry so a late reader is told "expired"
//! (and the record is deleted then) rather than "not found".

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use serde::{Deserialize, Serialize};

use super::{AuthResponse, Session, SessionError};

/// Where a session stands.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Progress {
    /// No answer yet.
    #[default]
    Pending,
    /// The phone's answer, waiting for its one fetch.
    Answered { answer_id: String, response: Box<AuthResponse> },
    /// The answer was handed to the creator (and is no longer kept).
    Fetched,
}

/// The session as stored: the wire object, its expiry with millisecond precision, its progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session: Session,
    pub expires_at_ms: i64,
    #[serde(default)]
    pub progress: Progress,
}

/// A record as read, with the exact stored text a change must swap from.
#[derive(Debug, Clone)]
pub struct Stored {
    pub key: String,
    pub text: String,
    pub record: SessionRecord,
}

/// The store and how long records outlive their session.
#[derive(Clone)]
pub struct SessionStore {
    pub store: Arc<dyn Ephemeral>,
    pub grace: Duration,
}

impl std::fmt::Debug for SessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStore").field("backend", &self.store.backend()).field("grace", &self.grace).finish()
    }
}

/// The key of session `id`.
pub fn key_of(id: &str) -> String {
    format!("session:{id}")
}

impl SessionStore {
    /// How long to keep a record of a session expiring at `expires_at_ms`, seen at `now_ms`.
    pub fn retention(&self, expires_at_ms: i64, now_ms: i64) -> Duration {
        let left = u64::try_from(expires_at_ms.saturating_sub(now_ms)).unwrap_or(0);
        Duration::from_millis(left) + self.grace
    }

    /// Stores a new record (one write).
    pub async fn create(&self, record: &SessionRecord, now_ms: i64) -> Result<(), SessionError> {
        let text = encode(record)?;
        let ttl = self.retention(record.expires_at_ms, now_ms);
        Ok(self.store.put(&key_of(&record.session.session_id), &text, ttl).await?)
    }

    /// The record of session `id` (one read).
    pub async fn read(&self, id: &str) -> Result<Option<Stored>, SessionError> {
        let key = key_of(id);
        let Some(text) = self.store.get(&key).await? else { return Ok(None) };
        // serde's message would quote the stored record (a caller's data) into the log.
        let record = serde_json::from_str(&text)
            .map_err(|e| SessionError::Corrupt(format!("session record: {}", envelope::deser::describe_json(&e))))?;
        Ok(Some(Stored { key, text, record }))
    }

    /// Replaces `from` with `to` if nobody changed it since it was read (one atomic swap);
    /// `false` when another caller moved the session first.
    pub async fn advance(&self, from: &Stored, to: &SessionRecord, now_ms: i64) -> Result<bool, SessionError> {
        let text = encode(to)?;
        let ttl = self.retention(to.expires_at_ms, now_ms);
        Ok(self.store.compare_and_swap(&from.key, &from.text, &text, ttl).await?)
    }

    /// Deletes the record.
    pub async fn remove(&self, stored: &Stored) -> Result<(), SessionError> {
        self.store.delete(&stored.key).await?;
        Ok(())
    }
}

fn encode(record: &SessionRecord) -> Result<String, SessionError> {
    serde_json::to_string(record).map_err(|e| SessionError::Corrupt(e.to_string()))
}
