//! The broker binary: reads its settings from the environment and runs until users-mgmt refuses
//! it (exit status 1).
//!
//! `BROKER_URL` (users-mgmt), `BROKER_KEY` or `BROKER_KEY_FILE` (the broker key),
//! `BROKER_TENANT_ID`, `BROKER_COMMUNITY_ID`, `BROKER_MODULE_ID`, `BROKER_NAME` (default the host
//! name), `BROKER_UID` (reconnect as this connection), `BROKER_WORKERS` (default 4), `RUST_LOG`.

use broker::Config;

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map(|v| v.trim().to_owned()).map_err(|_| format!("{name} is required"))
}

fn config() -> Result<Config, String> {
    let key = match std::env::var("BROKER_KEY_FILE") {
        Ok(path) => std::fs::read_to_string(&path).map_err(|e| format!("BROKER_KEY_FILE: {e}"))?.trim().to_owned(),
        Err(_) => var("BROKER_KEY")?,
    };
    let workers = match std::env::var("BROKER_WORKERS") {
        Ok(w) => w.trim().parse().map_err(|_| "BROKER_WORKERS must be a number".to_owned())?,
        Err(_) => 4,
    };
    Ok(Config {
        url: var("BROKER_URL")?,
        key,
        tenant_id: var("BROKER_TENANT_ID")?,
        community_id: var("BROKER_COMMUNITY_ID")?,
        module_id: var("BROKER_MODULE_ID")?,
        name: std::env::var("BROKER_NAME")
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "broker".to_owned()),
        uid: std::env::var("BROKER_UID").ok().filter(|u| !u.trim().is_empty()),
        workers,
    })
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let config = match config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("broker: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    tracing::info!(?config, "broker starting");
    match broker::run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(reason = %e, "broker stopped");
            std::process::ExitCode::FAILURE
        }
    }
}
