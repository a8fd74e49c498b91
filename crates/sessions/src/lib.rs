//! sessions: cross-device login sessions (QR code / push): create on one device, complete on another, poll.
//!
//! - [`config`]: session and nonce lifetimes;
//! - [`domain`]: the rules, over the ephemeral-store trait of `kit`;
//! - [`routes`]: the route table and the short handlers.
//!
//! Storage: sessions live in `Platform::durable`: Redis when `REDIS_URL` is set, otherwise the
//! service database (SQLite by default), so sessions survive a restart of the process. Each
//! session is one record with a time to live, moved forward (pending → answered → fetched) by
//! compare-and-swap, so it is answered once and its answer fetched once.
//!
//! Licenses: creation, polling and nonce signing take `Licensed<AnyLevel>`, checked against the
//! `LicenseAuthority` the platform registers (local keys today, the license service later).

pub mod config;
pub mod domain;
pub mod routes;

use std::sync::Arc;

use kit::Settings;
use kit::app::{Application, Platform, StartError};
use kit::clock::{SystemClock, WallClock};
use kit::license::LicenseAuthority;

use crate::config::SessionSettings;
use crate::domain::Sessions;

/// The service name, as in the API catalog and the service directory.
pub const SERVICE: &str = "sessions";
/// The port of a single-machine deployment.
pub const DEFAULT_PORT: u16 = 8083;

/// What the handlers of `sessions` share beyond the platform.
pub struct State {
    /// The sessions and their store.
    pub sessions: Sessions,
    /// Session and nonce lifetimes.
    pub settings: SessionSettings,
    /// The time sessions and nonces live by (the system's; a hand-driven one in tests).
    pub clock: Arc<dyn WallClock>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("sessions", &self.sessions)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Starts storage and binds the HTTP server (`PORT=0` picks a free port).
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    build_with(settings, None, Arc::new(SystemClock)).await
}

/// [`build`] with another license authority than the platform's, or another clock (tests,
/// embedding).
pub async fn build_with(
    settings: Settings,
    licenses: Option<Arc<dyn LicenseAuthority>>,
    clock: Arc<dyn WallClock>,
) -> Result<Application, StartError> {
    let config = SessionSettings::from_settings(&settings)?;
    let mut platform = Platform::start(settings, &[]).await?;
    if let Some(authority) = licenses {
        platform = platform.with_licenses(authority);
    }
    bind(platform, config, clock)
}

/// Binds the HTTP server over a started platform: its durable store keeps the sessions.
pub fn bind(platform: Platform, config: SessionSettings, clock: Arc<dyn WallClock>) -> Result<Application, StartError> {
    let state =
        State { sessions: Sessions::new(platform.durable.clone(), config.session_ttl), settings: config, clock };
    Application::bind(platform, state, routes::configure)
}
