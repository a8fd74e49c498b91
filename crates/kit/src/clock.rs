//! Wall-clock time, injectable: services read the time through [`WallClock`] where a rule depends
//! on it (the ephemeral stores' expiry, the sessions' and nonces' lifetimes, the license cache),
//! so tests move time by hand with [`ManualClock`] instead of sleeping, and do not fail on a
//! loaded machine.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// The time a component goes by: epoch milliseconds.
pub trait WallClock: Send + Sync + std::fmt::Debug {
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

/// The system's clock, moved forward by hand: for tests of a whole service, where time must run
/// (requests, stores, peers on the system clock) and a lifetime must also end without a sleep.
#[derive(Debug, Default)]
pub struct ShiftedClock(AtomicI64);

impl ShiftedClock {
    /// The system's time, not moved yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves the clock forward by `by`, for good.
    pub fn advance(&self, by: Duration) {
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
    fn a_shifted_clock_runs_with_the_system_and_jumps_when_told() {
        let clock = ShiftedClock::new();
        let (before, shown) = (SystemClock.epoch_ms(), clock.epoch_ms());
        assert!(shown >= before && shown - before < 60_000, "{before} {shown}");
        clock.advance(Duration::from_secs(3600));
        let (before, shown) = (SystemClock.epoch_ms(), clock.epoch_ms());
        assert!(shown >= before + 3_600_000 && shown - before < 3_660_000, "{before} {shown}");
    }

    #[test]
    fn the_system_clock_is_the_epoch_time() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        let now = u128::try_from(SystemClock.epoch_ms()).unwrap();
        assert!(now >= before && now < before + 5_000);
        assert!(SystemClock.epoch_secs() > 1_700_000_000);
    }
}
