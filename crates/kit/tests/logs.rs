//! The log a service writes under a hostile client, read back from the real subscriber stack
//! (`kit::telemetry::init_with_writer`, text format) writing into a buffer.
//!
//! Its own test binary: the subscriber is process-global (the actix workers log from their own
//! threads), so it must not share a process with tests that install another one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::web;
use kit::app::{Application, Platform};
use kit::catalog::not_implemented;
use kit::endpoint;
use kit::testing::{Storage, test_env};
use kit::{AppError, AppResult};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log so far, installed once for the whole binary (every request at DEBUG and up).
fn log() -> &'static Capture {
    static LOG: OnceLock<Capture> = OnceLock::new();
    LOG.get_or_init(|| {
        let capture = Capture::default();
        let writer = capture.clone();
        let filter = tracing_subscriber::EnvFilter::new("info,kit=debug,sqlx=warn");
        std::mem::forget(kit::telemetry::init_with_writer("logs", false, filter, move || writer.clone()));
        capture
    })
}

fn lines_with(marker: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&log().0.lock().unwrap()).into_owned();
    text.lines().filter(|l| l.contains(marker)).map(str::to_owned).collect()
}

fn all_lines() -> Vec<String> {
    String::from_utf8_lossy(&log().0.lock().unwrap()).lines().map(str::to_owned).collect()
}

#[utoipa::path(get, path = "/logs/unbuilt", responses((status = 501, description = "no")))]
async fn unbuilt() -> AppResult<HttpResponse> {
    Err(not_implemented("GET", "/logs/unbuilt").into())
}

#[utoipa::path(get, path = "/logs/broken", responses((status = 500, description = "no")))]
async fn broken() -> AppResult<HttpResponse> {
    Err(AppError::internal("the disk is on fire"))
}

/// A handler that puts a raw path value in its span, as a handler that forgot `bounded` would.
#[utoipa::path(get, path = "/logs/careless/{id}", responses((status = 200, description = "ok")))]
#[tracing::instrument(skip_all, fields(id = %id))]
async fn careless(id: web::Path<String>) -> HttpResponse {
    tracing::warn!("careless handler saw a request");
    HttpResponse::Ok().finish()
}

async fn start(test: &str) -> String {
    log();
    let env = test_env(Storage::Embedded, test).await.unwrap();
    let settings = kit::Settings::from_source(&env, "sessions", 0).unwrap();
    let platform = Platform::start(settings, &[]).await.unwrap();
    let app = Application::bind(platform, (), |cfg, _: &()| {
        kit::Table::new("logs", "a probe")
            .with([endpoint!(unbuilt), endpoint!(broken), endpoint!(careless)])
            .mount(cfg);
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

/// Waits (bounded) until a line with `marker` is in the log: the request event is written as the
/// reply leaves, so it may trail the reply by a moment.
async fn wait_for(marker: &str) -> Vec<String> {
    for _ in 0..100 {
        let lines = lines_with(marker);
        if !lines.is_empty() {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    lines_with(marker)
}

#[tokio::test]
async fn a_6_kb_path_with_crlf_stays_on_short_lines() {
    let url = start("log_crlf").await;
    let marker = "crlf-marker";
    let injected = "%0D%0ASet-Cookie:%20session=evil%0D%0A";
    let filler = "a".repeat(3_000);
    for path in [format!("/{marker}/{filler}{injected}{filler}"), format!("/logs/careless/{marker}{injected}{filler}")]
    {
        let resp = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert!(resp.status().as_u16() < 500, "{}", resp.status());
    }
    let lines = wait_for(marker).await;
    assert!(lines.len() >= 3, "the 404, the careless handler's warning and its request: {lines:#?}");
    assert!(lines.iter().any(|l| l.contains("careless handler saw a request")), "{lines:#?}");
    let longest = all_lines().iter().map(String::len).max().unwrap_or(0);
    println!("longest log line: {longest} bytes");
    for line in all_lines() {
        assert!(line.len() <= 1_500, "a log line of {} bytes: {}…", line.len(), &line[..200]);
        assert!(!line.trim_start().starts_with("Set-Cookie"), "a line was injected: {line}");
        assert!(!line.contains('\r'), "{line:?}");
    }
    let careless = lines.iter().find(|l| l.contains("careless handler")).unwrap();
    assert!(careless.contains("\\r\\nSet-Cookie: session=evil"), "the decoded CR LF is escaped: {careless}");
}

#[tokio::test]
async fn refusals_and_501s_are_debug_and_only_real_server_errors_are_error() {
    let url = start("log_levels").await;
    let cases = [
        ("/logs/unbuilt?m=unbuilt-marker", 501, "DEBUG"),
        ("/no/such/path?m=missing-marker", 404, "DEBUG"),
        ("/logs/broken?m=broken-marker", 500, "ERROR"),
    ];
    for (path, status, level) in cases {
        let resp = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        let marker = path.rsplit('=').next().unwrap();
        let lines = wait_for(marker).await;
        let request_events: Vec<&String> = lines.iter().filter(|l| l.contains(" status=")).collect();
        assert_eq!(request_events.len(), 1, "{lines:#?}");
        assert!(request_events[0].contains(&format!(" {level} ")), "{path}: {}", request_events[0]);
        assert!(request_events[0].contains(&format!("status={status}")), "{}", request_events[0]);
        if level == "DEBUG" {
            assert!(!lines.iter().any(|l| l.contains(" WARN ") || l.contains(" ERROR ")), "{path}: {lines:#?}");
        }
    }
}

#[tokio::test]
async fn a_request_the_http_parser_refuses_writes_no_error_line() {
    let url = start("log_parser").await;
    let mut stream = tokio::net::TcpStream::connect(url.trim_start_matches("http://")).await.unwrap();
    stream.write_all(b"GET /parser-marker HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n").await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await.unwrap().unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    // Then a well-formed request, whose line proves the refusal has been handled and logged by now.
    let resp = reqwest::get(format!("{url}/no/such/path?m=after-parser-marker")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    wait_for("after-parser-marker").await;
    let parse_errors: Vec<String> = all_lines().into_iter().filter(|l| l.contains("parse error")).collect();
    assert!(parse_errors.is_empty(), "{parse_errors:#?}");
}

#[tokio::test]
async fn the_span_names_the_route_a_dispatcher_matched() {
    let url = start("log_route").await;
    let resp = reqwest::get(format!("{url}/logs/careless/an-id?m=dispatched-marker")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let lines = wait_for("dispatched-marker").await;
    let event = lines.iter().find(|l| l.contains(" status=200")).expect("the request event");
    assert!(event.contains("http.route=\"/logs/careless/{id}\""), "{event}");
    assert!(event.contains("otel.name=\"GET /logs/careless/{id}\""), "{event}");
}
