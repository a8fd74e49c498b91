//! How a session lives in the ephemeral store: four keys per session, all written with a time to
//! live, so no sweeper is needed for correctness.
//!
//! - `session:{id}`: the [`SessionRecord`] (the session and its expiry in milliseconds);
//! - `session:{id}:claim`: set once with `put_if_absent` by the first answer: the guard that
//!   makes "one answer per session" hold under concurrency and after the answer was fetched;
//! - `session:{id}:response`: the answer, removed by the one poll that `take`s it (atomic: of
//!   two pollers exactly one gets it: `DELETE … RETURNING` in SQL, `GETDEL` in Redis);
//! - `session:{id}:fetched`: set after a successful fetch, so a second poll gets a clear error.
//!
//! Records are kept a grace period past the session's expiry so a late reader is told "expired"
//! (and the records are deleted then) rather than "not found".

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Session, SessionError};

/// The session as stored: the wire object plus its expiry with millisecond precision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session: Session,
    pub expires_at_ms: i64,
}

/// The four keys of one session.
#[derive(Debug, Clone)]
pub struct Keys {
    pub session: String,
    pub claim: String,
    pub response: String,
    pub fetched: String,
}

impl Keys {
    /// The keys of session `id`.
    pub fn of(id: &str) -> Self {
        Self {
            session: format!("session:{id}"),
            claim: format!("session:{id}:claim"),
            response: format!("session:{id}:response"),
            fetched: format!("session:{id}:fetched"),
        }
    }

    /// Removes every record of the session.
    pub async fn delete_all(&self, store: &dyn Ephemeral) -> Result<(), SessionError> {
        for key in [&self.response, &self.claim, &self.fetched, &self.session] {
            store.delete(key).await?;
        }
        Ok(())
    }
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

impl SessionStore {
    /// How long to keep a record of a session expiring at `expires_at_ms`, seen at `now_ms`.
    pub fn retention(&self, expires_at_ms: i64, now_ms: i64) -> Duration {
        let left = u64::try_from(expires_at_ms.saturating_sub(now_ms)).unwrap_or(0);
        Duration::from_millis(left) + self.grace
    }

    /// Stores `value` as JSON under `key` for `ttl`.
    pub async fn put_json<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<(), SessionError> {
        let json = serde_json::to_string(value).map_err(|e| SessionError::Corrupt(e.to_string()))?;
        Ok(self.store.put(key, &json, ttl).await?)
    }

    /// Reads a JSON record.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionError> {
        self.store.get(key).await?.map(|json| decode(key, &json)).transpose()
    }
}

/// Parses a stored JSON record; a record that does not parse is reported, never shown.
pub fn decode<T: DeserializeOwned>(key: &str, json: &str) -> Result<T, SessionError> {
    // serde's message would quote the stored record (a caller's data) into the log.
    serde_json::from_str(json)
        .map_err(|e| SessionError::Corrupt(format!("{key}: {}", envelope::deser::describe_json(&e))))
}
