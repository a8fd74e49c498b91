//! The error handlers return, and the reshaping of actix's own errors into the wire error shape.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, error, web};
use envelope::ApiError;

/// A failure of a store (database, Redis, in-process).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A stored row this version cannot read: a bug or a damaged database, not an outage.
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(db.message().to_owned()),
            e @ (sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_)
            | sqlx::Error::ColumnNotFound(_)
            | sqlx::Error::ColumnIndexOutOfBounds { .. }
            | sqlx::Error::TypeNotFound { .. }) => {
                crate::metrics::store_error("sql", crate::metrics::store::sqlx_kind(&e));
                Self::Corrupt(e.to_string())
            }
            other => {
                crate::metrics::store_error("sql", crate::metrics::store::sqlx_kind(&other));
                Self::Unavailable(other.to_string())
            }
        }
    }
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        crate::metrics::store_error("redis", crate::metrics::store::redis_kind(&e));
        Self::Unavailable(e.to_string())
    }
}

/// What a handler returns on failure.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An error meant for the caller, shown as is.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A store failure: not-found and conflict are shown; an unreachable store is logged and
    /// answered 503, an unreadable row logged and answered 500.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else: logged with its cause, answered with a generic 500.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

impl AppError {
    /// An internal error with its cause (for the log only).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The reply shown to the caller, the cause logged when it is the service's fault.
    pub fn into_api(self) -> ApiError {
        self.log();
        self.api()
    }

    fn log(&self) {
        if matches!(self, Self::Internal(_) | Self::Store(StoreError::Unavailable(_) | StoreError::Corrupt(_))) {
            tracing::error!(error = %self, "request failed");
        }
    }

    fn api(&self) -> ApiError {
        match self {
            Self::Api(e) => e.clone(),
            Self::Store(StoreError::NotFound) => ApiError::not_found("Not found"),
            Self::Store(StoreError::Conflict(m)) => ApiError::conflict(m.clone()),
            Self::Store(StoreError::Unavailable(_)) => ApiError::unavailable("Storage is unavailable, try again"),
            Self::Store(StoreError::Corrupt(_)) | Self::Internal(_) => ApiError::internal(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.api().status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        self.api().error_response()
    }
}

/// Why a domain rule refused an operation: what services' `domain/` modules return.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Bad input, shown to the caller (400).
    #[error("{0}")]
    Invalid(String),
    /// Something named does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The operation would break a uniqueness or state rule (409).
    #[error("{0}")]
    Conflict(String),
    /// The caller may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The service is saturated: the request may be tried again shortly (503, with the
    /// message, which names the resource and never a request value).
    #[error("{0}")]
    Busy(String),
    /// The store failed or refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(m) => ApiError::bad_request(m).into(),
            DomainError::NotFound(m) => ApiError::not_found(m).into(),
            DomainError::Conflict(m) => ApiError::conflict(m).into(),
            DomainError::Forbidden(m) => ApiError::forbidden(m).into(),
            DomainError::Busy(m) => ApiError::unavailable(m).into(),
            DomainError::Store(s) => s.into(),
        }
    }
}

/// Shorthand for handler results.
pub type AppResult<T> = Result<T, AppError>;

/// JSON body errors (bad JSON, wrong content type, too large) in the wire shape.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(1024 * 1024).error_handler(|err, _req| {
        let api = match &err {
            error::JsonPayloadError::OverflowKnownLength { .. } | error::JsonPayloadError::Overflow { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request body is too large")
            }
            error::JsonPayloadError::ContentType => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")
            }
            // serde's messages quote the body: keep the kind and the place only.
            error::JsonPayloadError::Deserialize(e) => {
                ApiError::bad_request(format!("invalid JSON body: {}", envelope::deser::describe_json(e)))
            }
            error::JsonPayloadError::Payload(_) => ApiError::bad_request("the request body could not be read"),
            _ => ApiError::bad_request("invalid JSON body"),
        };
        api.into()
    })
}

/// Path parameter errors in the wire shape; the message never quotes the path.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        let detail = match &err {
            error::PathError::Deserialize(e) => envelope::deser::describe_message(&e.to_string()),
            _ => "invalid value".to_owned(),
        };
        ApiError::bad_request(format!("invalid path parameter: {detail}")).into()
    })
}

/// Query string errors in the wire shape; the message never quotes the query.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let detail = match &err {
            error::QueryPayloadError::Deserialize(e) => envelope::deser::describe_message(&e.to_string()),
            _ => "invalid value".to_owned(),
        };
        ApiError::bad_request(format!("invalid query string: {detail}")).into()
    })
}

/// Reshapes any remaining non-JSON error reply (for example from a middleware) into the wire shape.
pub fn reshape_plain_errors<B>(
    res: actix_web::dev::ServiceResponse<B>,
) -> actix_web::Result<actix_web::middleware::ErrorHandlerResponse<B>> {
    let is_json = res
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(actix_web::middleware::ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let message = status.canonical_reason().unwrap_or("Error").to_owned();
    let reply = ApiError::new(status, message).error_response();
    Ok(actix_web::middleware::ErrorHandlerResponse::Response(
        actix_web::dev::ServiceResponse::new(req, reply).map_into_right_body(),
    ))
}

/// The reply for a route that exists without the request's method.
pub fn method_not_allowed(allowed: &[&str]) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("this method is not allowed on this path (allowed: {})", allowed.join(", ")),
    )
}

/// The reply for a request no route matched. It names the method when it is a standard one and
/// never repeats the path (which is the caller's, and may be anything).
pub fn not_found(req: &HttpRequest) -> ApiError {
    use actix_web::http::Method;
    let standard = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    match standard.iter().find(|m| *m == req.method()) {
        Some(m) => ApiError::not_found(format!("Cannot {m} this path")),
        None => ApiError::not_found("Cannot serve this method on this path"),
    }
}
