//! Bounds on the request head, checked before anything else looks at the request.
//!
//! actix's router matches the path against every route pattern in turn, so a 30,000-character
//! path cost a quarter of a second of CPU to answer 501 (debug build). [`Limits`] is the
//! outermost middleware of every service: a request target (path and query) longer than
//! `MAX_REQUEST_TARGET` bytes (default [`DEFAULT_MAX_TARGET`]) answers `414 URI Too Long`, and
//! headers adding up to more than [`MAX_HEADER_BYTES`] answer `431 Request Header Fields Too
//! Large`, both in the JSON error shape, before routing, path normalization or the request log.
//!
//! actix-http itself answers heads over 128 KiB or with more than 96 headers with an empty 431,
//! before any middleware (see the README, "HTTP-layer rejections").

use std::future::{Ready, ready};
use std::rc::Rc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::StatusCode;
use actix_web::{Error, ResponseError as _};
use envelope::ApiError;
use futures_util::future::LocalBoxFuture;

use crate::config::{ConfigError, Settings};

/// The longest request target (path and query, as sent) served by default: 8 KiB.
pub const DEFAULT_MAX_TARGET: usize = 8 * 1024;

/// The most bytes all header names and values of a request may add up to: 32 KiB.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The request-head bounds middleware (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    max_target: usize,
    max_header_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_target: DEFAULT_MAX_TARGET, max_header_bytes: MAX_HEADER_BYTES }
    }
}

impl Limits {
    /// The bounds of a service: `MAX_REQUEST_TARGET` bytes (at least 256) for the target.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let max_target = settings.parse_var("MAX_REQUEST_TARGET", DEFAULT_MAX_TARGET)?;
        if max_target < 256 {
            return Err(ConfigError("MAX_REQUEST_TARGET must be at least 256 (bytes)".into()));
        }
        Ok(Self { max_target, ..Self::default() })
    }

    /// The refusal of a request over a bound, if it is.
    fn check(&self, req: &ServiceRequest) -> Option<ApiError> {
        let target = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
        if target > self.max_target {
            tracing::debug!(bytes = target, "request target too long");
            return Some(ApiError::new(
                StatusCode::URI_TOO_LONG,
                format!("the request target (path and query) is longer than {} bytes", self.max_target),
            ));
        }
        let headers: usize = req.headers().iter().map(|(k, v)| k.as_str().len() + v.len()).sum();
        if headers > self.max_header_bytes {
            tracing::debug!(bytes = headers, "request headers too large");
            return Some(ApiError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                format!("the request headers add up to more than {} bytes", self.max_header_bytes),
            ));
        }
        None
    }
}

impl<S, B> Transform<S, ServiceRequest> for Limits
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = LimitsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(LimitsMiddleware { service: Rc::new(service), limits: *self }))
    }
}

/// [`Limits`] wrapped around a service.
#[derive(Debug)]
pub struct LimitsMiddleware<S> {
    service: Rc<S>,
    limits: Limits,
}

impl<S, B> Service<ServiceRequest> for LimitsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        if let Some(refusal) = self.limits.check(&req) {
            let res = req.into_response(refusal.error_response()).map_into_right_body();
            return Box::pin(async move { Ok(res) });
        }
        let service = self.service.clone();
        Box::pin(async move { Ok(service.call(req).await?.map_into_left_body()) })
    }
}
