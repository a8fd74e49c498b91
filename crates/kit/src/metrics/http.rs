//! The request series: a middleware ([`record`]) that counts each answered request and times it
//! by route template, method and status.
//!
//! [`route_template`] is the one place that knows how a request's route template is found: the
//! template the dispatcher matched (`kit::routing::dispatch`).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use metrics::Label;

use super::{HTTP_DURATION, HTTP_REQUESTS, handle};
use crate::app::Platform;

/// The `route` label of a request no route matched (the JSON 404 fallback).
pub const UNMATCHED: &str = "unmatched";

/// The route template that answered `req` (e.g. `/session/{sessionId}/response`), or `None`
/// when no route matched. Read after the request was routed.
pub fn route_template(req: &HttpRequest) -> Option<String> {
    crate::routing::dispatch::matched(req).map(|t| t.to_string())
}

/// The `method` label: a standard method by name, anything else `other` (bounded).
pub fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

/// Middleware (`actix_web::middleware::from_fn(record)`): counts and times every answered request
/// under the service named by the app's [`Platform`].
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if handle().is_none() {
        return next.call(req).await;
    }
    let start = Instant::now();
    let service = req.app_data::<web::Data<Platform>>().map_or("unknown", |p| p.settings.service);
    let method = method_label(req.method());
    // The request must not be cloned across the call: inner middleware (NormalizePath, the
    // router) need it unshared. The route is read from the response's request afterwards.
    let result = next.call(req).await;
    let (status, route) = match &result {
        Ok(res) => (res.status(), route_template(res.request())),
        // No middleware of this stack fails without a response; counted without a route if one does.
        Err(e) => (e.as_response_error().status_code(), None),
    };
    let labels = vec![
        Label::new("service", service),
        Label::new("route", route.unwrap_or_else(|| UNMATCHED.to_owned())),
        Label::new("method", method),
        Label::new("status", status.as_str().to_owned()),
    ];
    metrics::counter!(HTTP_REQUESTS, labels.clone()).increment(1);
    metrics::histogram!(HTTP_DURATION, labels).record(start.elapsed().as_secs_f64());
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_keep_their_name_and_others_are_one_label() {
        for m in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"] {
            assert_eq!(method_label(&Method::from_bytes(m.as_bytes()).unwrap()), m);
        }
        for m in ["PURGE", "BREW", "get", "PROPFIND"] {
            assert_eq!(method_label(&Method::from_bytes(m.as_bytes()).unwrap()), "other", "{m}");
        }
    }
}
