//! The `user_token` of the login page's one-time-passcode journey: `POST /users/find` gives one
//! per user found, `PUT /generate/otp` and `POST /authenticate` take it back instead of a
//! username. It names the tenant, community, login module, uid and username, and its expiry; it
//! is sealed with the deployment's key ([`Sealer::seal`], AES-256-GCM bound to its purpose), so a
//! client can neither read nor forge nor alter it. Every refusal is the same [`Invalid`]: the
//! caller learns nothing of why. The time is passed in (`now`, epoch seconds).

use serde::{Deserialize, Serialize};

use super::secrets::Sealer;

/// How long a token lives (seconds): long enough to ask for a code and type it.
pub const VALIDITY: i64 = 300;

/// The associated data of every token: a token opens only as a token of this version.
const PURPOSE: &str = "user_token.v1";

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
}
