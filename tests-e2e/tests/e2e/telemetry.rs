//! Traces: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, a service exports the span of each request over
//! OTLP/HTTP, continuing the trace of the caller's `traceparent`.

use std::time::{Duration, Instant};

use tests_e2e::otlp::Collector;
use tests_e2e::start_on_free_port;

#[tokio::test]
async fn request_spans_are_exported_over_otlp_in_the_callers_trace() {
    let collector = Collector::start().await.unwrap();
    let data_dir = std::env::temp_dir().join(format!("blockid-otel-{}", uuid::Uuid::new_v4().simple()));
    let env = vec![
        ("DATA_DIR".to_owned(), data_dir.display().to_string()),
        ("SERVICE_DIRECTORY".to_owned(), "{}".to_owned()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT".to_owned(), collector.url.clone()),
        ("OTEL_BSP_SCHEDULE_DELAY".to_owned(), "100".to_owned()),
    ];
    let sessions = start_on_free_port("sessions", &env).await.unwrap();

    let trace_id = uuid::Uuid::new_v4();
    let traceparent = format!("00-{}-{}-01", trace_id.simple(), "00f067aa0ba902b7");
    let resp = reqwest::Client::new()
        .get(format!("{}/session/00000000-0000-0000-0000-000000000000", sessions.url))
        .header("traceparent", traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);

    // Export is batched: wait (bounded) for the span carrying the caller's 16-byte trace id.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !collector.saw("/v1/traces", trace_id.as_bytes()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(collector.saw("/v1/traces", trace_id.as_bytes()), "no exported span carries the caller's trace id");
}

/// A login step on sessions triggers a license check on adminapi: both spans are in the caller's trace.
#[tokio::test]
async fn a_license_check_on_adminapi_continues_the_trace_of_the_request_to_sessions() {
    use std::process::Command;
    use std::sync::Arc;

    use envelope::{Client, Curve, KeyPair};
    use reqwest::Method;
    use serde_json::json;

    let collector = Collector::start().await.unwrap();
    let otel = [("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url.as_str()), ("OTEL_BSP_SCHEDULE_DELAY", "100")];
    let stack = tests_e2e::start_stack(&otel).await.unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(tests_e2e::bin_dir().join("adminapi"))
            .args(args)
            .env("DATA_DIR", &stack.data_dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let boot = run(&["bootstrap", "--out", stack.data_dir.join("bootstrap.json").to_str().unwrap()]);
    let key = run(&["license", "create", "--level", "app"]);

    let trace_id = uuid::Uuid::new_v4();
    let traceparent = format!("00-{}-{}-01", trace_id.simple(), "00f067aa0ba902b7");
    let browser = Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap()))
        .unwrap()
        .license(key["keySecret"].as_str().unwrap())
        .with_headers_from(Arc::new(move |h: &mut Vec<(String, String)>| {
            h.push(("traceparent".into(), traceparent.clone()));
        }));
    let body = json!({"origin": {"tag": "t", "url": "https://acme.example", "communityName": "default",
        "communityId": boot["communityId"]}, "scopes": "", "authtype": "none", "metadata": {}});
    let created = browser.call(Method::PUT, &stack.sessions.url, "/session/new", Some(&body)).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);

    let both = |c: &Collector| {
        c.saw_all("/v1/traces", &[trace_id.as_bytes(), b"sessions"])
            && c.saw_all("/v1/traces", &[trace_id.as_bytes(), b"adminapi"])
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !both(&collector) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(collector.saw_all("/v1/traces", &[trace_id.as_bytes(), b"sessions"]), "sessions exported the request span");
    assert!(
        collector.saw_all("/v1/traces", &[trace_id.as_bytes(), b"adminapi"]),
        "adminapi's span is in the same trace"
    );
}
