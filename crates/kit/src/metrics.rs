//! Prometheus metrics: `GET /metrics` in the text exposition format, from the `metrics` facade
//! and `metrics-exporter-prometheus` (no listener of its own: the service's HTTP server serves
//! the page, outside the API catalog and without authentication, for in-cluster scraping).
//!
//! Series (every label value comes from a bounded set, never from a request value):
//! - `http_requests_total` and `http_request_duration_seconds` (histogram, [`LATENCY_BUCKETS`]) by
//!   `service`, `route` (the route template, see [`http::route_template`], or `unmatched`),
//!   `method` (the standard methods, anything else `other`) and `status` — see [`http`];
//! - `blockid_license_cache_hits_total` / `blockid_license_cache_misses_total` by `service`: the
//!   cached remote license client ([`crate::license_client`]);
//! - `blockid_store_errors_total` by `backend` (`sql` or `redis`) and `kind`: counted where a
//!   sqlx or Redis error becomes a [`crate::StoreError::Unavailable`] ([`crate::error`]).
//!
//! A process has one global recorder. It is installed on first use ([`handle`]), so several
//! services started in one process (tests) share it; that is why the HTTP and license series
//! carry a `service` label. The store-error series cannot tell services apart (the conversion
//! from a driver error has no service at hand); in a deployment a process is one service.

pub mod http;
pub mod store;

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::HttpResponse;
use envelope::ApiError;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by `service`, `route`, `method`, `status`.
pub const HTTP_REQUESTS: &str = "http_requests_total";
/// Time to the response head, seconds, by the same labels as [`HTTP_REQUESTS`].
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
/// License checks answered from the remote client's cache (accepted or refused), by `service`.
pub const LICENSE_CACHE_HITS: &str = "blockid_license_cache_hits_total";
/// License checks that had to ask the remote authority, by `service`.
pub const LICENSE_CACHE_MISSES: &str = "blockid_license_cache_misses_total";
/// Database and ephemeral-store failures, by `backend` and `kind`.
pub const STORE_ERRORS: &str = "blockid_store_errors_total";

/// Histogram buckets of [`HTTP_DURATION`], seconds: 100 µs to 10 s.
pub const LATENCY_BUCKETS: [f64; 16] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// How often histogram samples are folded into their buckets between scrapes (bounded memory
/// when nothing scrapes).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process's Prometheus recorder, installed as the global `metrics` recorder on first call.
/// `None` when another recorder was installed first (then `/metrics` answers 503).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE.get_or_init(install).as_ref()
}

fn install() -> Option<PrometheusHandle> {
    let builder =
        match PrometheusBuilder::new().set_buckets_for_metric(Matcher::Full(HTTP_DURATION.into()), &LATENCY_BUCKETS) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: invalid histogram buckets; metrics are off");
                return None;
            }
        };
    let recorder = builder.build_recorder();
    let handle = recorder.handle();
    if metrics::set_global_recorder(recorder).is_err() {
        tracing::warn!("metrics: another metrics recorder is installed in this process; /metrics is off");
        return None;
    }
    describe();
    let upkeep = handle.clone();
    // A thread, not a task: tests run many short-lived runtimes, and the recorder outlives them all.
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_EVERY);
            upkeep.run_upkeep();
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "metrics: no upkeep thread; histogram samples are folded at each scrape only");
    }
    Some(handle)
}

fn describe() {
    metrics::describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by route template, method and status");
    metrics::describe_histogram!(
        HTTP_DURATION,
        metrics::Unit::Seconds,
        "Time from the request to the response head, by route template, method and status"
    );
    metrics::describe_counter!(LICENSE_CACHE_HITS, "License checks answered from the license client's cache");
    metrics::describe_counter!(LICENSE_CACHE_MISSES, "License checks sent to the remote license authority");
    metrics::describe_counter!(STORE_ERRORS, "Database and ephemeral-store failures, by backend and error kind");
}

/// Why `GET /metrics` exists outside the catalog.
pub const REASON: &str = "operators: Prometheus metrics";

/// The metrics of this process, in the Prometheus text format.
///
/// No authentication (scraped in-cluster); nothing secret is recorded.
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "Every series of the process", content_type = "text/plain", body = String),
        (status = 503, description = "Metrics are off in this process", body = crate::openapi::ErrorBody),
    )
)]
pub async fn endpoint() -> HttpResponse {
    match handle() {
        Some(h) => HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(h.render()),
        None => actix_web::ResponseError::error_response(&ApiError::unavailable("metrics are off in this process")),
    }
}

/// Counts a license check answered by the remote client's cache (`hit`) or sent to the authority.
pub fn license_cache(service: &'static str, hit: bool) {
    if handle().is_none() {
        return;
    }
    let name = if hit { LICENSE_CACHE_HITS } else { LICENSE_CACHE_MISSES };
    metrics::counter!(name, "service" => service).increment(1);
}

/// Counts a store failure: `backend` is `sql` or `redis`, `kind` a fixed name of the driver's
/// error kind (see [`crate::error`]).
pub fn store_error(backend: &'static str, kind: &'static str) {
    if handle().is_none() {
        return;
    }
    metrics::counter!(STORE_ERRORS, "backend" => backend, "kind" => kind).increment(1);
}
