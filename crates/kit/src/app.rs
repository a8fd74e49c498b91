//! What a running service holds ([`Platform`]) and how it serves HTTP ([`serve`]).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{ErrorHandlers, NormalizePath, TrailingSlash};
use actix_web::{App, HttpServer, web};
use envelope::{Envelope, KeyPair};

use crate::config::{ConfigError, Settings};
use crate::db::{Backend, Db, KIT_MIGRATIONS, Migrations};
use crate::ephemeral::{Ephemeral, MemoryStore, RedisStore, SqlStore};
use crate::error::{StoreError, json_config, path_config, query_config, reshape_plain_errors};
use crate::license::{LicenseAuthority, LocalLicenses};

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything a service's handlers share.
#[derive(Clone)]
pub struct Platform {
    pub settings: Arc<Settings>,
    pub db: Db,
    /// Ephemeral state that must survive a restart: Redis, or the database.
    pub durable: Arc<dyn Ephemeral>,
    /// Ephemeral state shared by replicas but not worth a disk write: Redis, the PostgreSQL
    /// database, or (single-process SQLite deployments) memory.
    pub shared: Arc<dyn Ephemeral>,
    pub keys: Arc<KeyPair>,
    pub envelope: web::Data<Envelope>,
    pub licenses: web::Data<dyn LicenseAuthority>,
    /// Which tenants and communities exist (see [`crate::directory`]).
    pub directory: web::Data<dyn crate::directory::Directory>,
    /// The dependency status `/healthz` answers from (see [`crate::health`]).
    pub health: crate::health::HealthMonitor,
    /// Cache invalidations shared with the other services over Redis (see [`crate::invalidation`]).
    pub invalidations: crate::invalidation::Invalidations,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("service", &self.settings.service)
            .field("public_key", &self.keys.public_base64())
            .finish_non_exhaustive()
    }
}

impl Platform {
    /// Connects storage, runs the kit's and the service's migrations, loads the service key.
    pub async fn start(settings: Settings, migrations: &[&Migrations]) -> Result<Self, StartError> {
        let db = Db::connect(&settings.database_url.0).await?;
        let mut sets = vec![&KIT_MIGRATIONS];
        sets.extend_from_slice(migrations);
        db.migrate(&sets).await?;
        let sql = SqlStore::new(db.clone());
        sql.spawn_sweeper(Duration::from_secs(60));
        let (durable, shared): (Arc<dyn Ephemeral>, Arc<dyn Ephemeral>) = match &settings.redis_url {
            Some(url) => {
                let redis = Arc::new(RedisStore::connect(&url.0, &settings.redis_prefix).await?);
                (redis.clone(), redis)
            }
            None if db.backend() == Backend::Postgres => (Arc::new(sql.clone()), Arc::new(sql)),
            None => (Arc::new(sql), Arc::new(MemoryStore::new())),
        };
        let keys = Arc::new(crate::identity::load_service_keys(&db, &settings).await?);
        let replay = crate::replay::guard_for(&settings, &shared)?;
        let envelope = web::Data::new(Envelope::new(keys.clone(), settings.allowed_time_span, replay));
        let invalidations = crate::invalidation::Invalidations::from_settings(&settings).await?;
        let licenses = license_authority(&settings, &keys, &invalidations)?;
        let directory = crate::directory::for_service(&settings, reqwest::Client::new())?;
        Ok(Self {
            settings: Arc::new(settings),
            db,
            durable,
            shared,
            keys,
            envelope,
            licenses: web::Data::from(licenses),
            directory: web::Data::from(directory),
            health: crate::health::HealthMonitor::default(),
            invalidations,
        })
    }

    /// Replaces the license authority (the local keys are the default).
    #[must_use]
    pub fn with_licenses(mut self, authority: Arc<dyn LicenseAuthority>) -> Self {
        self.licenses = web::Data::from(authority);
        self
    }

    /// Replaces the directory of tenants and communities (adminapi's own database).
    #[must_use]
    pub fn with_directory(mut self, directory: Arc<dyn crate::directory::Directory>) -> Self {
        self.directory = web::Data::from(directory);
        self
    }
}

/// The license authority of a service: the remote one named `licenses` in the service directory
/// (cached, see [`crate::license_client`]) unless the service is the authority itself, or else
/// only the keys configured locally. The remote one drops its cached answers on `invalidations`.
fn license_authority(
    settings: &Settings,
    keys: &Arc<KeyPair>,
    invalidations: &crate::invalidation::Invalidations,
) -> Result<Arc<dyn LicenseAuthority>, ConfigError> {
    let local = LocalLicenses::from_settings(settings)?;
    let Some(url) = crate::license_client::remote_authority_url(settings) else { return Ok(Arc::new(local)) };
    let client = envelope::Client::new(keys.clone())
        .map_err(|e| ConfigError(format!("license client: {e}")))?
        .app_id(settings.service)
        .with_headers_from(Arc::new(crate::telemetry::inject_trace_context));
    let ttls = crate::license_client::CacheTtls::from_settings(settings)?;
    tracing::info!(authority = %url, "license keys are checked by the remote authority");
    let remote = crate::license_client::RemoteLicenses::new(local, client, url, ttls);
    Ok(Arc::new(remote.for_service(settings.service).invalidated_by(invalidations)))
}

/// How a service mounts its route table: `routes::configure(cfg, &state)`.
pub trait Configure<S>: Fn(&mut web::ServiceConfig, &S) + Send + Clone + 'static {}
impl<S, F: Fn(&mut web::ServiceConfig, &S) + Send + Clone + 'static> Configure<S> for F {}

/// Serves a service on `listener`: the platform and the service's `state` are registered as
/// `web::Data` (handlers take `web::Data<Platform>` and `web::Data<State>`), with the envelope
/// verifier, the license authority and the JSON error handling; `configure` mounts the route
/// table.
pub fn serve<S, F>(platform: Platform, state: S, listener: TcpListener, configure: F) -> Result<Server, StartError>
where
    S: Send + Sync + 'static,
    F: Configure<S>,
{
    let limits = crate::limits::Limits::from_settings(&platform.settings)?;
    let data = web::Data::new(platform);
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        let (state, configure) = (state.clone(), configure.clone());
        App::new()
            .wrap(ErrorHandlers::new().default_handler(reshape_plain_errors))
            .wrap(NormalizePath::new(TrailingSlash::Trim))
            .wrap(tracing_actix_web::TracingLogger::<crate::request_log::RequestLog>::new())
            // An oversized request head is refused before routing and logging.
            .wrap(limits)
            // Outermost: the metrics time the whole stack and count every reply, 414s included.
            .wrap(actix_web::middleware::from_fn(crate::metrics::http::record))
            .app_data(json_config())
            .app_data(path_config())
            .app_data(query_config())
            .app_data(data.envelope.clone())
            .app_data(data.licenses.clone())
            .app_data(data.directory.clone())
            .app_data(data.clone())
            .app_data(state.clone())
            .configure(move |cfg| configure(cfg, &state))
    })
    .listen(listener)?
    .workers(platform_workers())
    .shutdown_timeout(10)
    .run();
    Ok(server)
}

/// A bound, ready-to-run service.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds `HOST:PORT` from the settings (port 0 picks a free port) and builds the server
    /// of a service with its `state` and route table (`configure`).
    pub fn bind<S, F>(platform: Platform, state: S, configure: F) -> Result<Self, StartError>
    where
        S: Send + Sync + 'static,
        F: Configure<S>,
    {
        let listener = TcpListener::bind((platform.settings.host.as_str(), platform.settings.port))?;
        let port = listener.local_addr()?.port();
        Ok(Self { port, server: serve(platform, state, listener, configure)? })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (SIGINT / SIGTERM).
    /// A handle that stops the server (tests restart a service with it).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// `WORKERS` (default: the number of CPUs).
fn platform_workers() -> usize {
    std::env::var("WORKERS")
        .ok()
        .and_then(|w| w.parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(2))
}

/// The whole `main` of a service: settings from the environment, telemetry, storage, serve.
pub async fn run<B, Fut>(service: &'static str, default_port: u16, build: B) -> std::process::ExitCode
where
    B: FnOnce(Settings) -> Fut,
    Fut: std::future::Future<Output = Result<Application, StartError>>,
{
    let settings = match Settings::from_env(service, default_port) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{service}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let _telemetry = crate::telemetry::init(service, settings.log_json);
    let app = match build(settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "{service} could not start");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(port = app.port(), version = crate::VERSION, "{service} listening");
    match app.run_until_stopped().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "{service} stopped with an error");
            std::process::ExitCode::FAILURE
        }
    }
}
