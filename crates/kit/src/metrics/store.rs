//! The `kind` label of [`super::STORE_ERRORS`]: a fixed name per driver error kind, so the label
//! set stays bounded and never carries a message, a key or a value.

/// The kind of a sqlx error (the variant, or the constraint kind of a database error).
pub fn sqlx_kind(e: &sqlx::Error) -> &'static str {
    use sqlx::error::ErrorKind;
    match e {
        sqlx::Error::Database(db) => match db.kind() {
            ErrorKind::UniqueViolation => "unique_violation",
            ErrorKind::ForeignKeyViolation => "foreign_key_violation",
            ErrorKind::NotNullViolation => "not_null_violation",
            ErrorKind::CheckViolation => "check_violation",
            _ => "database",
        },
        sqlx::Error::Io(_) => "io",
        sqlx::Error::Tls(_) => "tls",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::PoolTimedOut => "pool_timed_out",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::WorkerCrashed => "worker_crashed",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_) => "decode",
        sqlx::Error::Encode(_) => "encode",
        sqlx::Error::Configuration(_) | sqlx::Error::InvalidArgument(_) => "configuration",
        sqlx::Error::Migrate(_) => "migrate",
        _ => "other",
    }
}

/// The kind of a Redis error.
pub fn redis_kind(e: &redis::RedisError) -> &'static str {
    use redis::ErrorKind;
    if e.is_timeout() {
        return "timeout";
    }
    if e.is_connection_refusal() {
        return "connection_refused";
    }
    if e.is_connection_dropped() {
        return "connection_dropped";
    }
    match e.kind() {
        ErrorKind::Io => "io",
        ErrorKind::Parse => "parse",
        ErrorKind::AuthenticationFailed => "authentication_failed",
        ErrorKind::UnexpectedReturnType => "unexpected_return_type",
        ErrorKind::InvalidClientConfig => "configuration",
        ErrorKind::Client => "client",
        ErrorKind::Server(_) => "server",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_errors_get_fixed_kind_names() {
        assert_eq!(sqlx_kind(&sqlx::Error::PoolTimedOut), "pool_timed_out");
        assert_eq!(sqlx_kind(&sqlx::Error::Io(std::io::Error::other("secret value 42"))), "io");
        assert_eq!(sqlx_kind(&sqlx::Error::Protocol("anything at all".into())), "protocol");
        let io = redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "x"));
        assert_eq!(redis_kind(&io), "connection_refused");
        let parse = redis::RedisError::from((redis::ErrorKind::Parse, "bad reply"));
        assert_eq!(redis_kind(&parse), "parse");
    }
}
