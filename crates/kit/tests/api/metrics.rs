//! `GET /metrics` over HTTP: request series by route template, method and status (501 and 404
//! included, histogram buckets present), the license client's cache hits and misses, and store
//! errors.
//!
//! The recorder is global to the test process, so each test starts its probe under its own
//! service name and reads only the series labelled with it.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::HttpResponse;
use envelope::{ApiError, Caller, Client, Curve, KeyPair};
use kit::app::{Application, Platform};
use kit::license::{KeyType, Level, LicenseRecord, secret_hash};
use kit::testing::{Storage, test_env};
use kit::{AnyLevel, AppResult, Licensed, Table, endpoint};
use serde_json::json;

const APP_KEY: &str = "metrics-app-key-for-tests";
const REMOTE_KEY: &str = "metrics-remote-key-for-tests";

/// One sample of a scrape: its labels and value.
type Sample = (BTreeMap<String, String>, f64);

/// Parses `name{a="x",b="y"} value` lines (label values may hold `{`, `}` and escaped quotes).
fn samples(text: &str, name: &str) -> Vec<Sample> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some(rest) = line.strip_prefix(name) else { continue };
        let (labels, value) = match rest.strip_prefix('{') {
            Some(body) => {
                let end = body.rfind('}').unwrap();
                (parse_labels(&body[..end]), body[end + 1..].trim())
            }
            None if rest.starts_with(' ') => (BTreeMap::new(), rest.trim()),
            None => continue, // another metric whose name starts with `name`
        };
        out.push((labels, value.parse().unwrap()));
    }
    out
}

fn parse_labels(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            return out;
        }
        assert_eq!(chars.next(), Some('"'), "label {key} is quoted");
        let mut value = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => value.push(chars.next().unwrap()),
                '"' => break,
                c => value.push(c),
            }
        }
        out.insert(key.trim_start_matches(',').to_owned(), value);
        if chars.peek() == Some(&',') {
            chars.next();
        }
    }
}

/// The sum of the samples of `name` whose labels include `want`.
fn value(text: &str, name: &str, want: &[(&str, &str)]) -> f64 {
    samples(text, name)
        .into_iter()
        .filter(|(labels, _)| want.iter().all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|(_, v)| v)
        .sum()
}

async fn scrape(url: &str) -> String {
    let resp = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let ctype = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    resp.text().await.unwrap()
}

#[utoipa::path(get, path = "/probe/any", responses((status = 200, description = "The level")))]
async fn any(a: Licensed<AnyLevel>) -> AppResult<HttpResponse> {
    Ok(a.caller.reply(&json!({"level": a.license.level}))?)
}

/// A probe named `service`, on the `sessions` catalog (so `/session/{sessionId}/response`, not
/// built here, answers 501), with `GET /probe/any` behind a license.
async fn probe(
    service: &'static str,
    storage: Storage,
    extra: &[(&str, String)],
) -> Option<(String, BTreeMap<String, String>)> {
    kit::telemetry::init_for_tests();
    let mut env = test_env(storage, service).await?;
    env.insert("LICENSE_KEYS".into(), format!("app:{APP_KEY}"));
    for (k, v) in extra {
        env.insert((*k).to_owned(), v.clone());
    }
    let settings = kit::Settings::from_source(&env, service, 0).unwrap();
    let platform = Platform::start(settings, &[]).await.unwrap();
    let app = Application::bind(platform, (), |cfg, _: &()| {
        Table::new("sessions", "a probe").with(kit::common::endpoints()).with([endpoint!(any)]).mount(cfg);
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    Some((url, env))
}

fn client(license: &str) -> Client {
    Client::new(Arc::new(KeyPair::generate(Curve::Secp256k1).unwrap())).unwrap().license(license)
}

#[tokio::test]
async fn requests_are_counted_by_route_template_method_and_status_with_latency_buckets() {
    let service = "metrics-http-probe";
    let (url, _) = probe(service, Storage::Embedded, &[]).await.unwrap();
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("{url}{path}")).send();
    for id in ["aaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbb"] {
        assert_eq!(get(&format!("/session/{id}/response")).await.unwrap().status().as_u16(), 501);
    }
    for path in ["/no/such/path", "/another/unknown/one"] {
        assert_eq!(get(path).await.unwrap().status().as_u16(), 404);
    }
    for _ in 0..3 {
        assert_eq!(get("/publickeys").await.unwrap().status().as_u16(), 200);
    }
    let purge = reqwest::Method::from_bytes(b"PURGE").unwrap();
    let odd = http.request(purge, format!("{url}/publickeys")).send().await.unwrap().status().as_u16();
    let reply = client(APP_KEY).call::<()>(reqwest::Method::GET, &url, "/probe/any", None).await.unwrap();
    assert_eq!(reply.status, 200);

    let text = scrape(&url).await;
    let requests = |route: &str, method: &str, status: &str| {
        value(
            &text,
            "http_requests_total",
            &[("service", service), ("route", route), ("method", method), ("status", status)],
        )
    };
    assert_eq!(requests("/session/{sessionId}/response", "GET", "501"), 2.0, "one series for two ids:\n{text}");
    assert_eq!(requests("unmatched", "GET", "404"), 2.0, "{text}");
    // Three, and the client's own key lookup before its signed call.
    assert_eq!(requests("/publickeys", "GET", "200"), 4.0, "{text}");
    assert_eq!(requests("/probe/any", "GET", "200"), 1.0, "{text}");
    let other = odd.to_string();
    assert_eq!(
        value(&text, "http_requests_total", &[("service", service), ("method", "other"), ("status", &other)]),
        1.0
    );
    for (labels, _) in samples(&text, "http_requests_total").iter().filter(|(l, _)| l["service"] == service) {
        let route = &labels["route"];
        assert!(route == "unmatched" || route.starts_with('/'), "{route}");
        assert!(!route.contains("aaaa") && !route.contains("bbbb") && !route.contains("such"), "raw path in {route}");
    }

    let publickeys = [("service", service), ("route", "/publickeys"), ("method", "GET"), ("status", "200")];
    let buckets: Vec<_> = samples(&text, "http_request_duration_seconds_bucket")
        .into_iter()
        .filter(|(l, _)| publickeys.iter().all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    let les: Vec<&str> = buckets.iter().map(|(l, _)| l["le"].as_str()).collect();
    assert_eq!(les.len(), kit::metrics::LATENCY_BUCKETS.len() + 1, "{les:?}");
    assert!(les.contains(&"0.0001") && les.contains(&"10") && les.contains(&"+Inf"), "{les:?}");
    assert_eq!(buckets.iter().find(|(l, _)| l["le"] == "+Inf").unwrap().1, 4.0);
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "cumulative buckets");
    assert_eq!(value(&text, "http_request_duration_seconds_count", &publickeys), 4.0);
    assert!(value(&text, "http_request_duration_seconds_sum", &publickeys) > 0.0);
    assert!(!text.contains(APP_KEY), "no license key in the page");
}

#[tokio::test]
async fn metrics_needs_no_authentication_and_counts_its_own_scrapes() {
    let (url, _) = probe("metrics-open-probe", Storage::Embedded, &[]).await.unwrap();
    let first = scrape(&url).await;
    assert!(first.contains("# TYPE http_requests_total counter"), "{first}");
    assert!(first.contains("# TYPE http_request_duration_seconds histogram"), "{first}");
    let second = scrape(&url).await;
    let seen = [("service", "metrics-open-probe"), ("route", "/metrics"), ("status", "200")];
    assert!(value(&second, "http_requests_total", &seen) >= 1.0, "the scrape itself is counted:\n{second}");
}

/// A license authority answering `GET /servicekey/current` for [`REMOTE_KEY`] only.
async fn authority() -> String {
    #[utoipa::path(get, path = "/servicekey/current", responses((status = 200, description = "The record")))]
    async fn current(caller: Caller) -> AppResult<HttpResponse> {
        let key = caller.license_key().ok_or_else(|| ApiError::unauthorized("licensekey header is required"))?;
        if key.expose() != REMOTE_KEY {
            return Err(ApiError::from(kit::license::LicenseError::Unknown).into());
        }
        Ok(HttpResponse::Ok().json(LicenseRecord {
            key_id: secret_hash(REMOTE_KEY),
            key_secret: REMOTE_KEY.into(),
            key_type: KeyType::Hawk,
            auth_level: Level::Service,
            tag: "test".into(),
            expiry: envelope::wire::now_epoch() + 86_400,
            disabled: false,
            communities: None,
            is_authorized: None,
        }))
    }
    let env = test_env(Storage::Embedded, "metrics authority").await.unwrap();
    let settings = kit::Settings::from_source(&env, "metrics-authority", 0).unwrap();
    let platform = Platform::start(settings, &[]).await.unwrap();
    let app = Application::bind(platform, (), |cfg, _: &()| {
        Table::new("authority", "a stand-in").with(kit::common::endpoints()).with([endpoint!(current)]).mount(cfg);
    })
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    url
}

#[tokio::test]
async fn license_cache_hits_and_misses_are_counted() {
    let service = "metrics-license-probe";
    let directory = json!({ "licenses": authority().await }).to_string();
    let (url, _) = probe(service, Storage::Embedded, &[("SERVICE_DIRECTORY", directory)]).await.unwrap();
    let url = url.as_str();
    let status = |key: &'static str| async move {
        client(key).call::<()>(reqwest::Method::GET, url, "/probe/any", None).await.unwrap().status
    };
    // Accepted: one miss, then two hits. Refused: one miss, then a (negative) hit.
    for _ in 0..3 {
        assert_eq!(status(REMOTE_KEY).await, 200);
    }
    for _ in 0..2 {
        assert_eq!(status("a-key-nobody-issued").await, 401);
    }
    // A local key is answered without the cache: neither a hit nor a miss.
    assert_eq!(status(APP_KEY).await, 200);
    let text = scrape(url).await;
    assert_eq!(value(&text, "blockid_license_cache_hits_total", &[("service", service)]), 3.0, "{text}");
    assert_eq!(value(&text, "blockid_license_cache_misses_total", &[("service", service)]), 2.0, "{text}");
    assert!(!text.contains(REMOTE_KEY) && !text.contains("a-key-nobody-issued"));
}

#[tokio::test]
async fn a_database_failure_is_counted_by_backend_and_kind() {
    use sqlx::Connection as _;
    let Some((url, env)) = probe("metrics-store-probe", Storage::Postgres, &[]).await else { return };
    let labels = [("backend", "sql"), ("kind", "database")];
    let before = value(&scrape(&url).await, "blockid_store_errors_total", &labels);
    // The replay cache lives in the `ephemeral` table on PostgreSQL: without it, every signed
    // request fails in the store.
    let mut conn = sqlx::PgConnection::connect(&env["DATABASE_URL"]).await.unwrap();
    sqlx::query("DROP TABLE ephemeral").execute(&mut conn).await.unwrap();
    let reply = client(APP_KEY).call::<()>(reqwest::Method::GET, &url, "/probe/any", None).await.unwrap();
    assert_eq!(reply.status, 503, "{}", reply.body);
    let text = scrape(&url).await;
    assert!(value(&text, "blockid_store_errors_total", &labels) >= before + 1.0, "{text}");
    assert!(!text.contains("relation") && !text.contains("does not exist"), "no driver message in the labels");
}
