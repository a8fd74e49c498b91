//! The rules of tenancy and licensing, as plain functions over plain types and the store trait.

pub mod bootstrap;
pub mod ids;
pub mod licenses;
pub mod tenancy;

use kit::{AppError, StoreError};

/// Why a domain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Bad input, shown to the caller (400).
    #[error("{0}")]
    Invalid(String),
    /// Something named does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(m) => envelope::ApiError::bad_request(m).into(),
            DomainError::NotFound(m) => envelope::ApiError::not_found(m).into(),
            DomainError::Store(s) => s.into(),
        }
    }
}
