//! The request log: one span per request and one event when it ends, at the level of whose
//! problem the outcome is.
//!
//! - Other 5xx (500, 502, 503, …): `ERROR`, the operator has something to fix.
//! - Everything else, 4xx and 501 included: `DEBUG`. A refusal is the caller's mistake, and some
//!   are part of normal flows (a pending session poll answers 404 many times per second); a 501
//!   names an endpoint not built yet, which the route table and `/openapi.json` already say. At
//!   `INFO` a hostile client could still fill the disk with one line per request, so these stay
//!   below the default filter: `RUST_LOG=info,kit::request_log=debug` shows every request.
//!
//! [`RequestLog`] is the `tracing-actix-web` root span builder (use it as
//! `TracingLogger::<RequestLog>::new()`): the span carries the usual OpenTelemetry HTTP fields
//! and continues an incoming `traceparent`, and every value taken from the request (target, host,
//! client address, user agent) goes through [`bounded`], so it is at most [`MAX_VALUE_BYTES`] and
//! has no control character: one event is always one line. Path parameters a route marks secret
//! are recorded as `{name}` ([`crate::routing::secret_paths`]). Handlers use the same helper for the
//! request values they put in their own spans: `#[tracing::instrument(fields(id = %bounded(&id)))]`.
//!
//! actix-http logs each request its parser refuses (answered 400 or 431 before any middleware)
//! as an `ERROR` "stream error"; [`ParserNoise`] drops exactly those events.

use std::fmt;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::{Error, HttpMessage as _};
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::layer::Context;

/// The most bytes a logged request value may take once escaped.
pub const MAX_VALUE_BYTES: usize = 256;

/// `text` as it may appear in a log line: control and line-breaking characters escaped, cut to
/// [`MAX_VALUE_BYTES`] with a note of how many bytes were left out.
pub fn bounded(text: &str) -> Bounded<'_> {
    Bounded { text, max: MAX_VALUE_BYTES }
}

/// A value bounded and escaped for the log (see [`bounded`]).
#[derive(Debug, Clone, Copy)]
pub struct Bounded<'a> {
    text: &'a str,
    max: usize,
}

impl<'a> Bounded<'a> {
    /// The same value with another bound (in bytes, once escaped).
    #[must_use]
    pub fn at_most(self, max: usize) -> Bounded<'a> {
        Bounded { max, ..self }
    }
}

/// Characters that could end a line or reorder what a reader sees.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

impl fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut written = 0;
        let mut buf = [0u8; 4];
        for (at, c) in self.text.char_indices() {
            let escaped;
            let piece: &str = if needs_escape(c) {
                escaped = c.escape_default().to_string();
                &escaped
            } else {
                c.encode_utf8(&mut buf)
            };
            if written + piece.len() > self.max {
                return write!(f, "…(+{} bytes)", self.text.len() - at);
            }
            f.write_str(piece)?;
            written += piece.len();
        }
        Ok(())
    }
}

/// The root span builder of every service (see the module documentation).
#[derive(Debug)]
pub struct RequestLog;

fn method_name(method: &Method) -> Bounded<'_> {
    bounded(method.as_str()).at_most(32)
}

impl RootSpanBuilder for RequestLog {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let connection = request.connection_info();
        let user_agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let target = request.uri().path_and_query().map_or("", |p| p.as_str());
        // A one-time code an SDK puts in the path is recorded as `{name}` (routing::secret_paths).
        let secret = request.app_data::<actix_web::web::Data<crate::routing::secret_paths::SecretPaths>>();
        let target = secret.map_or(std::borrow::Cow::Borrowed(target), |s| s.redact(target));
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        let method = method_name(request.method());
        // The route is recorded when the request ends: matching it here would run the router
        // over the whole path a second time before the request is even bounded.
        let span = tracing::info_span!(
            "HTTP request",
            http.method = %method,
            http.route = Empty,
            http.flavor = ?request.version(),
            http.scheme = %bounded(connection.scheme()).at_most(16),
            http.host = %bounded(connection.host()),
            http.client_ip = %bounded(connection.realip_remote_addr().unwrap_or("")),
            http.user_agent = %bounded(&user_agent),
            http.target = %bounded(&target),
            http.status_code = Empty,
            otel.name = Empty,
            otel.kind = "server",
            otel.status_code = Empty,
            trace_id = Empty,
            request_id = %request_id,
            exception.message = Empty,
        );
        drop(connection);
        crate::telemetry::continue_trace(request.headers(), &span);
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error, route) = match outcome {
            Ok(res) => (res.status(), res.response().error(), crate::routing::dispatch::matched(res.request())),
            Err(e) => (e.as_response_error().status_code(), Some(e), None),
        };
        span.record("http.status_code", status.as_u16());
        let method = outcome.as_ref().ok().map(|res| method_name(res.request().method()).to_string());
        let method = method.unwrap_or_else(|| "HTTP".to_owned());
        match route {
            Some(route) => {
                span.record("http.route", &*route);
                span.record("otel.name", format!("{method} {route}"));
            }
            None => {
                span.record("otel.name", method);
            }
        }
        if let Some(e) = error {
            span.record("exception.message", tracing::field::display(bounded(&e.to_string())));
        }
        let operator_error = is_operator_error(status);
        span.record("otel.status_code", if operator_error { "ERROR" } else { "OK" });
        let status = status.as_u16();
        if operator_error {
            tracing::error!(parent: &span, status, "request failed");
        } else {
            tracing::debug!(parent: &span, status, "request finished");
        }
    }
}

/// Whether a reply is the operator's problem: a 5xx other than 501 (an endpoint not built yet).
pub fn is_operator_error(status: StatusCode) -> bool {
    status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED
}

/// Drops actix-http's `ERROR` "stream error" events for requests its parser refused or that
/// never finished arriving: the client's doing, already answered (400, 431, 408) and closed.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParserNoise;

/// The `target` actix-http logs those events under.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

struct Message(Option<String>);

impl tracing::field::Visit for Message {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ParserNoise {
    fn event_enabled(&self, event: &tracing::Event<'_>, _: Context<'_, S>) -> bool {
        if event.metadata().target() != DISPATCHER {
            return true;
        }
        let mut message = Message(None);
        event.record(&mut message);
        let client_side = ["stream error: request parse error", "stream error: request did not complete"];
        !message.0.is_some_and(|m| client_side.iter().any(|p| m.starts_with(p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_values_are_escaped_and_cut() {
        assert_eq!(bounded("/a\r\nSet-Cookie: x").to_string(), "/a\\r\\nSet-Cookie: x");
        assert_eq!(bounded("\u{1b}[31m\u{2028}").to_string(), "\\u{1b}[31m\\u{2028}");
        let long = "é".repeat(1000);
        let shown = bounded(&long).to_string();
        assert!(shown.len() <= MAX_VALUE_BYTES + 20, "{}", shown.len());
        assert!(shown.ends_with("…(+1744 bytes)"), "{shown}");
        assert_eq!(bounded("short").to_string(), "short");
    }

    #[test]
    fn only_5xx_other_than_501_are_the_operators() {
        assert!(is_operator_error(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(is_operator_error(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!is_operator_error(StatusCode::NOT_IMPLEMENTED));
        assert!(!is_operator_error(StatusCode::NOT_FOUND));
        assert!(!is_operator_error(StatusCode::OK));
    }
}
