//! The life of a session: a web app creates it, anyone reads it, one phone answers it, and its
//! creator fetches the answer once.
//!
//! Every function takes the current time (`now_ms`) so the rules are tested without waiting.
//! Expiry is checked on every read: an expired session answers [`SessionError::Expired`] once
//! and all its records are deleted on the spot.

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use subtle::ConstantTimeEq as _;

use super::store::{Keys, SessionRecord, SessionStore, decode};
use super::{AuthResponse, AuthenticateRequest, NewSessionRequest, PollReply, Session, SessionError};

/// The longest session id looked up.
const MAX_ID: usize = 128;

/// Milliseconds since the Unix epoch.
pub fn epoch_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Who polls: its public key, and which communities its license covers.
pub struct Poller<'a> {
    pub public_key: &'a str,
    pub community_allowed: &'a dyn Fn(&str) -> bool,
}

/// Sessions over an ephemeral store, with their lifetime.
#[derive(Debug, Clone)]
pub struct Sessions {
    store: SessionStore,
    ttl: Duration,
}

impl Sessions {
    /// Sessions living `ttl` in `store`. Records stay one more `ttl` (at least a minute, at most
    /// an hour) so a late poll learns the session expired.
    pub fn new(store: Arc<dyn Ephemeral>, ttl: Duration) -> Self {
        let grace = ttl.clamp(Duration::from_secs(60), Duration::from_secs(3600));
        Self { store: SessionStore { store, grace }, ttl }
    }

    /// The lifetime of a new session.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Creates a session for the caller holding `creator_public_key`; returns it with its new id.
    pub async fn create(
        &self,
        request: NewSessionRequest,
        creator_public_key: &str,
        now_ms: i64,
    ) -> Result<Session, SessionError> {
        request.validate()?;
        let ttl_ms = i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX);
        let expires_at_ms = now_ms.saturating_add(ttl_ms);
        let session = Session {
            session_id: uuid::Uuid::new_v4().to_string(),
            origin: request.origin,
            scopes: request.scopes.unwrap_or_default(),
            authtype: request.authtype,
            metadata: request.metadata.unwrap_or_default(),
            public_key: creator_public_key.to_owned(),
            created_ts: now_ms / 1000,
            created_date: rfc3339(now_ms),
            expires_ts: expires_at_ms / 1000,
        };
        let keys = Keys::of(&session.session_id);
        let record = SessionRecord { session, expires_at_ms };
        self.store.put_json(&keys.session, &record, self.store.retention(expires_at_ms, now_ms)).await?;
        Ok(record.session)
    }

    /// The live record of session `id`; an expired one is deleted with everything attached to it.
    async fn live(&self, id: &str, now_ms: i64) -> Result<(SessionRecord, Keys), SessionError> {
        // Ids are uuids (the SDKs' examples add short suffixes); anything else cannot exist.
        if id.is_empty() || id.len() > MAX_ID {
            return Err(SessionError::Unknown);
        }
        let keys = Keys::of(id);
        let record: SessionRecord = self.store.get_json(&keys.session).await?.ok_or(SessionError::Unknown)?;
        if now_ms >= record.expires_at_ms {
            keys.delete_all(&*self.store.store).await?;
            return Err(SessionError::Expired);
        }
        Ok((record, keys))
    }

    /// The session `id` (never its answer).
    pub async fn info(&self, id: &str, now_ms: i64) -> Result<Session, SessionError> {
        Ok(self.live(id, now_ms).await?.0.session)
    }

    /// Records the phone's answer to session `id`; returns the answer's id. Only the first answer
    /// of a session is ever recorded.
    pub async fn authenticate(
        &self,
        id: &str,
        request: AuthenticateRequest,
        curve: envelope::Curve,
        now_ms: i64,
    ) -> Result<String, SessionError> {
        request.validate(curve)?;
        let (record, keys) = self.live(id, now_ms).await?;
        let ttl = self.store.retention(record.expires_at_ms, now_ms);
        // 24 hex digits, the shape of the record ids the spec's clients know.
        let answer_id: String = uuid::Uuid::new_v4().simple().to_string().chars().take(24).collect();
        if !self.store.store.put_if_absent(&keys.claim, &answer_id, ttl).await? {
            return Err(SessionError::AlreadyAnswered);
        }
        let response = AuthResponse {
            session_id: record.session.session_id,
            data: request.data,
            appid: request.appid,
            ial: request.ial,
            did: request.did,
            public_key: request.public_key,
            created_ts: now_ms / 1000,
            created_date: rfc3339(now_ms),
            event_data: request.event_data,
        };
        if let Err(e) = self.store.put_json(&keys.response, &response, ttl).await {
            // Free the claim so the phone can retry instead of leaving the session unanswerable.
            if let Err(cleanup) = self.store.store.delete(&keys.claim).await {
                tracing::warn!(error = %cleanup, "could not release the answer claim");
            }
            return Err(e);
        }
        Ok(answer_id)
    }

    /// Hands the answer of session `id` to its creator, once. `with_session` adds the session;
    /// `community_allowed` says whether the caller's license covers the session's community.
    pub async fn poll(
        &self,
        id: &str,
        poller: &Poller<'_>,
        with_session: bool,
        now_ms: i64,
    ) -> Result<PollReply, SessionError> {
        let (record, keys) = self.live(id, now_ms).await?;
        if !bool::from(record.session.public_key.as_bytes().ct_eq(poller.public_key.as_bytes())) {
            return Err(SessionError::WrongCaller);
        }
        if !(poller.community_allowed)(&record.session.origin.community_id) {
            return Err(SessionError::OtherCommunity(record.session.origin.community_id));
        }
        let Some(json) = self.store.store.take(&keys.response).await? else {
            return Err(if self.store.store.get(&keys.fetched).await?.is_some() {
                SessionError::AlreadyFetched
            } else {
                SessionError::NotYet
            });
        };
        let ttl = self.store.retention(record.expires_at_ms, now_ms);
        // The answer is already taken: failing to mark it fetched must not lose it for the caller
        // (a later poll then says "not yet" instead of "already fetched", and still gets nothing).
        if let Err(e) = self.store.store.put(&keys.fetched, "1", ttl).await {
            tracing::warn!(error = %e, "could not mark the session response as fetched");
        }
        let response: AuthResponse = decode(&keys.response, &json)?;
        Ok(PollReply { response, session_info: with_session.then_some(record.session) })
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
