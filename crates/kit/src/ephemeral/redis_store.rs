//! [`RedisStore`]: ephemeral state in Redis, shared by every replica. Every operation is one
//! command (or one server-side script), atomic on the server.

use std::sync::LazyLock;
use std::time::Duration;

use async_trait::async_trait;

use super::Ephemeral;
use crate::error::StoreError;

/// `compare_and_swap` on the server: `KEYS[1]` is set to `ARGV[2]` for `ARGV[3]` ms only when it
/// holds exactly `ARGV[1]` (Redis runs a script atomically; expired keys read as nil).
static COMPARE_AND_SWAP: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then \
           redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 \
         else return 0 end",
    )
});

/// State in Redis, shared by all replicas. Keys carry the configured prefix.
#[derive(Clone)]
pub struct RedisStore {
    conn: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisStore {
    /// Connects (with automatic reconnection) to `url`.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let conn = tokio::time::timeout(Duration::from_secs(5), client.get_connection_manager_with_config(config))
            .await
            .map_err(|_| StoreError::Unavailable("redis did not answer within 5 s".into()))??;
        Ok(Self { conn, prefix: prefix.to_owned() })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl Ephemeral for RedisStore {
    async fn put(&self, key: &str, value: &str, ttl: Duration) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        redis::cmd("SET").arg(self.key(key)).arg(value).arg("PX").arg(ttl_ms(ttl)).query_async::<()>(&mut c).await?;
        Ok(())
    }

    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let set: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms(ttl))
            .query_async(&mut c)
            .await?;
        Ok(set.is_some())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("GET").arg(self.key(key)).query_async(&mut c).await?)
    }

    async fn take(&self, key: &str) -> Result<Option<String>, StoreError> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("GETDEL").arg(self.key(key)).query_async(&mut c).await?)
    }

    async fn compare_and_swap(&self, key: &str, expected: &str, new: &str, ttl: Duration) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let swapped: i64 =
            COMPARE_AND_SWAP.key(self.key(key)).arg(expected).arg(new).arg(ttl_ms(ttl)).invoke_async(&mut c).await?;
        Ok(swapped == 1)
    }

    async fn delete(&self, key: &str) -> Result<bool, StoreError> {
        let mut c = self.conn.clone();
        let n: i64 = redis::cmd("DEL").arg(self.key(key)).query_async(&mut c).await?;
        Ok(n > 0)
    }

    async fn incr(&self, key: &str, ttl: Duration) -> Result<i64, StoreError> {
        let mut c = self.conn.clone();
        let k = self.key(key);
        let (n, _): (i64, i64) = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg(&k)
            .cmd("PEXPIRE")
            .arg(&k)
            .arg(ttl_ms(ttl))
            .arg("NX")
            .query_async(&mut c)
            .await?;
        Ok(n)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut c = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut c).await?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}
