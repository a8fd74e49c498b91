//! The command line, and the one rule about targets: loopback only.

use std::net::{Ipv4Addr, Ipv6Addr};

use clap::{Parser, ValueEnum};

/// A bounded load run against one BlockID service on this machine. Prints a Markdown table:
/// one row per scenario (req/s, p50/p99/max latency, statuses, the service's CPU time per
/// request and its RSS), with ratios to `GET /publickeys` of the same run.
#[derive(Debug, Parser)]
#[command(name = "loadgen", version)]
pub struct Cli {
    /// Base URL of the service: http:// on a loopback address (127.0.0.0/8, [::1], localhost).
    #[arg(long, env = "LOADGEN_URL", default_value = "http://127.0.0.1:8083")]
    pub url: String,
    /// A scenario to run (repeatable; `publickeys` always runs first when asked for).
    /// Default: publickeys, healthz, session-new, session-poll.
    #[arg(long = "scenario", value_enum)]
    pub scenarios: Vec<ScenarioKind>,
    /// The path of the `raw` scenario (a plain GET), e.g. `/no/such/path`.
    #[arg(long, env = "LOADGEN_RAW_PATH")]
    pub raw_path: Option<String>,
    /// Instead of `--raw-path`: a generated path of this many characters (`/aaa…`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub raw_path_length: Option<u32>,
    /// Seconds each scenario runs at most.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration: u64,
    /// Requests each scenario sends at most (the first bound reached stops it).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub requests: Option<u64>,
    /// Requests in flight.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// License key for the signed scenarios (session-new, session-poll, user-login, user-create).
    #[arg(long, env = "LOADGEN_LICENSE_KEY", hide_env_values = true)]
    pub license: Option<String>,
    /// The user the adminapi scenarios sign in as (admin-login, admin-users-fetch).
    #[arg(long, env = "LOADGEN_USERNAME", default_value = "admin")]
    pub username: String,
    /// Their password.
    #[arg(long, env = "LOADGEN_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// The tenant of the users-mgmt and adminapi scenarios.
    #[arg(long, env = "LOADGEN_TENANT_ID", default_value = "000000000000000000000000")]
    pub tenant_id: String,
    /// `origin.communityId` of the sessions created; the community of the users-mgmt scenarios.
    #[arg(long, env = "LOADGEN_COMMUNITY_ID", default_value = "000000000000000000000001")]
    pub community_id: String,
    /// `origin.communityName` of the sessions created.
    #[arg(long, env = "LOADGEN_COMMUNITY_NAME", default_value = "default")]
    pub community_name: String,
    /// The `config` (JSON) of the `ldap` module the directory-login scenario creates (hosts,
    /// bind, search; see users-mgmt's `module/create`); it signs in as `--username` / `--password`.
    #[arg(long, env = "LOADGEN_DIRECTORY_CONFIG", hide_env_values = true)]
    pub directory_config: Option<String>,
    /// An existing directory module for the directory-login scenario (say one in `mode: broker`
    /// with its broker running) instead of creating one from `--directory-config`.
    #[arg(long, env = "LOADGEN_DIRECTORY_MODULE")]
    pub directory_module: Option<String>,
    /// The service's curve (`EC_CURVE_NAME`): secp256k1 or prime256v1.
    #[arg(long, env = "LOADGEN_CURVE", default_value = "secp256k1")]
    pub curve: String,
    /// The service's pid, for CPU time and RSS; default: the process listening on the URL's port.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Also sample the service's RSS every this many seconds (a soak run) and print the samples.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub rss_every: Option<u64>,
    /// A heading printed above the table (e.g. the store under test).
    #[arg(long)]
    pub label: Option<String>,
}

/// The built-in scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum ScenarioKind {
    /// `GET /publickeys`, plain (the baseline of the ratios).
    Publickeys,
    /// `GET /healthz`, plain (pings the database and the ephemeral store).
    Healthz,
    /// `PUT /session/new`, signed, with a sealed body.
    SessionNew,
    /// `GET /session/{id}/response` of one session created first and never answered (404), signed.
    SessionPoll,
    /// A plain GET of `--raw-path` (or a generated `--raw-path-length` path).
    Raw,
    /// users-mgmt `POST …/user/authenticate` with the right password of one user created first
    /// (in a db module created first), signed and sealed: one argon2id verification each.
    UserLogin,
    /// users-mgmt `POST …/user/authenticate` of `--username` / `--password` in an `ldap` module
    /// created first from `--directory-config`: a search and a bind in the directory each.
    DirectoryLogin,
    /// users-mgmt `PUT …/users/create` of one new user (a fresh username each time) with a
    /// password, signed and sealed: one argon2id hash and one insert each.
    UserCreate,
    /// users-mgmt `POST …/users/fetch` of a page of 25 users of the community's db module,
    /// signed with the license (the direct side of the proxy-hop comparison).
    UsersFetch,
    /// adminapi `POST /verifyuser` of `--username` / `--password`, signed, no license: a login
    /// (users-mgmt checks the password; adminapi opens a session and signs its token).
    AdminLogin,
    /// adminapi `POST /users/fetch` of the same page with the access token of one login made
    /// first: adminapi checks the session and calls users-mgmt.
    AdminUsersFetch,
}

impl ScenarioKind {
    /// The default run.
    pub const DEFAULT: [Self; 4] = [Self::Publickeys, Self::Healthz, Self::SessionNew, Self::SessionPoll];
}

/// The base URL of a loopback target (`http://127.0.0.1:8083`) and its port, or why not.
/// `localhost` becomes `127.0.0.1` so no resolver can send the load elsewhere.
pub fn loopback_target(url: &str) -> Result<(String, u16), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--url is not a URL: {e}"))?;
    if parsed.scheme() != "http" {
        return Err("--url must be http:// (a service on this machine)".into());
    }
    let host = parsed.host_str().unwrap_or_default();
    let host = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<Ipv6Addr>().ok().filter(Ipv6Addr::is_loopback).map(|ip| format!("[{ip}]"))
    } else if host.eq_ignore_ascii_case("localhost") {
        Some(Ipv4Addr::LOCALHOST.to_string())
    } else {
        host.parse::<Ipv4Addr>().ok().filter(Ipv4Addr::is_loopback).map(|ip| ip.to_string())
    };
    let host = host.ok_or("--url must name a loopback address (127.0.0.0/8, [::1] or localhost)")?;
    if !matches!(parsed.path(), "" | "/") || parsed.query().is_some() {
        return Err("--url is the service's base URL, without a path".into());
    }
    let port = parsed.port_or_known_default().unwrap_or(80);
    Ok((format!("http://{host}:{port}"), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_targets_are_accepted() {
        assert_eq!(loopback_target("http://127.0.0.1:8083").unwrap(), ("http://127.0.0.1:8083".into(), 8083));
        assert_eq!(loopback_target("http://127.9.8.7:1/").unwrap().0, "http://127.9.8.7:1");
        assert_eq!(loopback_target("http://localhost:8082").unwrap().0, "http://127.0.0.1:8082");
        assert_eq!(loopback_target("http://[::1]:8081").unwrap().0, "http://[::1]:8081");
        assert_eq!(loopback_target("http://127.0.0.1").unwrap().1, 80);
        for refused in [
            "http://10.0.0.5:8083",
            "http://192.168.1.1:8083",
            "http://0.0.0.0:8083",
            "http://example.com:8083",
            "http://localhost.example.com:8083",
            "http://127.0.0.1.nip.io:8083",
            "http://[::ffff:10.0.0.1]:8083",
            "http://[2001:db8::1]:8083",
            "https://127.0.0.1:8083",
            "http://127.0.0.1:8083/session",
            "127.0.0.1:8083",
        ] {
            assert!(loopback_target(refused).is_err(), "{refused} was accepted");
        }
    }
}
