//! Login sessions of users who signed in through adminapi: a session record in the platform's
//! durable ephemeral store (Redis when configured, the database otherwise), so every adminapi
//! instance sees a logout at once, and an access JWT signed with adminapi's key that names it.
//! A token is accepted while its signature, issuer and expiry hold and its session still exists.

use std::sync::Arc;
use std::time::Duration;

use envelope::jws;
use envelope::{KeyPair, PublicKey};
use kit::ephemeral::Ephemeral;
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};

/// The issuer of access tokens.
pub const ISSUER: &str = "adminapi";

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginSession {
    pub sid: String,
    pub uid: String,
    pub username: String,
    pub module_id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub role: String,
    /// Epoch seconds.
    pub expires_at: i64,
    /// When the user signed in (epoch seconds; 0 in a session recorded before this field).
    #[serde(default)]
    pub issued_at: i64,
}

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    /// The user's uid.
    pub sub: String,
    pub sid: String,
    pub username: String,
    pub module: String,
    pub tenant: String,
    pub community: String,
    pub roles: Vec<String>,
    pub iat: i64,
    pub exp: i64,
}

/// Why a token is refused (all 401).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the authorization token is not an access token of this platform")]
    Invalid,
    #[error("the authorization token has expired")]
    Expired,
    #[error("the login session has ended")]
    Ended,
}

fn session_key(sid: &str) -> String {
    format!("login:session:{sid}")
}

/// The index of a user's sessions: by community, module and username (case-insensitive), so an
/// admin can end them knowing only the username.
fn user_key(community_id: &str, module_id: &str, username: &str) -> String {
    format!("login:user:{community_id}:{module_id}:{}", username.to_lowercase())
}

/// The most login sessions a user keeps: a new login beyond it ends the oldest. It bounds what
/// one user's repeated logins cost (the index is read and written whole at each login).
pub const MAX_SESSIONS_PER_USER: usize = 50;

/// One session in a user's index: its id and expiry, so expired ones are dropped without a look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    sid: String,
    exp: i64,
}

fn corrupt(what: &str) -> DomainError {
    DomainError::Store(StoreError::Corrupt(format!("login session: {what}")))
}

/// The login sessions of the platform.
#[derive(Clone)]
pub struct LoginSessions {
    store: Arc<dyn Ephemeral>,
    /// How long a login lasts (`ADMIN_SESSION_TTL_SECONDS`).
    pub ttl: Duration,
}

impl std::fmt::Debug for LoginSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSessions").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl LoginSessions {
    /// Sessions kept in `store` for `ttl`.
    pub fn new(store: Arc<dyn Ephemeral>, ttl: Duration) -> Self {
        Self { store, ttl }
    }

    /// Opens a session for the user and signs its access token with `keys`; at `now`.
    pub async fn open(
        &self,
        keys: &KeyPair,
        session: LoginSession,
        now: i64,
    ) -> Result<(LoginSession, String), DomainError> {
        self.open_for(keys, session, now, self.ttl).await
    }

    /// [`Self::open`] a session that lasts `ttl` (the community's own session age).
    pub async fn open_for(
        &self,
        keys: &KeyPair,
        mut session: LoginSession,
        now: i64,
        ttl: Duration,
    ) -> Result<(LoginSession, String), DomainError> {
        session.sid = uuid::Uuid::new_v4().simple().to_string();
        session.issued_at = now;
        session.expires_at = now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX));
        let record = serde_json::to_string(&session).map_err(|_| corrupt("encoding"))?;
        // The index first: a session is never live without being in it (so it can be ended).
        let index = user_key(&session.community_id, &session.module_id, &session.username);
        let entry = Entry { sid: session.sid.clone(), exp: session.expires_at };
        let mut evicted = Vec::new();
        self.update_index(&index, now, |entries| {
            entries.push(entry.clone());
            entries.sort_by_key(|e| e.exp);
            let over = entries.len().saturating_sub(MAX_SESSIONS_PER_USER);
            evicted = entries.drain(..over).map(|e| e.sid).collect();
        })
        .await?;
        self.store.put(&session_key(&session.sid), &record, ttl).await?;
        for sid in &evicted {
            self.store.delete(&session_key(sid)).await?;
        }
        let claims = AccessClaims {
            iss: ISSUER.into(),
            sub: session.uid.clone(),
            sid: session.sid.clone(),
            username: session.username.clone(),
            module: session.module_id.clone(),
            tenant: session.tenant_id.clone(),
            community: session.community_id.clone(),
            roles: vec![session.role.clone()],
            iat: now,
            exp: session.expires_at,
        };
        let token = jws::sign(keys, &claims).map_err(|_| corrupt("signing"))?;
        Ok((session, token))
    }

    /// The live session of `token` (signed by `key`) at `now`.
    pub async fn verify(
        &self,
        key: &PublicKey,
        token: &str,
        now: i64,
    ) -> Result<Result<LoginSession, TokenError>, DomainError> {
        let Ok(claims) = jws::verify::<AccessClaims>(key, token) else { return Ok(Err(TokenError::Invalid)) };
        if claims.iss != ISSUER {
            return Ok(Err(TokenError::Invalid));
        }
        if claims.exp <= now {
            return Ok(Err(TokenError::Expired));
        }
        let Some(raw) = self.store.get(&session_key(&claims.sid)).await? else { return Ok(Err(TokenError::Ended)) };
        let session: LoginSession = serde_json::from_str(&raw).map_err(|_| corrupt("stored record"))?;
        if session.uid != claims.sub || session.expires_at <= now {
            return Ok(Err(TokenError::Ended));
        }
        Ok(Ok(session))
    }

    /// The session `sid`, while it is live at `now`.
    pub async fn by_sid(&self, sid: &str, now: i64) -> Result<Option<LoginSession>, DomainError> {
        let Some(raw) = self.store.get(&session_key(sid)).await? else { return Ok(None) };
        let session: LoginSession = serde_json::from_str(&raw).map_err(|_| corrupt("stored record"))?;
        Ok((session.expires_at > now).then_some(session))
    }

    /// Ends one session, at `now`.
    pub async fn close(&self, session: &LoginSession, now: i64) -> Result<(), DomainError> {
        self.store.delete(&session_key(&session.sid)).await?;
        let index = user_key(&session.community_id, &session.module_id, &session.username);
        self.update_index(&index, now, |entries| entries.retain(|e| e.sid != session.sid)).await
    }

    /// Ends every session of `username` of `module_id` in `community_id` but `keep`, at `now`;
    /// how many ended.
    pub async fn close_all(
        &self,
        community_id: &str,
        module_id: &str,
        username: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<usize, DomainError> {
        let mut ended = Vec::new();
        self.update_index(&user_key(community_id, module_id, username), now, |entries| {
            ended = entries.iter().filter(|e| Some(e.sid.as_str()) != keep).map(|e| e.sid.clone()).collect();
            entries.retain(|e| Some(e.sid.as_str()) == keep);
        })
        .await?;
        let mut count = 0;
        for sid in &ended {
            if self.store.delete(&session_key(sid)).await? {
                count += 1;
            }
        }
        Ok(count)
    }

    /// Changes the index of a user's sessions atomically (compare-and-swap, retried), dropping
    /// the entries expired at `now`.
    async fn update_index(
        &self,
        key: &str,
        now: i64,
        mut change: impl FnMut(&mut Vec<Entry>),
    ) -> Result<(), DomainError> {
        for _ in 0..32 {
            let current = self.store.get(key).await?;
            let mut live: Vec<Entry> = match &current {
                Some(raw) => serde_json::from_str(raw).map_err(|_| corrupt("stored index"))?,
                None => Vec::new(),
            };
            live.retain(|e| e.exp > now);
            change(&mut live);
            let next = serde_json::to_string(&live).map_err(|_| corrupt("encoding"))?;
            // The index lives as long as its longest session (communities set their own ages).
            let last = live.iter().map(|e| e.exp).max().unwrap_or(now);
            let ttl = Duration::from_secs(u64::try_from(last.saturating_sub(now)).unwrap_or(0)).max(self.ttl);
            let swapped = match &current {
                Some(raw) => self.store.compare_and_swap(key, raw, &next, ttl).await?,
                None => self.store.put_if_absent(key, &next, ttl).await?,
            };
            if swapped {
                return Ok(());
            }
        }
        Err(DomainError::Store(StoreError::Unavailable("login session index: too much contention".into())))
    }
}

#[cfg(test)]
mod tests {
    use envelope::Curve;
    use kit::ephemeral::MemoryStore;

    use super::*;

    fn session(uid: &str) -> LoginSession {
        LoginSession {
            sid: String::new(),
            uid: uid.into(),
            username: "jane".into(),
            module_id: "m".into(),
            tenant_id: "t".into(),
            community_id: "c".into(),
            role: "user".into(),
            expires_at: 0,
            issued_at: 0,
        }
    }

    #[tokio::test]
    async fn tokens_live_as_long_as_their_session() {
        let keys = KeyPair::generate(Curve::Secp256k1).unwrap();
        let other = KeyPair::generate(Curve::Secp256k1).unwrap();
        let sessions = LoginSessions::new(Arc::new(MemoryStore::new()), Duration::from_secs(600));
        let (a, token_a) = sessions.open(&keys, session("u1"), 1000).await.unwrap();
        let (_, token_b) = sessions.open(&keys, session("u1"), 1000).await.unwrap();
        let (_, token_c) = sessions.open(&keys, session("u1"), 1000).await.unwrap();
        assert_eq!(a.expires_at, 1600);
        assert_eq!(sessions.verify(keys.public(), &token_a, 1100).await.unwrap(), Ok(a.clone()));
        assert_eq!(sessions.verify(other.public(), &token_a, 1100).await.unwrap(), Err(TokenError::Invalid));
        assert_eq!(sessions.verify(keys.public(), &token_a, 1600).await.unwrap(), Err(TokenError::Expired));
        assert_eq!(sessions.verify(keys.public(), "nope", 1100).await.unwrap(), Err(TokenError::Invalid));
        // The others but one, then one.
        assert_eq!(sessions.close_all("c", "m", "JANE", Some(&a.sid), 1100).await.unwrap(), 2);
        assert!(sessions.verify(keys.public(), &token_a, 1100).await.unwrap().is_ok());
        for t in [&token_b, &token_c] {
            assert_eq!(sessions.verify(keys.public(), t, 1100).await.unwrap(), Err(TokenError::Ended));
        }
        sessions.close(&a, 1100).await.unwrap();
        assert_eq!(sessions.verify(keys.public(), &token_a, 1100).await.unwrap(), Err(TokenError::Ended));
        assert_eq!(sessions.close_all("c", "m", "jane", None, 1100).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn a_user_keeps_at_most_the_newest_sessions() {
        let keys = KeyPair::generate(Curve::Secp256k1).unwrap();
        let sessions = LoginSessions::new(Arc::new(MemoryStore::new()), Duration::from_secs(600));
        let mut tokens = Vec::new();
        for i in 0..=MAX_SESSIONS_PER_USER {
            let (_, token) = sessions.open(&keys, session("u1"), 1000 + i64::try_from(i).unwrap()).await.unwrap();
            tokens.push(token);
        }
        let now = 1100;
        assert_eq!(
            sessions.verify(keys.public(), &tokens[0], now).await.unwrap(),
            Err(TokenError::Ended),
            "the oldest ended"
        );
        for t in &tokens[1..] {
            assert!(sessions.verify(keys.public(), t, now).await.unwrap().is_ok());
        }
        assert_eq!(sessions.close_all("c", "m", "jane", None, now).await.unwrap(), MAX_SESSIONS_PER_USER);
    }
}
