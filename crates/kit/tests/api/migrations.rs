//! The migrations of every component exist for both backends: the same files, in the same order.

use std::path::{Path, PathBuf};

/// The `migrations/` folders of the workspace's crates.
fn migration_roots() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut roots: Vec<PathBuf> = std::fs::read_dir(&crates)
        .unwrap()
        .filter_map(|e| Some(e.ok()?.path().join("migrations")))
        .filter(|p| p.is_dir())
        .collect();
    roots.sort();
    roots
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The differences between the SQLite and PostgreSQL migrations under `root`.
fn drift(root: &Path) -> Vec<String> {
    let (sqlite, postgres) = (files(&root.join("sqlite")), files(&root.join("postgres")));
    let mut found = Vec::new();
    if sqlite.is_empty() {
        found.push(format!("{}: no SQLite migrations", root.display()));
    }
    for name in sqlite.iter().filter(|n| !postgres.contains(n)) {
        found.push(format!("{}: {name} has no PostgreSQL twin", root.display()));
    }
    for name in postgres.iter().filter(|n| !sqlite.contains(n)) {
        found.push(format!("{}: {name} has no SQLite twin", root.display()));
    }
    if found.is_empty() && sqlite != postgres {
        found.push(format!("{}: the two folders list their migrations in another order", root.display()));
    }
    found
}

#[test]
fn sqlite_and_postgres_migrations_do_not_drift_apart() {
    let roots = migration_roots();
    assert!(roots.len() >= 2, "kit and adminapi have migrations: {roots:?}");
    let found: Vec<String> = roots.iter().flat_map(|r| drift(r)).collect();
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_missing_twin_is_found() {
    let root = std::env::temp_dir().join(format!("drift-{}", uuid::Uuid::new_v4().simple()));
    for (backend, name) in [("sqlite", "1_a.sql"), ("sqlite", "2_b.sql"), ("postgres", "1_a.sql")] {
        std::fs::create_dir_all(root.join(backend)).unwrap();
        std::fs::write(root.join(backend).join(name), "").unwrap();
    }
    assert_eq!(drift(&root).len(), 1);
    std::fs::write(root.join("postgres").join("2_b.sql"), "").unwrap();
    assert!(drift(&root).is_empty());
    std::fs::remove_dir_all(root).unwrap();
}
