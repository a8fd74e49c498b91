//! The `user_token` of the login page's one-time-passcode journey: `POST /users/find` gives one
//! per user found, `PUT /generate/otp` and `POST /authenticate` take it back instead of a
//! username. It names the tenant, community, login module, uid and username, and its expiry; it
//! is sealed with the deployment's key ([`Sealer::seal`], AES-256-GCM bound to its purpose), so a
//! client can neither read nor forge nor alter it. Every refusal is the same [`Invalid`]: the
//! caller learns nothing of why. The time is passed in (`now`, epoch seconds).
//!
//! A *step token* ([`issue_step`]) is the same, sealed for another purpose, and says more: the
//! user's password was checked, and the community's authentication journey asks for a second
//! factor. `POST /verifyuser` answers it as `user_token`, `POST /v2/request_access` as
//! `step_token`; it lives [`STEP_VALIDITY`] seconds and finishes one login only ([`spend`]).
//! A token of `POST /users/find` is never a step token: it proves no password.

use std::time::Duration;

use kit::StoreError;
use kit::ephemeral::Ephemeral;
use serde::{Deserialize, Serialize};

use super::secrets::Sealer;

/// How long a token lives (seconds): long enough to ask for a code and type it.
pub const VALIDITY: i64 = 300;

/// The associated data of every token: a token opens only as a token of this version.
const PURPOSE: &str = "user_token.v1";
/// How long a step token lives (seconds): long enough to receive a passcode and type it.
pub const STEP_VALIDITY: i64 = 300;
/// The associated data of step tokens.
const STEP_PURPOSE: &str = "user_token.step.v1";
/// How much longer than its expiry a spent step token is remembered: instances whose clocks lag
/// must still refuse it.
const SPENT_MARGIN: i64 = 60;

/// Who a token names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub tenant_id: String,
    pub community_id: String,
    /// The login module the user was found in.
    pub module_id: String,
    pub uid: String,
    pub username: String,
}

/// A token that is not one of ours, is for another community, or has expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("user_token is invalid or expired: find the user again")]
pub struct Invalid;

#[derive(Serialize, Deserialize)]
struct Claims {
    #[serde(flatten)]
    user: UserRef,
    /// Expiry, epoch seconds.
    exp: i64,
}

/// A token naming `user`, valid [`VALIDITY`] seconds from `now`.
pub fn issue(sealer: &Sealer, user: &UserRef, now: i64) -> Result<String, super::DomainError> {
    let claims = Claims { user: user.clone(), exp: now.saturating_add(VALIDITY) };
    let text = serde_json::to_string(&claims).map_err(|e| super::DomainError::Invalid(e.to_string()))?;
    sealer.seal(&[PURPOSE], &text).map_err(|_| super::DomainError::Busy("the user token could not be sealed".into()))
}

/// The user `token` names, when it is ours, unexpired at `now` and for `community_id` of
/// `tenant_id`.
pub fn open(sealer: &Sealer, token: &str, tenant_id: &str, community_id: &str, now: i64) -> Result<UserRef, Invalid> {
    let text = sealer.open(&[PURPOSE], token.trim()).map_err(|_| Invalid)?;
    let claims: Claims = serde_json::from_str(&text).map_err(|_| Invalid)?;
    let here = claims.user.tenant_id == tenant_id && claims.user.community_id == community_id;
    if !here || claims.exp <= now {
        return Err(Invalid);
    }
    Ok(claims.user)
}

#[derive(Serialize, Deserialize)]
struct StepClaims {
    #[serde(flatten)]
    user: UserRef,
    exp: i64,
    /// Random: names the token in the spent list.
    jti: String,
}

/// An opened step token: the user whose password was checked, until `exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub user: UserRef,
    /// Expiry, epoch seconds.
    pub exp: i64,
    jti: String,
}

/// A token of either kind, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// From `POST /users/find`: who the user is, nothing proven.
    Found(UserRef),
    /// From a first step: the password was checked.
    Step(Step),
}

impl Opened {
    /// The user the token names.
    pub fn user(&self) -> &UserRef {
        match self {
            Self::Found(u) => u,
            Self::Step(s) => &s.user,
        }
    }
}

/// A step token for `user`, whose password was just checked, valid [`STEP_VALIDITY`] seconds
/// from `now`.
pub fn issue_step(sealer: &Sealer, user: &UserRef, now: i64) -> Result<String, super::DomainError> {
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti)
        .map_err(|_| super::DomainError::Busy("the system random number generator failed".into()))?;
    let claims = StepClaims { user: user.clone(), exp: now.saturating_add(STEP_VALIDITY), jti: hex::encode(jti) };
    let text = serde_json::to_string(&claims).map_err(|e| super::DomainError::Invalid(e.to_string()))?;
    sealer
        .seal(&[STEP_PURPOSE], &text)
        .map_err(|_| super::DomainError::Busy("the user token could not be sealed".into()))
}

/// A token of either kind for `community_id` of `tenant_id`, unexpired at `now`. A step token is
/// not spent by opening it.
pub fn open_any(
    sealer: &Sealer,
    token: &str,
    tenant_id: &str,
    community_id: &str,
    now: i64,
) -> Result<Opened, Invalid> {
    if let Ok(user) = open(sealer, token, tenant_id, community_id, now) {
        return Ok(Opened::Found(user));
    }
    let text = sealer.open(&[STEP_PURPOSE], token.trim()).map_err(|_| Invalid)?;
    let claims: StepClaims = serde_json::from_str(&text).map_err(|_| Invalid)?;
    let here = claims.user.tenant_id == tenant_id && claims.user.community_id == community_id;
    if !here || claims.exp <= now {
        return Err(Invalid);
    }
    Ok(Opened::Step(Step { user: claims.user, exp: claims.exp, jti: claims.jti }))
}

/// Spends `step` in `store` (the durable ephemeral store, shared by every instance): true the
/// first time only, so of concurrent uses exactly one goes on.
pub async fn spend(store: &dyn Ephemeral, step: &Step, now: i64) -> Result<bool, StoreError> {
    let left = step.exp.saturating_sub(now).saturating_add(SPENT_MARGIN).max(1);
    let ttl = Duration::from_secs(u64::try_from(left).unwrap_or(1));
    store.put_if_absent(&format!("user-token-spent:{}", step.jti), "1", ttl).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserRef {
        UserRef {
            tenant_id: "t1".into(),
            community_id: "c1".into(),
            module_id: "m1".into(),
            uid: "uid-5f3d8d0cd866fa61019c".into(),
            username: "bob.the.distinctive.user".into(),
        }
    }

    #[test]
    fn a_token_opens_for_its_community_until_it_expires() {
        let sealer = Sealer::from_key(&[7; 32]);
        let token = issue(&sealer, &user(), 1000).unwrap();
        // Long, distinctive values: a short one could turn up in random base64 by chance.
        assert!(!token.contains("distinctive") && !token.contains("5f3d8d0cd866"), "the client cannot read it");
        assert_eq!(open(&sealer, &token, "t1", "c1", 1000 + VALIDITY - 1), Ok(user()));
        assert_eq!(open(&sealer, &token, "t1", "c1", 1000 + VALIDITY), Err(Invalid));
        assert_eq!(open(&sealer, &token, "t1", "c2", 1001), Err(Invalid));
        assert_eq!(open(&sealer, &token, "t2", "c1", 1001), Err(Invalid));
    }

    #[test]
    fn a_forged_or_altered_token_is_refused() {
        let sealer = Sealer::from_key(&[7; 32]);
        let token = issue(&sealer, &user(), 1000).unwrap();
        let other = Sealer::from_key(&[8; 32]);
        assert_eq!(open(&other, &token, "t1", "c1", 1001), Err(Invalid));
        let mut altered = token.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&sealer, &String::from_utf8(altered).unwrap(), "t1", "c1", 1001), Err(Invalid));
        // Sealed by us for another purpose: not a token.
        let elsewhere = sealer.seal(&["secret"], r#"{"exp": 99999}"#).unwrap();
        for bad in [elsewhere.as_str(), "", "v1.", "not a token"] {
            assert_eq!(open(&sealer, bad, "t1", "c1", 1001), Err(Invalid));
        }
    }

    #[tokio::test]
    async fn a_step_token_is_its_own_kind_and_is_spent_once() {
        let sealer = Sealer::from_key(&[7; 32]);
        let step = issue_step(&sealer, &user(), 1000).unwrap();
        assert!(!step.contains("distinctive") && !step.contains("5f3d8d0cd866"), "the client cannot read it");
        assert_eq!(open(&sealer, &step, "t1", "c1", 1001), Err(Invalid), "not a token of /users/find");
        let Ok(Opened::Step(opened)) = open_any(&sealer, &step, "t1", "c1", 1001) else { panic!("a step token") };
        assert_eq!(opened.user, user());
        assert_eq!(open_any(&sealer, &step, "t1", "c1", 1000 + STEP_VALIDITY), Err(Invalid));
        assert_eq!(open_any(&sealer, &step, "t1", "c2", 1001), Err(Invalid));
        let found = issue(&sealer, &user(), 1000).unwrap();
        assert_eq!(open_any(&sealer, &found, "t1", "c1", 1001), Ok(Opened::Found(user())));
        assert_eq!(open_any(&Sealer::from_key(&[8; 32]), &step, "t1", "c1", 1001), Err(Invalid));

        let store = kit::ephemeral::MemoryStore::new();
        assert!(spend(&store, &opened, 1001).await.unwrap());
        assert!(!spend(&store, &opened, 1002).await.unwrap(), "spent once");
        let Ok(Opened::Step(other)) = open_any(&sealer, &issue_step(&sealer, &user(), 1000).unwrap(), "t1", "c1", 1001)
        else {
            panic!("a step token")
        };
        assert!(spend(&store, &other, 1001).await.unwrap(), "each token is spent on its own");
    }
}
