//! users-mgmt: the system of record for users, attributes, passwords, PINs, passkeys, auth modules and lockout.

pub mod domain;
pub mod routes;
pub mod store;

use kit::Settings;
use kit::app::{Application, Platform, StartError};
use kit::db::Migrations;

use crate::store::Stores;

/// The service name, as in the API catalog and the service directory.
pub const SERVICE: &str = "users-mgmt";
/// The port of a single-machine deployment.
pub const DEFAULT_PORT: u16 = 8081;

/// users-mgmt's migrations (numbered from 3000).
pub static USERS_MGMT_MIGRATIONS: Migrations =
    Migrations { sqlite: &sqlx::migrate!("./migrations/sqlite"), postgres: &sqlx::migrate!("./migrations/postgres") };

/// What the handlers of `users-mgmt` share beyond the platform.
#[derive(Debug)]
pub struct State {
    /// One store per aggregate.
    pub stores: Stores,
    /// Hashes and checks passwords (argon2id).
    pub hasher: domain::passwords::Hasher,
}

/// Starts storage and binds the HTTP server (`PORT=0` picks a free port).
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    let platform = Platform::start(settings, &[&USERS_MGMT_MIGRATIONS]).await?;
    let stores = Stores::sql(&platform.db);
    let hasher = domain::passwords::Hasher::from_settings(&platform.settings)?;
    Application::bind(platform, State { stores, hasher }, routes::configure)
}
