//! The dependency status `/healthz` answers from: checked once when the first probe arrives,
//! then refreshed in the background about once a second, so a probe costs no database round
//! trip and a burst of probes cannot load the database.
//!
//! The database is pinged once per refresh; the ephemeral store too, unless it is the service
//! database itself (the embedded and PostgreSQL defaults), whose status is then the database's.
//! A status older than a few refresh periods (the refresher stopped) is checked again inline, so
//! an answer is never more than that stale.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use crate::db::Db;
use crate::ephemeral::Ephemeral;
use crate::error::StoreError;

/// How often the background task refreshes the status.
pub const REFRESH: Duration = Duration::from_secs(1);
/// A status this old is checked again inline.
const STALE: Duration = Duration::from_secs(5);
/// A ping that takes longer counts as a failure.
const PING_TIMEOUT: Duration = Duration::from_secs(2);

/// One dependency and whether it answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check {
    /// `sqlite`, `postgres`, `redis`, `memory`, …
    pub backend: &'static str,
    pub ok: bool,
}

impl std::fmt::Display for Check {
    /// `<backend>: ok` or `<backend>: unavailable`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.backend, if self.ok { "ok" } else { "unavailable" })
    }
}

/// The status of the service database and of the ephemeral store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub database: Check,
    pub cache: Check,
}

impl Status {
    /// Both dependencies answered.
    pub fn healthy(&self) -> bool {
        self.database.ok && self.cache.ok
    }
}

/// The last status of a platform's dependencies. Cloning shares it.
#[derive(Clone, Default)]
pub struct HealthMonitor {
    state: Arc<OnceCell<Arc<Shared>>>,
}

impl std::fmt::Debug for HealthMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HealthMonitor").field("started", &self.state.initialized()).finish()
    }
}

/// What the refresher and the probes share.
struct Shared {
    db: Db,
    cache: Arc<dyn Ephemeral>,
    database_ok: AtomicBool,
    cache_ok: AtomicBool,
    started: Instant,
    /// Milliseconds after `started` of the last check.
    checked_ms: AtomicU64,
}

impl HealthMonitor {
    /// The current status of `db` and `cache`. The first call checks them (concurrent first
    /// calls wait for that one check) and starts the background refresher; later calls read the
    /// last refresh. The stores of the first call are the ones watched from then on.
    pub async fn status(&self, db: &Db, cache: &Arc<dyn Ephemeral>) -> Status {
        let shared = self
            .state
            .get_or_init(|| async {
                let shared = Arc::new(Shared {
                    db: db.clone(),
                    cache: cache.clone(),
                    // Assumed up until the first check says otherwise, so only a failure is logged.
                    database_ok: AtomicBool::new(true),
                    cache_ok: AtomicBool::new(true),
                    started: Instant::now(),
                    checked_ms: AtomicU64::new(0),
                });
                shared.refresh().await;
                tokio::spawn(refresher(Arc::downgrade(&shared)));
                shared
            })
            .await;
        if shared.age() > STALE {
            shared.refresh().await;
        }
        shared.status()
    }
}

impl Shared {
    fn status(&self) -> Status {
        let db_backend = self.db.backend().name();
        Status {
            database: Check { backend: db_backend, ok: self.database_ok.load(Ordering::Acquire) },
            cache: Check { backend: self.cache.backend(), ok: self.cache_ok.load(Ordering::Acquire) },
        }
    }

    fn age(&self) -> Duration {
        let checked = Duration::from_millis(self.checked_ms.load(Ordering::Acquire));
        self.started.elapsed().saturating_sub(checked)
    }

    /// Pings the database, and the ephemeral store unless it is that same database.
    async fn refresh(&self) {
        let before = self.status();
        let database_ok = ping(before.database.backend, bounded(self.db.ping()).await, before.database.ok);
        // The platform's SQL ephemeral store is always over the service database.
        let cache_ok = if self.cache.backend() == self.db.backend().name() {
            database_ok
        } else {
            ping(before.cache.backend, bounded(self.cache.ping()).await, before.cache.ok)
        };
        self.database_ok.store(database_ok, Ordering::Release);
        self.cache_ok.store(cache_ok, Ordering::Release);
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.checked_ms.store(now, Ordering::Release);
    }
}

/// `check`, or unavailable when it takes longer than [`PING_TIMEOUT`].
async fn bounded(check: impl Future<Output = Result<(), StoreError>>) -> Result<(), StoreError> {
    tokio::time::timeout(PING_TIMEOUT, check)
        .await
        .unwrap_or_else(|_| Err(StoreError::Unavailable(format!("no answer within {PING_TIMEOUT:?}"))))
}

/// Whether `result` is a success, logging changes only (a down dependency is not logged every
/// second).
fn ping(backend: &str, result: Result<(), StoreError>, was_ok: bool) -> bool {
    match result {
        Ok(()) => {
            if !was_ok {
                tracing::info!(%backend, "health check passes");
            }
            true
        }
        Err(e) => {
            if was_ok {
                tracing::warn!(%backend, error = %e, "health check failed");
            }
            false
        }
    }
}

/// Refreshes every [`REFRESH`] until the monitor is dropped.
async fn refresher(shared: Weak<Shared>) {
    let mut tick = tokio::time::interval(REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(shared) = shared.upgrade() else { return };
        shared.refresh().await;
    }
}
