//! Wall-clock time, injectable: services read the time through [`WallClock`] where a rule depends
//! on it (the ephemeral stores' expiry, the sessions' and nonces' lifetimes, the license cache),
//! so tests move time by hand with [`ManualClock`] instead of sleeping, and do not fail on a
//! loaded machine.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The time a component goes by: epoch milliseconds.
pub trait WallClock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn epoch_ms(&self) -> i64;

    /// Whole seconds since the Unix epoch.
    fn epoch_secs(&self) -> i64 {
        self.epoch_ms().div_euclid(1000)
    }
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn epoch_ms(&self) -> i64 {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        i64::try_from(now.as_millis()).unwrap_or(i64::MAX)
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `epoch_ms`.
    pub fn at(epoch_ms: i64) -> Self {
        Self(AtomicI64::new(epoch_ms))
    }

    /// A clock showing the system's time now (then standing still).
    pub fn now() -> Self {
        Self::at(SystemClock.epoch_ms())
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX), Ordering::SeqCst);
    }
}

impl WallClock for ManualClock {
    fn epoch_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// The system's clock moved by an offset that tests change while the service runs: the rules
/// that read it see time pass (a report window, a job's age) while the wire's own checks (the
/// `requestid` timestamp, token expiry) still go by the system's time.
#[derive(Debug, Default)]
pub struct ShiftedClock(AtomicI64);

impl ShiftedClock {
    /// The system's time, not shifted yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by` (on top of earlier shifts).
    pub fn shift(&self, by: Duration) {
        self.0.fetch_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX), Ordering::SeqCst);
    }
}

impl WallClock for ShiftedClock {
    fn epoch_ms(&self) -> i64 {
        SystemClock.epoch_ms().saturating_add(self.0.load(Ordering::SeqCst))
    }
}

/// `ttl` after `now_ms`, saturating.
pub fn after(now_ms: i64, ttl: Duration) -> i64 {
    now_ms.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let clock = ManualClock::at(1_700_000_000_999);
        assert_eq!(clock.epoch_ms(), 1_700_000_000_999);
        assert_eq!(clock.epoch_secs(), 1_700_000_000);
        clock.advance(Duration::from_millis(1));
        assert_eq!(clock.epoch_ms(), 1_700_000_001_000);
        assert_eq!(clock.epoch_secs(), 1_700_000_001);
        assert_eq!(after(5, Duration::from_secs(2)), 2005);
        assert_eq!(after(i64::MAX - 1, Duration::from_secs(2)), i64::MAX);
    }

    #[test]
    fn a_shifted_clock_is_the_system_time_plus_its_shifts() {
        let clock = ShiftedClock::new();
        assert!((clock.epoch_ms() - SystemClock.epoch_ms()).abs() < 5_000);
        clock.shift(Duration::from_secs(86_400));
        clock.shift(Duration::from_secs(86_400));
        let ahead = clock.epoch_ms() - SystemClock.epoch_ms();
        assert!((172_795_000..=172_800_000).contains(&ahead), "{ahead}");
    }

    #[test]
    fn the_system_clock_is_the_epoch_time() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        let now = u128::try_from(SystemClock.epoch_ms()).unwrap();
        assert!(now >= before && now < before + 5_000);
        assert!(SystemClock.epoch_secs() > 1_700_000_000);
    }
}
