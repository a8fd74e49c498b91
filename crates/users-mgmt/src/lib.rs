//! users-mgmt: the system of record for users, attributes, passwords, PINs, passkeys, auth modules and lockout.

pub mod domain;
pub mod routes;
pub mod store;

use kit::Settings;
use kit::app::{Application, Platform, StartError};
use kit::db::Migrations;

use crate::store::Stores;

/// The service name, as in the API catalog and the service directory.
pub const SERVICE: &str = "users-mgmt";
/// The port of a single-machine deployment.
pub const DEFAULT_PORT: u16 = 8081;

/// users-mgmt's migrations (numbered from 3000).
pub static USERS_MGMT_MIGRATIONS: Migrations =
    Migrations { sqlite: &sqlx::migrate!("./migrations/sqlite"), postgres: &sqlx::migrate!("./migrations/postgres") };

/// What the handlers of `users-mgmt` share beyond the platform.
pub struct State {
    /// One store per aggregate.
    pub stores: Stores,
    /// Hashes and checks passwords (argon2id).
    pub hasher: domain::passwords::Hasher,
    /// Failed attempts and locks (see [`domain::lockout`]).
    pub lockout: domain::lockout::Lockout,
    /// A password hash of no one's password, verified for unknown users so their replies take
    /// as long as a wrong password's.
    pub decoy_hash: String,
    /// How long a proof of authentication is valid (`PROOF_OF_AUTHENTICATION_TTL_SECONDS`, 300).
    pub proof_ttl: std::time::Duration,
    /// Checks one-time passcodes (adminapi's, see [`domain::otp`]).
    pub otp: std::sync::Arc<dyn domain::otp::OtpVerifier>,
    /// Behavior auth: how many samples an enrollment takes (see [`domain::behavior`]).
    pub behavior: domain::behavior::Settings,
    /// Seals and opens the `user_token`s of behavior auth enrollments.
    pub behavior_tokens: domain::behavior::token::TokenKey,
    /// Server-held passkeys, their private keys sealed by the service's sealer
    /// (`SECRET_STORE_KEY`, or a key generated into `DATA_DIR`).
    pub passkeys: domain::passkeys::Passkeys,
    /// Seals directory credentials and passkeys at rest (`SECRET_STORE_KEY`, see [`kit::sealer`]).
    pub sealer: std::sync::Arc<kit::sealer::Sealer>,
    /// The brokers of directory modules in `mode: broker` and the requests relayed to them
    /// (`BROKER_POLL_SECONDS`, `BROKER_HEARTBEAT_SECONDS`).
    pub relay: domain::brokers::Relay,
    /// Tells a community that a broker went silent (through adminapi).
    pub notifier: domain::brokers::notify::Notifier,
    /// How far a Kerberos client's clock may be from ours, in seconds
    /// (`KERBEROS_CLOCK_SKEW_SECONDS`, 300; see [`domain::kerberos`]).
    pub kerberos_skew: i64,
    /// The HTTP client of SCEP enrollments (`SCEP_TIMEOUT_SECONDS`, 30; see [`domain::scep`]).
    pub scep_http: reqwest::Client,
}

impl State {
    /// The directory operations of the service's stores.
    pub fn directory(&self) -> domain::directory::Directory<'_> {
        domain::directory::Directory { modules: &*self.stores.modules, sealer: &self.sealer, relay: &self.relay }
    }
}

impl std::fmt::Debug for State {
    /// Without the decoy hash.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("hasher", &self.hasher)
            .field("lockout", &self.lockout)
            .field("proof_ttl", &self.proof_ttl)
            .field("otp", &self.otp)
            .field("behavior", &self.behavior)
            .finish_non_exhaustive()
    }
}

/// The other instances a broker request may be relayed to (`BROKER_PEERS`, comma-separated
/// URLs), asked with `INFRA_LICENSE_KEY`.
fn broker_peers(
    settings: &Settings,
    keys: &std::sync::Arc<envelope::KeyPair>,
) -> Result<domain::brokers::Peers, kit::config::ConfigError> {
    let urls: Vec<String> = settings.var("BROKER_PEERS")?.unwrap_or_default().split(',').map(str::to_owned).collect();
    let Some(license) = settings.infra_license_key.as_ref() else { return Ok(domain::brokers::Peers::default()) };
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .connect_timeout(std::time::Duration::from_secs(2))
        .build()
        .map_err(|e| kit::config::ConfigError(format!("broker peers client: {e}")))?;
    let client = envelope::Client::with_http(http, keys.clone())
        .license(&license.0)
        .app_id(settings.service)
        .with_headers_from(std::sync::Arc::new(kit::telemetry::inject_trace_context));
    Ok(domain::brokers::Peers::new(client, urls))
}

/// Starts storage and binds the HTTP server (`PORT=0` picks a free port).
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    let platform = Platform::start(settings, &[&USERS_MGMT_MIGRATIONS]).await?;
    let stores = Stores::sql(&platform.db);
    let hasher = domain::passwords::Hasher::from_settings(&platform.settings)?;
    let policy = domain::lockout::Policy::from_settings(&platform.settings)?;
    let lockout = domain::lockout::Lockout::new(policy, platform.shared.clone(), platform.durable.clone());
    let decoy_hash = hasher
        .hash(uuid::Uuid::new_v4().to_string())
        .await
        .map_err(|e| kit::config::ConfigError(format!("password hashing: {e}")))?;
    let proof_ttl =
        std::time::Duration::from_secs(platform.settings.parse_var("PROOF_OF_AUTHENTICATION_TTL_SECONDS", 300u64)?);
    let otp = domain::otp::for_service(&platform.settings, &platform.keys)?;
    let behavior = domain::behavior::Settings::from_settings(&platform.settings)?;
    let behavior_tokens = domain::behavior::token::TokenKey::new(&platform.keys)
        .map_err(|e| kit::config::ConfigError(format!("behavior auth: {e}")))?;
    let sealer = std::sync::Arc::new(kit::sealer::Sealer::from_settings(&platform.settings)?);
    let passkeys = domain::passkeys::Passkeys::new(stores.passkeys.clone(), sealer.clone());
    let poll_wait = platform.settings.parse_var("BROKER_POLL_SECONDS", 25u64)?.clamp(1, 300);
    let heartbeat = platform.settings.parse_var("BROKER_HEARTBEAT_SECONDS", 60u64)?.max(poll_wait + 1);
    let relay = domain::brokers::Relay {
        hub: domain::brokers::hub::Hub::new(
            std::time::Duration::from_secs(poll_wait),
            std::time::Duration::from_secs(heartbeat),
        ),
        #[allow(clippy::cast_possible_wrap)]
        brokers: domain::brokers::Brokers::new(stores.brokers.clone(), heartbeat as i64),
        peers: broker_peers(&platform.settings, &platform.keys)?,
    };
    let notifier = domain::brokers::notify::Notifier::from_settings(&platform.settings, &platform.keys)?;
    let kerberos_skew = platform.settings.parse_var("KERBEROS_CLOCK_SKEW_SECONDS", domain::kerberos::CLOCK_SKEW)?;
    if !(0..=3600).contains(&kerberos_skew) {
        return Err(kit::config::ConfigError("KERBEROS_CLOCK_SKEW_SECONDS must be between 0 and 3600".into()).into());
    }
    let scep_timeout = platform.settings.parse_var("SCEP_TIMEOUT_SECONDS", 30u64)?.clamp(1, 300);
    let scep_http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(scep_timeout))
        .connect_timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| kit::config::ConfigError(format!("scep client: {e}")))?;
    let state = State {
        stores,
        hasher,
        lockout,
        decoy_hash,
        proof_ttl,
        otp,
        behavior,
        behavior_tokens,
        passkeys,
        sealer,
        relay,
        notifier,
        kerberos_skew,
        scep_http,
    };
    Application::bind(platform, state, routes::configure)
}
