//! The rules of tenancy and licensing, as plain functions over plain types and the store trait.

pub mod bootstrap;
pub mod licenses;
pub mod tenancy;

pub use kit::DomainError;
pub use kit::ids;
