//! The small shared kit of the BlockID services: settings, errors, telemetry, storage, ephemeral
//! state, licenses, the route table with its 501s, the endpoints every service has, and startup.

pub mod app;
pub mod common;
pub mod config;
pub mod db;
pub mod ephemeral;
pub mod error;
pub mod identity;
pub mod license;
pub mod license_client;
pub mod metrics;
pub mod openapi;
pub mod routing;
pub mod service_keys;
pub mod telemetry;

pub use app::{Platform, StartError, serve};
pub use config::Settings;
pub use error::{AppError, AppResult, StoreError};
pub use license::{AnyLevel, Level, License, Licensed, ServiceLevels, SystemOnly, SystemOrService};
#[cfg(feature = "testing")]
pub mod testing;
