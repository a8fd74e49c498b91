//! Behavior authentication: a user proves who they are by the way they type a phrase.
//!
//! - Enrollment: the user fetches a random phrase ([`phrases`]) with a `user_token`
//!   ([`token`]), then types it [`Settings::samples`] times; each typing pattern
//!   ([`pattern`]) is one registration step, kept in the user's [`Enrollment`]. The enrollment is
//!   complete at the last sample; a user with a complete one must deregister before enrolling
//!   again.
//! - Validation: a pattern of the enrolled phrase scored against the enrolled samples
//!   ([`score`]); its verdict is a factor like a password ([`crate::domain::authentication`]), so
//!   refusals count toward the lockout (factor `behavior_auth`).
//!
//! users-mgmt is the system of record: enrollments are stored keyed by SHA-512 of the user's
//! `urn` ([`user_key`]), holding the phrase and the samples' timing features only (never the
//! raw keystrokes), in the [`BehaviorStore`].

pub mod pattern;
pub mod phrases;
pub mod score;
pub mod token;

use async_trait::async_trait;
use kit::config::{ConfigError, Settings as Env};
use kit::{DomainError, StoreError};
use sha2::{Digest as _, Sha512};

use pattern::Pattern;
use score::Model;

/// The lockout factor and the proof's method.
pub const FACTOR: &str = "behavior_auth";

/// `next_step` of a registration that completes the enrollment.
pub const DONE: &str = "done";
/// `next_step` of a registration that needs another sample.
pub const TRY_AGAIN: &str = "try again";

/// How behavior auth is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Samples an enrollment takes (`BEHAVIOR_AUTH_ENROLLMENT_SAMPLES`, 5; 3 to 20).
    pub samples: usize,
}

impl Settings {
    /// From the environment (see the fields).
    pub fn from_settings(env: &Env) -> Result<Self, ConfigError> {
        let samples = env.parse_var("BEHAVIOR_AUTH_ENROLLMENT_SAMPLES", 5usize)?;
        if !(3..=20).contains(&samples) {
            return Err(ConfigError("BEHAVIOR_AUTH_ENROLLMENT_SAMPLES must be 3 to 20".into()));
        }
        Ok(Self { samples })
    }
}

/// The key of a user's enrollment: SHA-512 of its `urn`, lowercase hex.
pub fn user_key(urn: &str) -> String {
    hex::encode(Sha512::digest(urn.as_bytes()))
}

/// A user's enrollment, complete or under way.
#[derive(Clone, PartialEq)]
pub struct Enrollment {
    pub phrase: String,
    /// The features of each sample registered (see [`pattern`]).
    pub samples: Vec<Vec<f64>>,
    /// Whether all the samples are in.
    pub complete: bool,
}

impl std::fmt::Debug for Enrollment {
    /// Without the phrase or the timings.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrollment")
            .field("samples", &self.samples.len())
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

/// Where enrollments are kept (`crate::store::SqlBehavior`).
#[async_trait]
pub trait BehaviorStore: Send + Sync {
    /// The enrollment of a user.
    async fn get(&self, user_key: &str) -> Result<Option<Enrollment>, StoreError>;
    /// Starts the enrollment of a user with its first sample, replacing one under way; `false`
    /// (and nothing written) when the user has a complete one.
    async fn start(
        &self,
        user_key: &str,
        phrase: &str,
        first: &[f64],
        complete: bool,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Replaces the samples of an enrollment under way that holds exactly `count` of them (a
    /// compare-and-set: two steps racing on one token cannot both land); `false` otherwise.
    async fn advance(
        &self,
        user_key: &str,
        count: usize,
        samples: &[Vec<f64>],
        complete: bool,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Removes the enrollment of a user; `true` when there was one.
    async fn delete(&self, user_key: &str) -> Result<bool, StoreError>;
}

/// Why a registration step is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    #[error("the user already has a behavior auth phrase: deregister it first")]
    Enrolled,
    #[error("user_token is stale: the enrollment has moved on, fetch a new phrase")]
    Stale,
}

/// Registers `pattern` as sample number `attempts + 1` of `user_key`'s enrollment of `phrase`
/// (the first one starts it afresh): the number of samples now registered, or why not. A pattern
/// that does not type the phrase is a 400.
pub async fn register(
    store: &dyn BehaviorStore,
    settings: Settings,
    user_key: &str,
    phrase: &str,
    attempts: usize,
    pattern: &Pattern,
    now: i64,
) -> Result<Result<usize, StepRefusal>, DomainError> {
    let sample =
        pattern.features(phrase).ok_or_else(|| DomainError::Invalid("pattern must type phrase exactly".into()))?;
    if attempts == 0 {
        let started = store.start(user_key, phrase, &sample, settings.samples <= 1, now).await?;
        return Ok(if started { Ok(1) } else { Err(StepRefusal::Enrolled) });
    }
    let Some(mut current) = store.get(user_key).await? else { return Ok(Err(StepRefusal::Stale)) };
    if current.complete {
        return Ok(Err(StepRefusal::Enrolled));
    }
    if current.phrase != phrase || current.samples.len() != attempts || attempts >= settings.samples {
        return Ok(Err(StepRefusal::Stale));
    }
    current.samples.push(sample);
    let count = current.samples.len();
    let done = count >= settings.samples;
    if store.advance(user_key, attempts, &current.samples, done, now).await? {
        Ok(Ok(count))
    } else {
        Ok(Err(StepRefusal::Stale))
    }
}

/// Whether `pattern` is the enrolled typist's typing of the enrolled phrase: `false` without a
/// complete enrollment, for another text, or too far from the samples.
pub fn verdict(enrollment: Option<&Enrollment>, pattern: &Pattern) -> bool {
    let Some(e) = enrollment.filter(|e| e.complete) else { return false };
    let Some(x) = pattern.features(&e.phrase) else { return false };
    Model::new(&e.samples).is_some_and(|m| m.accepts(&x))
}
