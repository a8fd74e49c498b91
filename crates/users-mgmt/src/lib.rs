//! users-mgmt: the system of record for users, attributes, passwords, PINs, passkeys, auth modules and lockout.

pub mod routes;

use kit::Settings;
use kit::app::{Application, Platform, StartError};

/// The service name, as in the API catalog and the service directory.
pub const SERVICE: &str = "users-mgmt";
/// The port of a single-machine deployment.
pub const DEFAULT_PORT: u16 = 8081;

/// What the handlers of `users-mgmt` share beyond the platform (its stores, as they come).
#[derive(Debug, Default)]
pub struct State {}

/// Starts storage and binds the HTTP server (`PORT=0` picks a free port).
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    let platform = Platform::start(settings, &[]).await?;
    Application::bind(platform, State::default(), routes::configure)
}
