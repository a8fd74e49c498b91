//! The `adminapi` command line: serve (the default), or manage tenants, communities, license
//! keys and users' roles in the database named by the same environment (`DATA_DIR`, `DATABASE_URL`), and bootstrap.
//! Commands print JSON on stdout.
//!
//! `license disable` and `license enable` also tell the services sharing Redis (`REDIS_URL`,
//! `REDIS_PREFIX`) to drop what they cached about the key ([`kit::invalidation`]); when that
//! fails the command still succeeds (the database change is done) with a warning on stderr.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use kit::Settings;
use kit::db::{Db, KIT_MIGRATIONS};
use kit::invalidation::{Invalidations, Topic};
use kit::license::{KeyType, Level, secret_hash};
use serde::Serialize;

use crate::domain::bootstrap::{self, BootstrapOptions};
use crate::domain::licenses::{self, LicenseSpec, community_list};
use crate::domain::tenancy;
use crate::store::Stores;

/// adminapi: the control plane and license authority of the platform.
#[derive(Debug, Parser)]
#[command(name = "adminapi", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default).
    Serve,
    /// Prints the OpenAPI document of the service (pretty JSON) and exits.
    Openapi,
    /// Tenants.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Communities.
    #[command(subcommand)]
    Community(CommunityCommand),
    /// License keys.
    #[command(subcommand)]
    License(LicenseCommand),
    /// Roles of users (tenant_admin, community_admin, helpdesk, user).
    #[command(subcommand)]
    Role(RoleCommand),
    /// The communities' OpenID Connect providers.
    #[command(subcommand)]
    Oidc(OidcCommand),
    /// Creates, on the first run only, a default tenant, community and system license, writes
    /// them to the bootstrap file and prints them. Later runs find and print the same ones.
    Bootstrap {
        /// Where to write the result (mode 0600: it holds the system license key).
        #[arg(long, default_value = "./data/bootstrap.json")]
        out: PathBuf,
        #[arg(long, default_value = "localhost")]
        dns: String,
        #[arg(long, default_value = "default")]
        community: String,
        #[arg(long, default_value = "Default tenant")]
        tenant_name: String,
        #[arg(long, default_value = "default")]
        tenant_tag: String,
        /// Validity of the system license, in days (at least 1).
        #[arg(long, default_value_t = 3650, value_parser = clap::value_parser!(i64).range(1..=36_500))]
        days: i64,
    },
}

/// `adminapi tenant …`.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Creates a tenant.
    Create {
        #[arg(long)]
        dns: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "default")]
        tag: String,
    },
}

/// `adminapi community …`.
#[derive(Debug, Subcommand)]
pub enum CommunityCommand {
    /// Creates a community of a tenant (named by id or dns).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
    },
}

/// `adminapi license …`.
#[derive(Debug, Subcommand)]
pub enum LicenseCommand {
    /// Creates a license key and prints it (with its secret).
    Create {
        /// system, service, service_ext, app or app_ext.
        #[arg(long)]
        level: String,
        /// hawk or ecdsa.
        #[arg(long = "type", default_value = "hawk")]
        key_type: String,
        #[arg(long, default_value = "cli")]
        tag: String,
        /// Validity in days from now (at least 1).
        #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(i64).range(1..=36_500), conflicts_with = "expires_at")]
        days: i64,
        /// The expiry instead, as RFC 3339 (`2030-01-01T00:00:00Z`) or epoch seconds; may be in the
        /// past (to make an expired key for a test).
        #[arg(long, value_parser = parse_instant)]
        expires_at: Option<i64>,
        /// Community ids the key is limited to, comma separated (default: all).
        #[arg(long)]
        communities: Option<String>,
    },
    /// Disables a key (by keyId).
    Disable { key_id: String },
    /// Enables a key again (by keyId).
    Enable { key_id: String },
    /// Lists the keys.
    List,
}

/// `adminapi role …`.
#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Gives a role to a user of a community (the uid users-mgmt gave the user), replacing the
    /// role it had there; it applies from the user's next login.
    Grant {
        #[arg(long)]
        community: String,
        #[arg(long)]
        uid: String,
        /// tenant_admin, community_admin, helpdesk or user.
        #[arg(long)]
        role: String,
    },
}

/// `adminapi oidc …`.
#[derive(Debug, Subcommand)]
pub enum OidcCommand {
    /// Replaces a community's ID token signing key now (say, after a suspected leak); the old
    /// key stays in the JWKS until the tokens it signed have expired. Prints the new key id.
    RotateKey {
        #[arg(long)]
        community: String,
        /// ES256 or RS256.
        #[arg(long, default_value = "ES256")]
        alg: String,
    },
}

/// Runs a management command with the settings of the environment.
pub async fn execute(settings: &Settings, command: Command) -> Result<(), String> {
    let db = Db::connect(&settings.database_url.0).await.map_err(|e| e.to_string())?;
    db.migrate(&[&KIT_MIGRATIONS, &crate::ADMINAPI_MIGRATIONS]).await.map_err(|e| e.to_string())?;
    let stores = Stores::sql(&db);
    let store = &*stores.tenancy;
    let err = |e: crate::domain::DomainError| e.to_string();
    match command {
        Command::Serve | Command::Openapi => Err("serve and openapi are not management commands".into()),
        Command::Tenant(TenantCommand::Create { dns, name, tag }) => {
            print(&tenancy::create_tenant(store, &dns, &name, &tag).await.map_err(err)?)
        }
        Command::Community(CommunityCommand::Create { tenant, name }) => {
            print(&tenancy::create_community(store, &tenant, &name).await.map_err(err)?)
        }
        Command::License(LicenseCommand::Create { level, key_type, tag, days, expires_at, communities }) => {
            let spec = LicenseSpec {
                key_type: KeyType::from_name(&key_type).ok_or("--type must be hawk or ecdsa")?,
                level: Level::from_name(&level)
                    .ok_or("--level must be system, service, service_ext, app or app_ext")?,
                tag,
                expiry: expires_at.unwrap_or_else(|| envelope::wire::now_epoch() + days * 86_400),
                communities: communities.as_deref().map(community_list).transpose().map_err(err)?,
            };
            print(&licenses::create_license(store, &*stores.licenses, &spec, settings.curve).await.map_err(err)?)
        }
        Command::License(LicenseCommand::Disable { key_id }) => {
            stores.licenses.set_disabled(&key_id, true).await.map_err(|e| format!("{key_id}: {e}"))?;
            publish_license_change(settings, &stores, &key_id).await;
            print(&serde_json::json!({"keyId": key_id, "disabled": true}))
        }
        Command::License(LicenseCommand::Enable { key_id }) => {
            // Published too: the services may hold a cached refusal of the key.
            stores.licenses.set_disabled(&key_id, false).await.map_err(|e| format!("{key_id}: {e}"))?;
            publish_license_change(settings, &stores, &key_id).await;
            print(&serde_json::json!({"keyId": key_id, "disabled": false}))
        }
        Command::License(LicenseCommand::List) => print(&stores.licenses.licenses().await.map_err(|e| e.to_string())?),
        Command::Role(RoleCommand::Grant { community, uid, role }) => {
            let id = crate::domain::ids::object_id("--community", &community).map_err(err)?;
            let found =
                store.community(&id).await.map_err(|e| e.to_string())?.ok_or("--community: no such community")?;
            let a = crate::domain::authz::assign(&*stores.authz, &found.tenant_id, &found.id, &uid, &role, "cli")
                .await
                .map_err(err)?;
            print(
                &serde_json::json!({"tenantId": a.tenant_id, "communityId": a.community_id, "uid": a.uid, "role": a.role}),
            )
        }
        Command::Oidc(OidcCommand::RotateKey { community, alg }) => {
            let id = crate::domain::ids::object_id("--community", &community).map_err(err)?;
            let found =
                store.community(&id).await.map_err(|e| e.to_string())?.ok_or("--community: no such community")?;
            let sealer = std::sync::Arc::new(
                crate::domain::secrets::Sealer::from_settings(settings).map_err(|e| e.to_string())?,
            );
            let keys = crate::oidc_keys(settings, &stores, &sealer).map_err(|e| e.to_string())?;
            let alg = alg.trim().to_ascii_uppercase();
            let kid = keys.rotate(&found.tenant_id, &found.id, &alg, envelope::wire::now_epoch()).await.map_err(err)?;
            print(&serde_json::json!({"communityId": found.id, "alg": alg, "kid": kid}))
        }
        Command::Bootstrap { out, dns, community, tenant_name, tenant_tag, days } => {
            let urls: BTreeMap<String, String> = ["users-mgmt", "adminapi", "sessions"]
                .into_iter()
                .filter_map(|s| Some((s.to_owned(), settings.service_url(s)?.to_owned())))
                .collect();
            let options = BootstrapOptions {
                dns,
                tenant_name,
                tenant_tag,
                community_name: community,
                license_days: days,
                curve: settings.curve,
                urls,
            };
            let (mut result, created) = bootstrap::ensure(&stores, &options).await.map_err(err)?;
            result.admin = bootstrap_administrator(settings, &stores, &result, &out).await?;
            write_private(&out, &result)?;
            eprintln!("{} {}", if created { "bootstrap created:" } else { "bootstrap reused:" }, out.display());
            print(&result)
        }
    }
}

/// The first administrator when users-mgmt is configured (`SERVICE_DIRECTORY` and
/// `INFRA_LICENSE_KEY`, as `make run` sets them once the services answer); none otherwise.
async fn bootstrap_administrator(
    settings: &Settings,
    stores: &Stores,
    result: &bootstrap::Bootstrap,
    out: &std::path::Path,
) -> Result<Option<crate::domain::bootstrap_admin::Admin>, String> {
    if settings.service_url(crate::users_mgmt::SERVICE).is_none() || settings.infra_license_key.is_none() {
        eprintln!("bootstrap: no users-mgmt in SERVICE_DIRECTORY or no INFRA_LICENSE_KEY: no administrator made");
        return Ok(None);
    }
    let keys = std::sync::Arc::new(envelope::KeyPair::generate(settings.curve).map_err(|e| e.to_string())?);
    let users = crate::users_mgmt::UsersMgmt::from_settings(settings, &keys).map_err(|e| e.to_string())?;
    let previous = std::fs::read_to_string(out)
        .ok()
        .and_then(|text| serde_json::from_str::<bootstrap::Bootstrap>(&text).ok())
        .and_then(|b| b.admin);
    let community = kit::directory::CommunityRef {
        id: result.community_id.clone(),
        name: result.community_name.clone(),
        tenant_id: result.tenant_id.clone(),
        tenant_dns: result.dns.clone(),
    };
    let admin = crate::domain::bootstrap_admin::ensure(stores, &users, &community, previous)
        .await
        .map_err(|e| format!("bootstrap administrator: {e}"))?;
    eprintln!("bootstrap: administrator {} (tenant_admin) ready", admin.username);
    Ok(Some(admin))
}

/// Tells the services sharing Redis, when `REDIS_URL` is set, that the key `key_id` changed. A
/// failure is a warning on stderr: the change is in the database, and the services' caches
/// expire with `LICENSE_CACHE_TTL`.
async fn publish_license_change(settings: &Settings, stores: &Stores, key_id: &str) {
    if settings.redis_url.is_none() {
        return;
    }
    let published = async {
        // Caches name a key by its secret's hash (for a hawk key that is its keyId, not for ecdsa).
        let record = stores.licenses.license(key_id).await?.ok_or(kit::StoreError::NotFound)?;
        let invalidations = Invalidations::from_settings(settings).await?;
        invalidations.try_publish(Topic::License, &secret_hash(&record.key_secret)).await
    };
    if let Err(e) = published.await {
        eprintln!(
            "adminapi: warning: the services sharing Redis were not told ({e}); they may accept cached answers \
             about this key for up to LICENSE_CACHE_TTL"
        );
    }
}

/// An instant given as RFC 3339 or epoch seconds.
fn parse_instant(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(epoch) = text.parse::<i64>() {
        return Ok(epoch);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp())
        .map_err(|_| "expected RFC 3339 (2030-01-01T00:00:00Z) or epoch seconds".to_owned())
}

fn print<T: Serialize>(value: &T) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// Writes `value` as JSON to `path`, readable by its owner only.
fn write_private<T: Serialize>(path: &std::path::Path, value: &T) -> Result<(), String> {
    use std::io::Write as _;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    let mut file = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.write_all(format!("{text}\n").as_bytes()).map_err(|e| format!("{}: {e}", path.display()))
}
