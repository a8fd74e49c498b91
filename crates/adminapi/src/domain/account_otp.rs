//! Account OTPs: the rolling six-digit code of a logged-in user (`PUT /generate/account_otp`), a
//! TOTP (RFC 6238, HMAC-SHA1, 30-second steps) whose seed is derived per user from the
//! deployment's key ([`Sealer::mac`]), so nothing is stored and every instance computes the same
//! code. The user reads it out to prove who they are (to a helpdesk, on another device).
//! [`AccountOtps::verify`] accepts the current step and the one before, each code once.

use std::sync::Arc;
use std::time::Duration;

use kit::DomainError;
use kit::ephemeral::Ephemeral;

use super::hardware_tokens::codes;
use super::secrets::Sealer;

/// The TOTP step.
pub const PERIOD: u64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Codes a user may generate per minute.
pub const GENERATIONS_PER_MINUTE: i64 = 20;

/// A code and how long it stays current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOtp {
    pub code: String,
    pub seconds_remaining: u64,
}

/// The account OTPs of the deployment.
#[derive(Clone)]
pub struct AccountOtps {
    sealer: Arc<Sealer>,
    store: Arc<dyn Ephemeral>,
}

impl std::fmt::Debug for AccountOtps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountOtps").finish_non_exhaustive()
    }
}

impl AccountOtps {
    /// Seeds derived under `sealer`'s key; rate limits and used steps in `store`.
    pub fn new(sealer: Arc<Sealer>, store: Arc<dyn Ephemeral>) -> Self {
        Self { sealer, store }
    }

    fn seed(&self, community_id: &str, uid: &str) -> [u8; 32] {
        self.sealer.mac("account-otp", &[community_id, uid])
    }

    /// The user's current code at `now` (epoch seconds); `None` beyond
    /// [`GENERATIONS_PER_MINUTE`] in the minute.
    pub async fn generate(&self, community_id: &str, uid: &str, now: i64) -> Result<Option<AccountOtp>, DomainError> {
        let minute = now.div_euclid(60);
        let key = format!("account-otp:rate:{community_id}:{uid}:{minute}");
        if self.store.incr(&key, Duration::from_secs(120)).await? > GENERATIONS_PER_MINUTE {
            return Ok(None);
        }
        Ok(Some(code_at(&self.seed(community_id, uid), now)))
    }

    /// Whether `code` is the user's code of the current or the previous step, not used before
    /// (a used step is remembered until it cannot be current any more).
    pub async fn verify(&self, community_id: &str, uid: &str, code: &str, now: i64) -> Result<bool, DomainError> {
        let seed = self.seed(community_id, uid);
        let step = codes::time_step(now, PERIOD);
        let Some(found) = codes::find(&seed, DIGITS, code.trim(), step.saturating_sub(1), 2) else { return Ok(false) };
        let used = format!("account-otp:used:{community_id}:{uid}:{found}");
        Ok(self.store.put_if_absent(&used, "1", Duration::from_secs(PERIOD * 3)).await?)
    }
}

/// The code of `seed` at `now`, and the seconds until the next step.
fn code_at(seed: &[u8], now: i64) -> AccountOtp {
    let step = codes::time_step(now, PERIOD);
    let elapsed = u64::try_from(now.rem_euclid(i64::try_from(PERIOD).unwrap_or(30))).unwrap_or(0);
    AccountOtp { code: codes::hotp(seed, step, DIGITS), seconds_remaining: PERIOD - elapsed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otps() -> AccountOtps {
        AccountOtps::new(Arc::new(Sealer::from_key(&[7; 32])), Arc::new(kit::ephemeral::MemoryStore::new()))
    }

    #[test]
    fn the_rfc_6238_sha1_vector_at_59_seconds() {
        // RFC 6238 appendix B: seed "12345678901234567890", T = 59 → 94287082 (8 digits).
        assert_eq!(codes::hotp(b"12345678901234567890", codes::time_step(59, 30), 8), "94287082");
        let otp = code_at(b"12345678901234567890", 59);
        assert_eq!((otp.code.as_str(), otp.seconds_remaining), ("287082", 1));
    }

    #[tokio::test]
    async fn a_code_verifies_once_within_its_step_and_the_next_and_is_per_user() {
        let o = otps();
        let now = 1_800_000_010;
        let code = o.generate("c", "u", now).await.unwrap().unwrap();
        assert_eq!(code.seconds_remaining, 20);
        assert_eq!(code.code.len(), 6);
        assert!(!o.verify("c", "other", &code.code, now).await.unwrap(), "another user's code");
        assert!(o.verify("c", "u", &code.code, now + 30).await.unwrap(), "the previous step");
        assert!(!o.verify("c", "u", &code.code, now + 31).await.unwrap(), "used once");
        let later = o.generate("c", "u", now + 90).await.unwrap().unwrap();
        assert!(!o.verify("c", "u", &later.code, now + 150).await.unwrap(), "two steps old");
    }

    #[tokio::test]
    async fn generating_is_limited_per_user_and_minute() {
        let o = otps();
        for _ in 0..GENERATIONS_PER_MINUTE {
            assert!(o.generate("c", "u", 600).await.unwrap().is_some());
        }
        assert_eq!(o.generate("c", "u", 610).await.unwrap(), None);
        assert!(o.generate("c", "v", 610).await.unwrap().is_some());
        assert!(o.generate("c", "u", 660).await.unwrap().is_some(), "a new minute");
    }
}
