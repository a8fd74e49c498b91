//! Test support (feature `testing`): a fresh embedded data folder, a fresh PostgreSQL database and
//! a private Redis key prefix per test. A backend that does not answer is skipped with a clear line.

use std::collections::BTreeMap;
use std::time::Duration;

mod common;
pub mod kdc;
pub mod logs;
mod route_table;
pub mod scep;
pub mod slapd;
pub mod smtp;

pub use common::assert_common_endpoints;
pub use route_table::{
    LevelDeviation, assert_catalog_routed, assert_levels_match_catalog, assert_openapi_committed,
    assert_openapi_complete, assert_openapi_served, assert_openapi_valid, assert_refused_levels, assert_route_table,
    assert_route_table_served, assert_sessions_enforced,
};

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
    record_skip(reason);
}

/// Appends `reason` to the file `TEST_SKIP_LOG` names, when it names one: `make test` prints
/// the list at the end, since cargo hides what a passing test wrote.
pub fn record_skip(reason: &str) {
    use std::io::Write as _;
    let Some(path) = std::env::var_os("TEST_SKIP_LOG") else { return };
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(file, "{reason}");
    }
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
    sweep_old_databases(&mut conn).await;
    let name = database_name(envelope::wire::now_epoch());
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await {
        skip(&format!("cannot create a PostgreSQL database: {e} ({test})"));
        return None;
    }
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
    Some(format!("{base}/{name}"))
}

/// How long a test database may be left behind before a later run drops it.
const LEFTOVER_AGE_SECONDS: i64 = 3600;

/// The name of a test database: `t_<epoch seconds>_<run>_<random>`, where `<run>` is
/// `TEST_RUN_ID` (set by `make test`, whose last step drops the run's databases) or `x`.
fn database_name(now: i64) -> String {
    let run: String =
        std::env::var("TEST_RUN_ID").unwrap_or_default().chars().filter(char::is_ascii_alphanumeric).take(16).collect();
    let run = if run.is_empty() { "x".to_owned() } else { run.to_ascii_lowercase() };
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("t_{now}_{run}_{}", &random[..16])
}

/// Whether a database named so is a test database left behind at `now`: one of this naming made
/// more than [`LEFTOVER_AGE_SECONDS`] ago, or one of the older naming (`t_<32 hex>`).
fn is_leftover(name: &str, now: i64) -> bool {
    let plain = name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let Some(rest) = name.strip_prefix("t_").filter(|_| plain) else { return false };
    if rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return true;
    }
    rest.split('_').next().and_then(|ts| ts.parse::<i64>().ok()).is_some_and(|ts| ts < now - LEFTOVER_AGE_SECONDS)
}

/// Drops, once per test process, the test databases earlier runs left behind (a crashed run
/// cannot drop its own).
async fn sweep_old_databases(conn: &mut sqlx::PgConnection) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let now = envelope::wire::now_epoch();
            let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'")
                .fetch_all(&mut *conn)
                .await
                .unwrap_or_default();
            for name in names.iter().filter(|n| is_leftover(n, now)) {
                let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut *conn).await;
            }
        })
        .await;
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

/// Environment for a service under test on port 0, knowing the communities of
/// [`local_communities`], or `None` when its storage is not reachable.
pub async fn test_env(storage: Storage, test: &str) -> Option<BTreeMap<String, String>> {
    let dir = std::env::temp_dir().join(format!("blockid-test-{}", uuid::Uuid::new_v4().simple()));
    let mut env = BTreeMap::from([
        ("HOST".to_owned(), "127.0.0.1".to_owned()),
        ("PORT".to_owned(), "0".to_owned()),
        ("DATA_DIR".to_owned(), dir.display().to_string()),
        // No remote license authority unless a test names one: keys come from the environment.
        ("SERVICE_DIRECTORY".to_owned(), "{}".to_owned()),
        // Nor of tenants: the two test communities exist.
        ("LOCAL_COMMUNITIES".to_owned(), local_communities()),
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
    handle: actix_web::dev::ServerHandle,
}

impl TestService {
    /// Stops the service as a shutdown signal would (in-flight requests finish), and waits until
    /// its server and workers are gone: its port no longer answers.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
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
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestService { url, handle }
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

/// The tenant of the communities [`spawn_with_keys`] configures (`LOCAL_COMMUNITIES`).
pub const TENANT_ID: &str = "5f3d8d0cd866fa61019cf967";
/// A community of [`TENANT_ID`], named [`COMMUNITY_NAME`].
pub const COMMUNITY_ID: &str = "5f3d8d0cd866fa61019cf968";
/// See [`COMMUNITY_ID`].
pub const COMMUNITY_NAME: &str = "default";
/// Another tenant, with one community, [`OTHER_COMMUNITY_ID`] named [`OTHER_COMMUNITY_NAME`].
pub const OTHER_TENANT_ID: &str = "6a0000000000000000000001";
/// See [`OTHER_TENANT_ID`].
pub const OTHER_COMMUNITY_ID: &str = "6a0000000000000000000002";
/// See [`OTHER_TENANT_ID`].
pub const OTHER_COMMUNITY_NAME: &str = "other";

/// `LOCAL_COMMUNITIES` with the two test communities.
pub fn local_communities() -> String {
    serde_json::json!([
        {"tenantId": TENANT_ID, "communityId": COMMUNITY_ID, "communityName": COMMUNITY_NAME},
        {"tenantId": OTHER_TENANT_ID, "communityId": OTHER_COMMUNITY_ID, "communityName": OTHER_COMMUNITY_NAME},
    ])
    .to_string()
}

/// Each key [`spawn_with_keys`] configures, with the license it stands for.
pub fn test_keys() -> Vec<(&'static str, crate::license::License)> {
    use crate::license::{KeyType, Level, License};
    let license =
        |level, infra| License { level, key_type: KeyType::Hawk, tag: String::new(), communities: None, infra };
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

#[cfg(test)]
mod database_names {
    use super::*;

    #[test]
    fn leftovers_are_old_test_databases_only() {
        let now = 1_800_000_000;
        let fresh = database_name(now);
        assert!(fresh.starts_with("t_1800000000_") && fresh.len() <= 63, "{fresh}");
        assert!(!is_leftover(&fresh, now) && !is_leftover(&fresh, now + LEFTOVER_AGE_SECONDS));
        assert!(is_leftover(&fresh, now + LEFTOVER_AGE_SECONDS + 1));
        assert!(is_leftover("t_0123456789abcdef0123456789abcdef", now), "the older naming");
        for kept in ["test", "postgres", "t_", "t_abc", "t_17000_x; drop", "T_1_x_y"] {
            assert!(!is_leftover(kept, now), "{kept}");
        }
    }
}
