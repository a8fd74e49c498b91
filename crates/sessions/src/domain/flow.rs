//! The life of a session: a web app creates it, anyone reads it, one phone answers it, and its
//! creator fetches the answer once.
//!
//! Every function takes the current time (`now_ms`) so the rules are tested without waiting.
//! Expiry is checked on every read: an expired session answers [`SessionError::Expired`] once
//! and its record is deleted on the spot. Each session is one record in the store (see
//! [`super::store`]).

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use subtle::ConstantTimeEq as _;

use super::store::{Progress, SessionRecord, SessionStore, Stored};
use super::{AuthResponse, AuthenticateRequest, NewSessionRequest, PollReply, Session, SessionError};

/// The longest session id looked up.
const MAX_ID: usize = 128;

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
    /// One write to the store.
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
        let record = SessionRecord { session, expires_at_ms, progress: Progress::Pending };
        self.store.create(&record, now_ms).await?;
        Ok(record.session)
    }

    /// The live record of session `id` (one read); an expired one is deleted on the spot.
    async fn live(&self, id: &str, now_ms: i64) -> Result<Stored, SessionError> {
        // Ids are uuids (the SDKs' examples add short suffixes); anything else cannot exist.
        if id.is_empty() || id.len() > MAX_ID {
            return Err(SessionError::Unknown);
        }
        let stored = self.store.read(id).await?.ok_or(SessionError::Unknown)?;
        if now_ms >= stored.record.expires_at_ms {
            self.store.remove(&stored).await?;
            return Err(SessionError::Expired);
        }
        Ok(stored)
    }

    /// The session `id` (never its answer).
    pub async fn info(&self, id: &str, now_ms: i64) -> Result<Session, SessionError> {
        Ok(self.live(id, now_ms).await?.record.session)
    }

    /// Records the phone's answer to session `id`; returns the answer's id. Only the first answer
    /// of a session is ever recorded: the record moves from pending to answered by one atomic
    /// swap, which a concurrent answer loses.
    pub async fn authenticate(
        &self,
        id: &str,
        request: AuthenticateRequest,
        curve: envelope::Curve,
        now_ms: i64,
    ) -> Result<String, SessionError> {
        request.validate(curve)?;
        let stored = self.live(id, now_ms).await?;
        if stored.record.progress != Progress::Pending {
            return Err(SessionError::AlreadyAnswered);
        }
        // 24 hex digits, the shape of the record ids the spec's clients know.
        let answer_id: String = uuid::Uuid::new_v4().simple().to_string().chars().take(24).collect();
        let response = AuthResponse {
            session_id: stored.record.session.session_id.clone(),
            data: request.data,
            appid: request.appid,
            ial: request.ial,
            did: request.did,
            public_key: request.public_key,
            created_ts: now_ms / 1000,
            created_date: rfc3339(now_ms),
            event_data: request.event_data,
        };
        let answered = SessionRecord {
            progress: Progress::Answered { answer_id: answer_id.clone(), response: Box::new(response) },
            ..stored.record.clone()
        };
        if !self.store.advance(&stored, &answered, now_ms).await? {
            return Err(SessionError::AlreadyAnswered);
        }
        Ok(answer_id)
    }

    /// Hands the answer of session `id` to its creator, once. `with_session` adds the session;
    /// `community_allowed` says whether the caller's license covers the session's community.
    ///
    /// A pending poll is one read. Taking the answer and marking the session fetched are one
    /// atomic swap, so of concurrent polls exactly one gets the answer and every other one is
    /// told it was fetched.
    pub async fn poll(
        &self,
        id: &str,
        poller: &Poller<'_>,
        with_session: bool,
        now_ms: i64,
    ) -> Result<PollReply, SessionError> {
        let stored = self.live(id, now_ms).await?;
        let session = &stored.record.session;
        if !bool::from(session.public_key.as_bytes().ct_eq(poller.public_key.as_bytes())) {
            return Err(SessionError::WrongCaller);
        }
        if !(poller.community_allowed)(&session.origin.community_id) {
            return Err(SessionError::OtherCommunity(session.origin.community_id.clone()));
        }
        let response = match &stored.record.progress {
            Progress::Pending => return Err(SessionError::NotYet),
            Progress::Fetched => return Err(SessionError::AlreadyFetched),
            Progress::Answered { response, .. } => response.clone(),
        };
        let fetched = SessionRecord { progress: Progress::Fetched, ..stored.record.clone() };
        // Progress only moves forward: losing the swap means another poll fetched the answer.
        if !self.store.advance(&stored, &fetched, now_ms).await? {
            return Err(SessionError::AlreadyFetched);
        }
        Ok(PollReply { response: *response, session_info: with_session.then_some(fetched.session) })
    }
}

#[cfg(test)]
#[path = "flow_tests.rs"]
mod tests;
