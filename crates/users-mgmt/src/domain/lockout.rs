//! Account lockout: failed attempts counted per user and factor, automatic locks at the
//! policy's threshold, admin locks with a reason, unlocks and status.
//!
//! Everything lives in the ephemeral stores of the platform, so replicas sharing Redis (or
//! PostgreSQL) agree: failure counters in `shared`, lock records in `durable`. Exactness under
//! concurrency comes from the store's atomic `incr`: of any number of concurrent failures,
//! exactly one sees the count equal the threshold and records the lock event; a user whose
//! counter has reached the threshold is locked whether or not that record is written yet.

use std::sync::Arc;
use std::time::Duration;

use kit::config::{ConfigError, Settings};
use kit::ephemeral::Ephemeral;
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};

/// The factors counted.
pub const FACTORS: [&str; 4] = ["password", "user_pin", "otp", "behavior_auth"];

/// How long an admin lock without expiry lasts (the store wants a time to live).
const FOREVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The lockout policy: `threshold` failures of one factor within `duration` lock the user for
/// `duration`. From `LOCKOUT_THRESHOLD` (5) and `LOCKOUT_DURATION_SECONDS` (900) until
/// community settings exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub threshold: i64,
    pub duration: Duration,
}

impl Policy {
    /// From the settings (see the type's doc).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let threshold = settings.parse_var("LOCKOUT_THRESHOLD", 5i64)?;
        let seconds = settings.parse_var("LOCKOUT_DURATION_SECONDS", 900u64)?;
        if threshold < 1 || seconds < 1 {
            return Err(ConfigError("LOCKOUT_THRESHOLD and LOCKOUT_DURATION_SECONDS must be at least 1".into()));
        }
        Ok(Self { threshold, duration: Duration::from_secs(seconds) })
    }
}

/// Why a user is locked, as status replies show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    /// 0: admin action; 1: too many failed attempts.
    pub reason_code: i64,
    pub message: String,
    /// Who locked: the admin's name, or `system`.
    pub initiatedby: String,
    /// The factor whose failures locked, for automatic locks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<String>,
    /// Epoch seconds.
    pub locked_at: i64,
    /// Epoch seconds; none for an admin lock without expiry.
    pub expires_at: Option<i64>,
}

/// The lockout state of users, over the platform's stores.
#[derive(Clone)]
pub struct Lockout {
    pub policy: Policy,
    counters: Arc<dyn Ephemeral>,
    locks: Arc<dyn Ephemeral>,
}

impl std::fmt::Debug for Lockout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lockout").field("policy", &self.policy).finish_non_exhaustive()
    }
}

fn failures_key(uid: &str, factor: &str) -> String {
    format!("lockout:{uid}:failures:{factor}")
}
fn auto_key(uid: &str, factor: &str) -> String {
    format!("lockout:{uid}:auto:{factor}")
}
fn admin_key(uid: &str) -> String {
    format!("lockout:{uid}:admin")
}
fn events_key(uid: &str) -> String {
    format!("lockout:{uid}:events")
}

fn corrupt(_: serde_json::Error) -> DomainError {
    DomainError::Store(StoreError::Corrupt("unreadable lock record".into()))
}

impl Lockout {
    /// Counters in `counters`, lock records in `locks`.
    pub fn new(policy: Policy, counters: Arc<dyn Ephemeral>, locks: Arc<dyn Ephemeral>) -> Self {
        Self { policy, counters, locks }
    }

    /// Counts a failed attempt of `factor`; `true` when this very attempt locked the user (the
    /// one lock event of the threshold, whatever the concurrency).
    pub async fn record_failure(&self, uid: &str, factor: &str, now: i64) -> Result<bool, DomainError> {
        let count = self.counters.incr(&failures_key(uid, factor), self.policy.duration).await?;
        if count != self.policy.threshold {
            return Ok(false);
        }
        let lock = Lock {
            reason_code: 1,
            message: format!("too many failed {factor} attempts"),
            initiatedby: "system".into(),
            factor: Some(factor.to_owned()),
            locked_at: now,
            expires_at: Some(now.saturating_add(i64::try_from(self.policy.duration.as_secs()).unwrap_or(i64::MAX))),
        };
        let record = serde_json::to_string(&lock).map_err(corrupt)?;
        self.locks.put(&auto_key(uid, factor), &record, self.policy.duration).await?;
        self.locks.incr(&events_key(uid), FOREVER).await?;
        tracing::warn!(factor, threshold = self.policy.threshold, "user locked after failed attempts");
        Ok(true)
    }

    /// Forgets the failed attempts of a user after a success.
    pub async fn record_success(&self, uid: &str, factors: &[&str]) -> Result<(), DomainError> {
        for factor in factors {
            self.counters.delete(&failures_key(uid, factor)).await?;
        }
        Ok(())
    }

    /// The locks on a user: the admin lock, then one per locked factor.
    pub async fn locks(&self, uid: &str) -> Result<Vec<Lock>, DomainError> {
        let mut out = Vec::new();
        if let Some(raw) = self.locks.get(&admin_key(uid)).await? {
            out.push(serde_json::from_str(&raw).map_err(corrupt)?);
        }
        for factor in FACTORS {
            if let Some(raw) = self.locks.get(&auto_key(uid, factor)).await? {
                out.push(serde_json::from_str(&raw).map_err(corrupt)?);
                continue;
            }
            // At the threshold but the record not written yet (or lost): locked all the same.
            let count = self.counters.get(&failures_key(uid, factor)).await?;
            if count.and_then(|c| c.parse::<i64>().ok()).is_some_and(|c| c >= self.policy.threshold) {
                out.push(Lock {
                    reason_code: 1,
                    message: format!("too many failed {factor} attempts"),
                    initiatedby: "system".into(),
                    factor: Some(factor.to_owned()),
                    locked_at: 0,
                    expires_at: None,
                });
            }
        }
        Ok(out)
    }

    /// Whether the user is locked, by anything.
    pub async fn is_locked(&self, uid: &str) -> Result<bool, DomainError> {
        Ok(!self.locks(uid).await?.is_empty())
    }

    /// How many times failed attempts have locked the user.
    pub async fn lock_events(&self, uid: &str) -> Result<i64, DomainError> {
        Ok(self.locks.get(&events_key(uid)).await?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Locks a user by an admin's action, for `expiry` or until unlocked.
    pub async fn lock(
        &self,
        uid: &str,
        message: &str,
        initiatedby: &str,
        expiry: Option<Duration>,
        now: i64,
    ) -> Result<Lock, DomainError> {
        let lock = Lock {
            reason_code: 0,
            message: message.to_owned(),
            initiatedby: initiatedby.to_owned(),
            factor: None,
            locked_at: now,
            expires_at: expiry.map(|d| now.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))),
        };
        let record = serde_json::to_string(&lock).map_err(corrupt)?;
        self.locks.put(&admin_key(uid), &record, expiry.unwrap_or(FOREVER)).await?;
        Ok(lock)
    }

    /// Removes every lock of a user and its failed attempts.
    pub async fn unlock(&self, uid: &str) -> Result<(), DomainError> {
        self.locks.delete(&admin_key(uid)).await?;
        for factor in FACTORS {
            self.reset_factor(uid, factor).await?;
        }
        Ok(())
    }

    /// Removes the lock and the failed attempts of one factor.
    pub async fn reset_factor(&self, uid: &str, factor: &str) -> Result<(), DomainError> {
        self.locks.delete(&auto_key(uid, factor)).await?;
        self.counters.delete(&failures_key(uid, factor)).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::ephemeral::MemoryStore;

    fn lockout(threshold: i64) -> Lockout {
        let store: Arc<dyn Ephemeral> = Arc::new(MemoryStore::new());
        Lockout::new(Policy { threshold, duration: Duration::from_secs(60) }, store.clone(), store)
    }

    #[tokio::test]
    async fn the_threshold_locks_once_and_unlock_clears() {
        let l = lockout(3);
        let mut events = 0;
        for _ in 0..10 {
            events += i32::from(l.record_failure("u", "password", 1).await.unwrap());
        }
        assert_eq!(events, 1);
        assert_eq!(l.lock_events("u").await.unwrap(), 1);
        let locks = l.locks("u").await.unwrap();
        assert_eq!(locks.len(), 1);
        assert_eq!((locks[0].reason_code, locks[0].factor.as_deref()), (1, Some("password")));
        assert!(!l.is_locked("other").await.unwrap());
        l.unlock("u").await.unwrap();
        assert!(!l.is_locked("u").await.unwrap());
        // The counter starts over.
        assert!(!l.record_failure("u", "password", 2).await.unwrap());
    }

    #[tokio::test]
    async fn admin_locks_and_factor_resets() {
        let l = lockout(2);
        l.lock("u", "Admin Action", "root", None, 5).await.unwrap();
        assert!(l.is_locked("u").await.unwrap());
        l.record_failure("u", "user_pin", 6).await.unwrap();
        l.record_failure("u", "user_pin", 6).await.unwrap();
        assert_eq!(l.locks("u").await.unwrap().len(), 2);
        l.reset_factor("u", "user_pin").await.unwrap();
        assert_eq!(l.locks("u").await.unwrap()[0].reason_code, 0);
        l.unlock("u").await.unwrap();
        assert!(l.locks("u").await.unwrap().is_empty());
        // A success forgets earlier failures.
        l.record_failure("u", "password", 7).await.unwrap();
        l.record_success("u", &["password"]).await.unwrap();
        assert!(!l.record_failure("u", "password", 8).await.unwrap());
    }
}
