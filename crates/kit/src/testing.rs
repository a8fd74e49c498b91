//! Test support (feature `testing`): a fresh embedded data folder, a fresh PostgreSQL database and
//! a private Redis key prefix per test. A backend that does not answer is skipped with a clear line.

use std::collections::BTreeMap;
use std::time::Duration;

/// Whether a test must fail, not skip, when a backend it needs (PostgreSQL, Redis, Node) is
/// missing: `TEST_BACKENDS_REQUIRED=1`, which `.ci/run` sets.
pub fn backends_required() -> bool {
    std::env::var("TEST_BACKENDS_REQUIRED").is_ok_and(|v| v.trim() == "1")
}

/// Skips a test whose backend is missing, with a clear line, or fails it when
/// [`backends_required`].
#[allow(clippy::panic)]
pub fn skip(reason: &str) {
    assert!(!backends_required(), "{reason}, and TEST_BACKENDS_REQUIRED=1: failing instead of skipping");
    eprintln!("skipped: {reason}");
}

/// The PostgreSQL server tests use: `TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`.
pub fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The Redis server tests use: `TEST_REDIS_URL`, default `redis://127.0.0.1:6379`.
pub fn redis_test_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A fresh, empty PostgreSQL database, or `None` (with a "skipped" line) when the server is not reachable.
pub async fn fresh_postgres(test: &str) -> Option<String> {
    use sqlx::Connection as _;
    let admin = postgres_admin_url();
    let connect = sqlx::PgConnection::connect(&admin);
    let mut conn = match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(c)) => c,
        _ => {
            skip(&format!("PostgreSQL not reachable at {admin} ({test})"));
            return None;
        }
    };
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await {
        skip(&format!("cannot create a PostgreSQL database: {e} ({test})"));
        return None;
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(format!("{base}/{name}"))
}

/// The Redis URL when Redis answers, or `None` (with a "skipped" line).
pub async fn reachable_redis(test: &str) -> Option<String> {
    let url = redis_test_url();
    let ok = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut conn = client.get_multiplexed_async_connection().await.ok()?;
        redis::cmd("PING").query_async::<String>(&mut conn).await.ok()
    };
    match tokio::time::timeout(Duration::from_secs(3), ok).await {
        Ok(Some(_)) => Some(url),
        _ => {
            skip(&format!("Redis not reachable at {url} ({test})"));
            None
        }
    }
}

/// Where a test keeps its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// SQLite in a fresh folder, ephemeral state in the database and in memory.
    Embedded,
    /// A fresh PostgreSQL database.
    Postgres,
    /// SQLite for records, Redis (private prefix) for ephemeral state.
    Redis,
}

/// Environment for a service under test on port 0, or `None` when its storage is not reachable.
pub async fn test_env(storage: Storage, test: &str) -> Option<BTreeMap<String, String>> {
    let dir = std::env::temp_dir().join(format!("blockid-test-{}", uuid::Uuid::new_v4().simple()));
    let mut env = BTreeMap::from([
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), "0".to_owned()),
        ("DATA_DIR".to_owned(), dir.display().to_string()),
        // No remote license authority unless a test names one: keys come from the environment.
        ("SERVICE_DIRECTORY".to_owned(), "{}".to_owned()),
    ]);
    match storage {
        Storage::Embedded => {}
        Storage::Postgres => {
            env.insert("DATABASE_URL".into(), fresh_postgres(test).await?);
        }
        Storage::Redis => {
            env.insert("REDIS_URL".into(), reachable_redis(test).await?);
            env.insert("REDIS_PREFIX".into(), format!("test:{}:", uuid::Uuid::new_v4().simple()));
        }
    }
    Some(env)
}

/// A service started in-process on a free port for a test.
#[derive(Debug, Clone)]
pub struct TestService {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

/// Builds `service` from `env` with `build` (the service crate's `build`) and serves it in the background.
pub async fn spawn_service<B, Fut>(service: &'static str, env: &BTreeMap<String, String>, build: B) -> TestService
where
    B: FnOnce(crate::Settings) -> Fut,
    Fut: std::future::Future<Output = Result<crate::app::Application, crate::StartError>>,
{
    crate::telemetry::init_for_tests();
    #[allow(clippy::expect_used)]
    let settings = crate::Settings::from_source(env, service, 0).expect("test settings");
    #[allow(clippy::expect_used)]
    let app = build(settings).await.expect("service starts");
    let url = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestService { url }
}

/// Checks the route table of a running service against the catalog: every catalog endpoint is
/// routed (it never answers 404 or 405), and an unknown path answers a JSON 404.
pub async fn assert_catalog_routed(url: &str, service: &str) {
    let http = reqwest::Client::new();
    let mut checked = 0;
    for entry in crate::catalog::catalog(service) {
        let path: String = entry
            .path
            .split('/')
            .map(|seg| if seg.starts_with('{') { "p0000000000000000000000a" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        #[allow(clippy::expect_used)]
        let method = reqwest::Method::from_bytes(entry.method.as_bytes()).expect("catalog method");
        #[allow(clippy::expect_used)]
        let resp = http.request(method, format!("{url}{path}")).send().await.expect("request");
        let status = resp.status().as_u16();
        #[allow(clippy::expect_used)]
        let body: serde_json::Value = resp.json().await.expect("every reply is JSON");
        assert!(
            status != 405 && !(status == 404 && body["message"].as_str().is_some_and(|m| m.starts_with("Cannot "))),
            "{} {} is not routed: {status} {body}",
            entry.method,
            entry.path
        );
        if status == 501 {
            assert_eq!(body["message"], format!("{} {} is not implemented yet", entry.method, entry.path));
        }
        checked += 1;
    }
    assert!(checked > 0, "the catalog lists endpoints for {service}");
    #[allow(clippy::expect_used)]
    let resp = http.get(format!("{url}/no/such/path")).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 404);
}

/// Checks `/healthz`, `/publickeys`, `/sd`, `/environment` and `/ecdsa_helper/{method}` of a
/// running service, as a client sees them.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub async fn assert_common_endpoints(url: &str, service: &str, system_key: &str) {
    use envelope::{Curve, KeyPair};
    use serde_json::{Value, json};

    let http = reqwest::Client::new();
    let get = |path: &str, license: Option<&str>| {
        let mut req = http.get(format!("{url}{path}"));
        if let Some(l) = license {
            req = req.header("license", l);
        }
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };

    let (s, health) = get("/healthz", None).await;
    assert_eq!(s, 200, "{health}");
    assert_eq!(health["status"], "all services operational");
    assert_eq!(health["code"], "200");
    let version = health["version"].as_str().unwrap();
    let parts: Vec<&str> = version.split('.').collect();
    assert!(parts.len() >= 2 && parts.last().unwrap().parse::<u64>().is_ok(), "version {version}");
    let (_, keys) = get("/publickeys", None).await;
    assert_eq!(keys["publicKey"], health["publicKey"]);
    let service_key = keys["publicKey"].as_str().unwrap().to_owned();
    assert!(envelope::PublicKey::from_base64(Curve::Secp256k1, &service_key).is_ok());

    let (s, sd) = get("/sd", None).await;
    assert_eq!(s, 200);
    assert!(sd.is_object());

    let (s, err) = get("/environment", None).await;
    assert_eq!((s, err["statusCode"].as_u64()), (401, Some(401)), "{err}");
    let (s, _) = get("/environment", Some("not-a-license")).await;
    assert_eq!(s, 401);
    let (s, env) = get("/environment", Some(system_key)).await;
    assert_eq!(s, 200, "{env}");
    assert_eq!(env["service"], service);
    assert_eq!(env["allowed_time_span"], 60);

    let a = KeyPair::generate(Curve::Secp256k1).unwrap();
    let b = KeyPair::generate(Curve::Secp256k1).unwrap();
    let helper = |method: &str, body: Value| {
        let req = http.post(format!("{url}/ecdsa_helper/{method}")).json(&body);
        async move {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (s, enc) = helper(
        "encrypt",
        json!({"dataStr": "hello", "publicKey": b.public_base64(), "privateKey": a.private().to_base64().as_str()}),
    )
    .await;
    assert_eq!(s, 200, "{enc}");
    let ciphertext = enc["data"].as_str().unwrap();
    assert_eq!(b.shared_key_with(a.public_base64()).unwrap().decrypt(ciphertext).unwrap(), "hello");
    let (s, dec) = helper(
        "decrypt",
        json!({"dataStr": ciphertext, "publicKey": a.public_base64(), "privateKey": b.private().to_base64().as_str()}),
    )
    .await;
    assert_eq!((s, dec["data"].as_str()), (200, Some("hello")));
    let good = json!({"dataStr": "x", "publicKey": b.public_base64(), "privateKey": a.private().to_base64().as_str()});
    let (s, e) = helper("sign", good.clone()).await;
    assert_eq!(s, 400, "{e}");
    let (s, _) =
        helper("encrypt", json!({"dataStr": "x", "publicKey": "AAAA", "privateKey": a.private().to_base64().as_str()}))
            .await;
    assert_eq!(s, 400);
    let (s, _) = helper("encrypt", json!({"dataStr": "x", "publicKey": b.public_base64(), "privateKey": "!!"})).await;
    assert_eq!(s, 400);
    let (s, _) = helper("decrypt", json!({"dataStr": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "publicKey": a.public_base64(), "privateKey": b.private().to_base64().as_str()})).await;
    assert_eq!(s, 400);
    let resp = http.get(format!("{url}/ecdsa_helper/encrypt")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
}

/// The committed `proto-docs/<service>.json` equals the document generated from the code.
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn assert_openapi_committed(service: &str, doc: &utoipa::openapi::OpenApi) {
    let generated = crate::openapi::to_file_text(doc).unwrap();
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../proto-docs/{service}.json"));
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(generated == committed, "proto-docs/{service}.json is stale: run make openapi");
}

/// Every route of the table and of the catalog is in the document with its method; the built
/// ones are documented, every other catalog endpoint as a 501.
#[allow(clippy::panic)]
pub fn assert_openapi_complete(table: &crate::routing::Table) {
    use crate::openapi::{NOT_IMPLEMENTED, missing_operations, operations};
    let (service, doc) = (table.service(), table.openapi());
    let missing = missing_operations(&doc, service, &table.entries());
    assert!(missing.is_empty(), "not in the document: {missing:?}");
    let not_built = doc
        .paths
        .paths
        .values()
        .flat_map(operations)
        .filter(|(_, op)| op.description.as_deref() == Some(NOT_IMPLEMENTED))
        .inspect(|(_, op)| assert!(op.responses.responses.contains_key("501")))
        .count();
    let all: usize = doc.paths.paths.values().map(|item| operations(item).count()).sum();
    let routes: usize = table.endpoints().iter().map(|e| e.methods().len()).sum();
    let outside = table.endpoints().iter().filter(|e| e.reason().is_some()).map(|e| e.methods().len()).sum::<usize>();
    assert_eq!(all, crate::catalog::catalog(service).count() + outside, "one operation per route");
    assert_eq!(all - not_built, routes, "every built route documented");
    let mismatches = table.catalog_mismatches();
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

/// The document is OpenAPI 3.1 JSON titled with the service, declares the header security
/// schemes, and has no internal problems (duplicate operation ids, undeclared path parameters,
/// two schemas under one name).
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn assert_openapi_valid(table: &crate::routing::Table) {
    let doc = table.openapi();
    let json: serde_json::Value = serde_json::from_str(&crate::openapi::to_file_text(&doc).unwrap()).unwrap();
    let version = json["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "openapi is {version}");
    assert_eq!(json["info"]["title"], table.service());
    assert!(json.get("servers").is_none());
    let problems = crate::openapi::problems(&doc);
    assert!(problems.is_empty(), "{problems:#?}");
    let collisions = crate::openapi::schema_collisions(&table.entries());
    assert!(collisions.is_empty(), "{collisions:#?}");
    for scheme in ["publickey", "requestid", "licensekey", "license"] {
        assert_eq!(json["components"]["securitySchemes"][scheme]["in"], "header", "{scheme}");
    }
}

/// A running service serves the same document at `/openapi.json`.
#[allow(clippy::unwrap_used)]
pub async fn assert_openapi_served(url: &str, doc: &utoipa::openapi::OpenApi) {
    let reply = reqwest::get(format!("{url}/openapi.json")).await.unwrap();
    assert_eq!(reply.status(), 200);
    let served: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(served, serde_json::to_value(doc).unwrap());
}

/// The local license keys [`spawn_with_keys`] configures, one per level, and the infra key.
pub const SYSTEM_KEY: &str = "system-license-for-tests";
/// See [`SYSTEM_KEY`].
pub const SERVICE_KEY: &str = "service-license-for-tests";
/// See [`SYSTEM_KEY`].
pub const SERVICE_EXT_KEY: &str = "service-ext-license-for-tests";
/// See [`SYSTEM_KEY`].
pub const APP_KEY: &str = "app-license-for-tests";
/// See [`SYSTEM_KEY`].
pub const APP_EXT_KEY: &str = "app-ext-license-for-tests";
/// The `INFRA_LICENSE_KEY` [`spawn_with_keys`] configures (service level).
pub const INFRA_KEY: &str = "infra-license-for-tests";

/// Each key [`spawn_with_keys`] configures, with the license it stands for.
pub fn test_keys() -> Vec<(&'static str, crate::license::License)> {
    use crate::license::{Level, License};
    let license = |level, infra| License { level, tag: String::new(), communities: None, infra };
    vec![
        (SYSTEM_KEY, license(Level::System, false)),
        (SERVICE_KEY, license(Level::Service, false)),
        (SERVICE_EXT_KEY, license(Level::ServiceExt, false)),
        (APP_KEY, license(Level::App, false)),
        (APP_EXT_KEY, license(Level::AppExt, false)),
        (INFRA_KEY, license(Level::Service, true)),
    ]
}

/// A service on `storage` with the local keys of [`test_keys`] and the `extra` variables; `None` (with a "skipped" line) when the storage is unreachable.
pub async fn spawn_with_keys<B, Fut>(
    service: &'static str,
    build: B,
    storage: Storage,
    test: &str,
    extra: &[(&str, &str)],
) -> Option<TestService>
where
    B: FnOnce(crate::Settings) -> Fut,
    Fut: std::future::Future<Output = Result<crate::app::Application, crate::StartError>>,
{
    let mut env = test_env(storage, test).await?;
    env.insert(
        "LICENSE_KEYS".into(),
        format!(
            "system:{SYSTEM_KEY},service:{SERVICE_KEY},service_ext:{SERVICE_EXT_KEY},app:{APP_KEY},app_ext:{APP_EXT_KEY}"
        ),
    );
    env.insert("INFRA_LICENSE_KEY".into(), INFRA_KEY.into());
    for (k, v) in extra {
        env.insert((*k).to_owned(), (*v).to_owned());
    }
    Some(spawn_service(service, &env, build).await)
}

/// A built route's license levels that deliberately differ from the catalog's `auth_levels`:
/// `(method, path, why)`.
pub type LevelDeviation = (&'static str, &'static str, &'static str);

/// The catalog level check of a route table: every built catalog route declares (by its
/// extractor's type) exactly the catalog's `auth_levels`, except the `deviations`, each with its
/// reason; a deviation that no longer deviates fails too, so the list stays true.
#[allow(clippy::panic)]
pub fn assert_levels_match_catalog(table: &crate::routing::Table, deviations: &[LevelDeviation]) {
    let mut found = Vec::new();
    let mut used = vec![false; deviations.len()];
    for e in table.endpoints() {
        for method in e.methods() {
            let Some(entry) = crate::catalog::find(table.service(), method, e.path()) else { continue };
            let mut declared: Vec<&str> = e.requirement().auth.accept().map(|a| a.names()).unwrap_or_default();
            let mut catalogued: Vec<&str> = entry.auth_levels.iter().map(String::as_str).collect();
            declared.sort_unstable();
            catalogued.sort_unstable();
            if declared == catalogued {
                continue;
            }
            match deviations.iter().position(|(m, p, _)| m == method && *p == e.path()) {
                Some(i) => used[i] = true,
                None => {
                    found.push(format!("{method} {}: declares {declared:?}, the catalog says {catalogued:?}", e.path()))
                }
            }
        }
    }
    for (i, (m, p, _)) in deviations.iter().enumerate() {
        if !used[i] {
            found.push(format!("{m} {p} is listed as a deviation but matches the catalog (or is not built)"));
        }
    }
    assert!(found.is_empty(), "license levels differ from the catalog:\n{}", found.join("\n"));
}

/// Calls every licensed route of `table` on the running service at `url` with each test key
/// whose level the route does not accept, and checks it answers 403 before anything else.
/// Returns how many calls were made.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub async fn assert_refused_levels(url: &str, table: &crate::routing::Table) -> usize {
    use crate::access::Auth;
    let keys = std::sync::Arc::new(envelope::KeyPair::generate(envelope::Curve::Secp256k1).unwrap());
    let http = reqwest::Client::new();
    let mut calls = 0;
    for e in table.endpoints() {
        let auth = e.requirement().auth;
        let Some(accept) = auth.accept() else { continue };
        let path: String = e
            .path()
            .split('/')
            .map(|seg| if seg.starts_with('{') { "5f3d8d0cd866fa61019cf968" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for (key, license) in test_keys() {
            if accept.allows(&license) {
                continue;
            }
            for method in e.methods() {
                let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let (status, body) = match auth {
                    Auth::PlainLicense(_) => {
                        let resp = http
                            .request(method.clone(), format!("{url}{path}"))
                            .header("license", key)
                            .send()
                            .await
                            .unwrap();
                        (resp.status().as_u16(), resp.text().await.unwrap_or_default())
                    }
                    _ => {
                        let client = envelope::Client::new(keys.clone()).unwrap().license(key);
                        let reply = client.call::<()>(method.clone(), url, &path, None).await.expect("call");
                        (reply.status, reply.body.to_string())
                    }
                };
                assert_eq!(
                    status,
                    403,
                    "{method} {} with a {} key (infra: {}): {body}",
                    e.path(),
                    license.level,
                    license.infra
                );
                calls += 1;
            }
        }
    }
    calls
}

/// The checks of a service's route table that need no server: the committed document is the
/// generated one, every route and catalog endpoint is documented, the document has no problems
/// or schema collisions, every route is in the catalog or marked outside it, and the declared
/// license levels are the catalog's (but for `deviations`).
pub fn assert_route_table(table: &crate::routing::Table, deviations: &[LevelDeviation]) {
    assert_openapi_committed(table.service(), &table.openapi());
    assert_openapi_complete(table);
    assert_openapi_valid(table);
    assert_levels_match_catalog(table, deviations);
}

/// The checks of a service's route table on the running service at `url`: the document is
/// served, every catalog endpoint is routed, and every licensed route refuses the levels it does
/// not accept with 403.
#[allow(clippy::panic)]
pub async fn assert_route_table_served(url: &str, table: &crate::routing::Table) {
    assert_openapi_served(url, &table.openapi()).await;
    assert_catalog_routed(url, table.service()).await;
    let calls = assert_refused_levels(url, table).await;
    assert!(calls > 0, "{} has licensed routes to check", table.service());
}
