//! The small shared kit of the BlockID services: settings, errors, telemetry, storage, ephemeral
//! state, cache invalidations between services, licenses, the route table with its 501s, the
//! endpoints every service has, and startup.
//!
//! Modules depend on each other in one direction: `catalog` ← `openapi` ← `routing`;
//! `license` ← `access` ← `routing`; `app` ← `common`, `service_keys`;
//! `invalidation` ← `license_client` ← `app`.

pub mod access;
pub mod app;
pub mod catalog;
pub mod clock;
pub mod common;
pub mod config;
pub mod db;
pub mod directory;
pub mod ephemeral;
pub mod error;
pub mod health;
pub mod identity;
pub mod ids;
pub mod invalidation;
pub mod license;
pub mod license_client;
pub mod limits;
pub mod metrics;
pub mod openapi;
pub mod replay;
pub mod request_log;
pub mod routing;
pub mod sealer;
pub mod service_keys;
pub mod telemetry;

pub use app::{Platform, StartError, serve};
pub use config::Settings;
pub use error::{AppError, AppResult, DomainError, StoreError};
pub use license::{
    AnyLevel, InfraOnly, Level, License, Licensed, PlainLicensed, ServiceLevels, SystemOnly, SystemOrService,
    SystemServiceApp, SystemServiceAppOrInfra,
};
pub use routing::{Endpoint, Table};
#[cfg(feature = "testing")]
pub mod testing;

/// The build version: `<git-tag>.<commit>.<build epoch>` or `<commit>.<build epoch>`.
pub const VERSION: &str = env!("BLOCKID_VERSION");
