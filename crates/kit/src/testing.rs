//! Test support (feature `testing`): a fresh embedded data folder, a fresh PostgreSQL database and
//! a private Redis key prefix per test. A backend that does not answer is skipped with a clear line.

use std::collections::BTreeMap;
use std::time::Duration;

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
            eprintln!("skipped: PostgreSQL not reachable at {admin} ({test})");
            return None;
        }
    };
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut conn).await {
        eprintln!("skipped: cannot create a PostgreSQL database: {e} ({test})");
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
            eprintln!("skipped: Redis not reachable at {url} ({test})");
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
