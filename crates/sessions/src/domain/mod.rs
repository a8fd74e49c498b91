//! The rules of cross-device login, as plain functions over the [`kit::ephemeral::Ephemeral`]
//! trait: no HTTP here, so every rule is unit-tested against an in-memory store.
//!
//! - [`model`]: the session, the answer and their validation;
//! - [`store`]: how the records are laid out in the ephemeral store;
//! - [`flow`]: create, read, answer and poll, with expiry enforced on every read;
//! - [`nonce`]: signed nonces (sign with the service key, validate).

pub mod flow;
pub mod model;
pub mod nonce;
pub mod store;

use actix_web::http::StatusCode;
use envelope::ApiError;
use kit::{AppError, StoreError};

pub use flow::{Poller, Sessions};
pub use model::{AuthResponse, AuthenticateRequest, NewSessionRequest, Origin, PollReply, Session};

/// Why a session operation was refused. Every variant but `Store` and `Corrupt` is the caller's doing.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The body is incomplete or malformed (400).
    #[error("invalid request body: {0}")]
    Invalid(String),
    /// No such session, or it is long gone (404).
    #[error("session not found")]
    Unknown,
    /// The session outlived its lifetime; its records have just been deleted (410).
    #[error("session has expired")]
    Expired,
    /// The phone has not answered yet: poll again (404).
    #[error("no response has been submitted for this session yet")]
    NotYet,
    /// The one answer was already fetched: a response is read once (410).
    #[error("the response of this session has already been fetched")]
    AlreadyFetched,
    /// The session already has its one answer (409).
    #[error("a response has already been submitted for this session")]
    AlreadyAnswered,
    /// The poller is not the creator of the session (403).
    #[error("the caller's public key does not match the public key that created the session")]
    WrongCaller,
    /// The caller's license does not cover the session's community (403). The message does not
    /// repeat the community: it is the creator's value, not the caller's.
    #[error("the license is not authorized for the community of this session")]
    OtherCommunity(String),
    /// A stored record could not be read back (500, logged).
    #[error("a stored session record is unreadable: {0}")]
    Corrupt(String),
    /// The store failed (503, logged).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<SessionError> for AppError {
    fn from(e: SessionError) -> Self {
        let message = e.to_string();
        match e {
            SessionError::Invalid(_) => ApiError::bad_request(message).into(),
            SessionError::Unknown | SessionError::NotYet => ApiError::not_found(message).into(),
            SessionError::Expired | SessionError::AlreadyFetched => ApiError::new(StatusCode::GONE, message).into(),
            SessionError::AlreadyAnswered => ApiError::conflict(message).into(),
            SessionError::WrongCaller | SessionError::OtherCommunity(_) => ApiError::forbidden(message).into(),
            SessionError::Corrupt(cause) => AppError::internal(cause),
            SessionError::Store(s) => AppError::Store(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError as _;

    use super::*;

    #[test]
    fn refusals_are_4xx_and_store_failures_are_not_blamed_on_the_caller() {
        let status = |e: SessionError| AppError::from(e).status_code().as_u16();
        assert_eq!(status(SessionError::Invalid("x".into())), 400);
        assert_eq!(status(SessionError::Unknown), 404);
        assert_eq!(status(SessionError::NotYet), 404);
        assert_eq!(status(SessionError::Expired), 410);
        assert_eq!(status(SessionError::AlreadyFetched), 410);
        assert_eq!(status(SessionError::AlreadyAnswered), 409);
        assert_eq!(status(SessionError::WrongCaller), 403);
        assert_eq!(status(SessionError::OtherCommunity("c".into())), 403);
        assert_eq!(status(SessionError::Corrupt("x".into())), 500);
        assert_eq!(status(SessionError::Store(StoreError::Unavailable("down".into()))), 503);
    }
}
