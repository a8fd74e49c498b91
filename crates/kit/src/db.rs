//! The service database: SQLite (a file under `./data`, the embedded default) or PostgreSQL,
//! chosen by the URL, behind one sqlx `Any` pool. Queries are portable SQL with `$1` placeholders
//! and TEXT / BIGINT columns; each backend has its own embedded migrations.

use std::time::Duration;

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;

use crate::error::StoreError;

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            Err(StoreError::Unavailable("DATABASE_URL must start with sqlite: or postgres://".into()))
        }
    }
}

/// The migrations of one component, for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    pub sqlite: &'static Migrator,
    pub postgres: &'static Migrator,
}

/// The migrations every service runs: the `ephemeral` table and the service identity.
pub static KIT_MIGRATIONS: Migrations =
    Migrations { sqlite: &sqlx::migrate!("./migrations/sqlite"), postgres: &sqlx::migrate!("./migrations/postgres") };

/// A connection pool and its backend.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects; for SQLite, creates the file (and its folder) if needed and turns on WAL.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let (url, max) = match backend {
            Backend::Sqlite => (sqlite_url(url)?, 4),
            Backend::Postgres => (url.to_owned(), 10),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings every connection it hands out by default: one more round trip per
            // statement. An embedded SQLite connection cannot drop; PostgreSQL keeps the check.
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA busy_timeout = 5000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        Ok(Self { pool, backend })
    }

    /// Runs the migrations of each component in order. Components number their migrations in
    /// separate ranges (kit 1000–1999, adminapi 2000–2999 and 4000–4999, users-mgmt 3000–3999),
    /// so one database can hold them all; `migration_ranges` below checks it.
    pub async fn migrate(&self, sets: &[&Migrations]) -> Result<(), StoreError> {
        for set in sets {
            let migrator = match self.backend {
                Backend::Sqlite => set.sqlite,
                Backend::Postgres => set.postgres,
            };
            let m = Migrator {
                migrations: migrator.migrations.clone(),
                ignore_missing: true,
                locking: migrator.locking,
                no_tx: migrator.no_tx,
                table_name: migrator.table_name.clone(),
                create_schemas: migrator.create_schemas.clone(),
            };
            m.run(&self.pool).await.map_err(|e| StoreError::Unavailable(format!("migrations: {e}")))?;
        }
        Ok(())
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Adds `mode=rwc` and creates the parent folder of a SQLite file URL.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or_default();
    let parent = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent.filter(|_| path != ":memory:") {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", parent.display())))?;
    }
    Ok(if url.contains("mode=") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

#[cfg(test)]
mod migration_ranges {
    use std::collections::BTreeMap;
    use std::path::Path;

    /// Each component's range(s) of migration versions.
    const RANGES: &[(&str, &[(i64, i64)])] =
        &[("kit", &[(1000, 1999)]), ("adminapi", &[(2000, 2999), (4000, 4999)]), ("users-mgmt", &[(3000, 3999)])];

    fn versions(dir: &Path) -> Vec<(i64, String)> {
        let mut out: Vec<(i64, String)> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| {
                        let name = e.file_name().to_string_lossy().into_owned();
                        let version = name.split('_').next()?.parse().ok()?;
                        Some((version, name))
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    }

    /// Services may share one database (the chart's `global.database`), where a version two
    /// components both use fails the second to migrate ("previously applied but modified").
    #[test]
    fn every_component_numbers_its_migrations_in_its_own_range_on_both_backends() {
        let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut owner: BTreeMap<i64, String> = BTreeMap::new();
        for entry in std::fs::read_dir(&crates).unwrap().flatten() {
            let component = entry.file_name().to_string_lossy().into_owned();
            let sqlite = versions(&entry.path().join("migrations/sqlite"));
            let postgres = versions(&entry.path().join("migrations/postgres"));
            assert_eq!(sqlite, postgres, "{component}: the same migrations for SQLite and PostgreSQL");
            if sqlite.is_empty() {
                continue;
            }
            let ranges = RANGES.iter().find(|(c, _)| *c == component).map(|(_, r)| *r);
            let ranges = ranges.unwrap_or_else(|| panic!("{component} has migrations but no range here"));
            for (version, name) in sqlite {
                assert!(
                    ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&version)),
                    "{component}/{name}: outside {ranges:?}"
                );
                if let Some(other) = owner.insert(version, format!("{component}/{name}")) {
                    panic!("version {version} is used twice: {other} and {component}/{name}");
                }
            }
        }
        assert!(owner.len() > 20, "the migrations were found");
    }
}
