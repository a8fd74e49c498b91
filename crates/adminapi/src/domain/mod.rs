//! The rules of tenancy, licensing, login sessions and roles, as plain functions over plain types
//! and store traits.

pub mod audit;
pub mod auth_scheme;
pub mod authz;
pub mod bootstrap;
pub mod bootstrap_admin;
pub mod config;
pub mod licenses;
pub mod login;
pub mod login_settings;
pub mod module_scripts;
pub mod roles;
pub mod scripts;
pub mod templates;
pub mod tenancy;

pub use kit::DomainError;
pub use kit::ids;
