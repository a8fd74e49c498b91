//! Settings every service reads from its environment.
//!
//! Each variable may instead be given as `NAME_FILE`, the path of a file holding the value (a
//! mounted Kubernetes secret); the file wins when both are set. Secrets never appear in `Debug`.

use std::collections::BTreeMap;
use std::time::Duration;

use envelope::Curve;

/// A configuration mistake, reported before the service starts.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

/// Where configuration values come from: the process environment, or a map in tests.
pub trait Source {
    /// The raw value of a variable.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl Source for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}

/// Reads `NAME` (or the file named by `NAME_FILE`), trimmed; empty is absent.
pub fn read(src: &dyn Source, name: &str) -> Result<Option<String>, ConfigError> {
    if let Some(path) = src.var(&format!("{name}_FILE")).filter(|p| !p.trim().is_empty()) {
        let text = std::fs::read_to_string(path.trim()).map_err(|e| ConfigError(format!("{name}_FILE={path}: {e}")))?;
        return Ok(Some(text.trim().to_owned()).filter(|s| !s.is_empty()));
    }
    Ok(src.var(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()))
}

fn parse<T: std::str::FromStr>(src: &dyn Source, name: &str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match read(src, name)? {
        None => Ok(default),
        Some(v) => v.parse().map_err(|e| ConfigError(format!("{name}={v:?}: {e}"))),
    }
}

/// A secret value: shown as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A snapshot of the configuration source, for service-specific variables. Never printed.
#[derive(Clone, Default)]
pub struct Vars(std::sync::Arc<BTreeMap<String, String>>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vars({} variables)", self.0.len())
    }
}

impl Source for Vars {
    fn var(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

/// The settings shared by all services.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `users-mgmt`, `adminapi` or `sessions`.
    pub service: &'static str,
    /// `HOST`, default `0.0.0.0`.
    pub host: String,
    /// `PORT`, default per service (8081 users-mgmt, 8082 adminapi, 8083 sessions).
    pub port: u16,
    /// `DATA_DIR`, default `./data`: the embedded database lives here.
    pub data_dir: String,
    /// `DATABASE_URL`: `sqlite://…` or `postgres://…`; default a SQLite file in `DATA_DIR`.
    pub database_url: Secret,
    /// `REDIS_URL`: ephemeral state in Redis instead of in-process and in the database.
    pub redis_url: Option<Secret>,
    /// `REDIS_PREFIX`, default `blockid:`.
    pub redis_prefix: String,
    /// `EC_CURVE_NAME`: `secp256k1` (default) or `prime256v1`.
    pub curve: Curve,
    /// `ALLOWED_TIME_SPAN` seconds a `requestid` ts may be from now, default 60.
    pub allowed_time_span: Duration,
    /// `INFRA_LICENSE_KEY`: a service-level license key.
    pub infra_license_key: Option<Secret>,
    /// `LICENSE_KEYS`: extra local keys, `level:key` separated by commas.
    pub license_keys: Option<Secret>,
    /// `SERVICE_PRIVATE_KEY`: the service's private key; default generated once and stored.
    pub service_private_key: Option<Secret>,
    /// `SERVICE_DIRECTORY`: JSON object name → base URL, served by `/sd`.
    pub service_directory: BTreeMap<String, String>,
    /// `LOG_FORMAT`: `json` or `text` (default).
    pub log_json: bool,
    /// Every variable of the source, for [`Settings::var`] and [`Settings::parse_var`].
    vars: Vars,
}

impl Settings {
    /// Reads the settings of `service` from the process environment.
    pub fn from_env(service: &'static str, default_port: u16) -> Result<Self, ConfigError> {
        let vars: BTreeMap<String, String> = std::env::vars().collect();
        Self::from_source(&vars, service, default_port)
    }

    /// Reads the settings of `service` from any source.
    pub fn from_source(
        src: &BTreeMap<String, String>,
        service: &'static str,
        default_port: u16,
    ) -> Result<Self, ConfigError> {
        let vars = Vars(std::sync::Arc::new(src.clone()));
        let src: &dyn Source = src;
        let data_dir = read(src, "DATA_DIR")?.unwrap_or_else(|| "./data".into());
        let database_url = read(src, "DATABASE_URL")?
            .unwrap_or_else(|| format!("sqlite://{}/{service}.db", data_dir.trim_end_matches('/')));
        let curve = Curve::from_name(&read(src, "EC_CURVE_NAME")?.unwrap_or_default())
            .map_err(|e| ConfigError(format!("EC_CURVE_NAME: {e}")))?;
        let span: u64 = parse(src, "ALLOWED_TIME_SPAN", 60)?;
        if span == 0 || span > 86_400 {
            return Err(ConfigError(format!("ALLOWED_TIME_SPAN={span}: must be 1..=86400 seconds")));
        }
        let service_directory = match read(src, "SERVICE_DIRECTORY")? {
            None => default_directory(),
            Some(json) => serde_json::from_str(&json)
                .map_err(|e| ConfigError(format!("SERVICE_DIRECTORY must be a JSON object of URLs: {e}")))?,
        };
        let log_format = read(src, "LOG_FORMAT")?.unwrap_or_default();
        Ok(Self {
            service,
            host: read(src, "HOST")?.unwrap_or_else(|| "0.0.0.0".into()),
            port: parse(src, "PORT", default_port)?,
            data_dir,
            database_url: Secret(database_url),
            redis_url: read(src, "REDIS_URL")?.map(Secret),
            redis_prefix: read(src, "REDIS_PREFIX")?.unwrap_or_else(|| "blockid:".into()),
            curve,
            allowed_time_span: Duration::from_secs(span),
            infra_license_key: read(src, "INFRA_LICENSE_KEY")?.map(Secret),
            license_keys: read(src, "LICENSE_KEYS")?.map(Secret),
            service_private_key: read(src, "SERVICE_PRIVATE_KEY")?.map(Secret),
            service_directory,
            log_json: log_format.eq_ignore_ascii_case("json"),
            vars,
        })
    }

    /// A service-specific variable (`NAME` or `NAME_FILE`), trimmed; empty is absent.
    pub fn var(&self, name: &str) -> Result<Option<String>, ConfigError> {
        read(&self.vars, name)
    }

    /// A service-specific variable parsed, or `default` when absent.
    pub fn parse_var<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        parse(&self.vars, name, default)
    }

    /// The base URL of a service named in the directory.
    pub fn service_url(&self, name: &str) -> Option<&str> {
        self.service_directory.get(name).map(String::as_str)
    }
}

/// The directory of a single-machine deployment on the default ports.
pub fn default_directory() -> BTreeMap<String, String> {
    [
        ("users-mgmt", "http://127.0.0.1:8081"),
        ("adminapi", "http://127.0.0.1:8082"),
        ("sessions", "http://127.0.0.1:8083"),
        ("licenses", "http://127.0.0.1:8082"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let s = Settings::from_source(&env(&[]), "sessions", 8083).unwrap();
        assert_eq!(s.port, 8083);
        assert_eq!(s.database_url.0, "sqlite://./data/sessions.db");
        assert_eq!(s.curve, Curve::Secp256k1);
        assert_eq!(s.allowed_time_span, Duration::from_secs(60));
        assert!(s.redis_url.is_none());
        assert_eq!(s.service_url("licenses"), Some("http://127.0.0.1:8082"));
    }

    #[test]
    fn file_variables_and_bad_values() {
        let dir = std::env::temp_dir().join(format!("kit-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("infra");
        std::fs::write(&file, "secret-key\n").unwrap();
        let s = Settings::from_source(
            &env(&[("INFRA_LICENSE_KEY_FILE", file.to_str().unwrap()), ("EC_CURVE_NAME", "prime256v1")]),
            "adminapi",
            8082,
        )
        .unwrap();
        assert_eq!(s.infra_license_key.as_ref().unwrap().0, "secret-key");
        assert!(!format!("{s:?}").contains("secret-key"));
        assert_eq!(s.curve, Curve::P256);
        assert!(Settings::from_source(&env(&[("PORT", "eighty")]), "adminapi", 1).is_err());
        assert!(Settings::from_source(&env(&[("EC_CURVE_NAME", "ed25519")]), "adminapi", 1).is_err());
        assert!(Settings::from_source(&env(&[("ALLOWED_TIME_SPAN", "0")]), "adminapi", 1).is_err());
        assert!(Settings::from_source(&env(&[("SERVICE_DIRECTORY", "[1]")]), "adminapi", 1).is_err());
    }
}
