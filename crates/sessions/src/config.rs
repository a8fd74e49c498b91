//! The settings of `sessions` beyond the shared ones, read through [`Settings::parse_var`].
//!
//! - `SESSION_TTL_SECONDS` (default 300): how long a session accepts an answer and can be polled.
//! - `NONCE_TTL_SECONDS` (default 300): how long a signed nonce stays valid.

use std::time::Duration;

use kit::Settings;
use kit::config::ConfigError;

/// Default lifetime of a session: five minutes.
pub const DEFAULT_SESSION_TTL_SECONDS: u64 = 300;
/// Default validity of a signed nonce: five minutes.
pub const DEFAULT_NONCE_TTL_SECONDS: u64 = 300;

/// Lifetimes of the records this service issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// How long a session lives after `PUT /session/new`.
    pub session_ttl: Duration,
    /// How long a signed nonce is valid after it was signed.
    pub nonce_ttl: Duration,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(DEFAULT_SESSION_TTL_SECONDS),
            nonce_ttl: Duration::from_secs(DEFAULT_NONCE_TTL_SECONDS),
        }
    }
}

impl SessionSettings {
    /// Reads the service variables; zero is refused (a session that is born expired is a mistake).
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let session = settings.parse_var("SESSION_TTL_SECONDS", DEFAULT_SESSION_TTL_SECONDS)?;
        let nonce = settings.parse_var("NONCE_TTL_SECONDS", DEFAULT_NONCE_TTL_SECONDS)?;
        if session == 0 || nonce == 0 {
            return Err(ConfigError("SESSION_TTL_SECONDS and NONCE_TTL_SECONDS must be at least 1".into()));
        }
        Ok(Self { session_ttl: Duration::from_secs(session), nonce_ttl: Duration::from_secs(nonce) })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn read(vars: &[(&str, &str)]) -> Result<SessionSettings, ConfigError> {
        let src: BTreeMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        SessionSettings::from_settings(&Settings::from_source(&src, "sessions", 0)?)
    }

    #[test]
    fn lifetimes_default_to_five_minutes_and_can_be_set() {
        let d = read(&[]).unwrap();
        assert_eq!(d, SessionSettings::default());
        assert_eq!((d.session_ttl.as_secs(), d.nonce_ttl.as_secs()), (300, 300), "five minutes each");
        let s = read(&[("SESSION_TTL_SECONDS", "30"), ("NONCE_TTL_SECONDS", "7")]).unwrap();
        assert_eq!((s.session_ttl.as_secs(), s.nonce_ttl.as_secs()), (30, 7));
    }

    #[test]
    fn zero_or_garbage_lifetimes_are_refused() {
        assert!(read(&[("SESSION_TTL_SECONDS", "0")]).is_err());
        assert!(read(&[("NONCE_TTL_SECONDS", "soon")]).is_err());
    }
}
