//! adminapi: the control plane: tenants, communities, licenses, admin login, configuration, providers, reports.

pub mod routes;

use kit::Settings;
use kit::app::{Application, Platform, StartError};

/// The service name, as in the API catalog and the service directory.
pub const SERVICE: &str = "adminapi";
/// The port of a single-machine deployment.
pub const DEFAULT_PORT: u16 = 8082;

/// Starts storage and binds the HTTP server (`PORT=0` picks a free port).
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    let platform = Platform::start(settings, &[]).await?;
    Application::bind(platform, routes::configure)
}
