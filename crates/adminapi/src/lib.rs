//! adminapi: the control plane: tenants, communities, licenses, admin login, configuration, providers, reports.
//!
//! It is also the license authority of the platform: its own handlers check keys against its
//! database ([`authority::DbLicenses`]), and the other services ask it over HTTP.

pub mod assets;
pub mod authority;
pub mod cli;
pub mod delivery;
pub mod domain;
pub mod remote;
pub mod routes;
pub mod session;
pub mod store;
pub mod users_mgmt;

use std::sync::Arc;

use kit::Settings;
use kit::app::{Application, Platform, StartError};
use kit::clock::{SystemClock, WallClock};
use kit::db::Migrations;
use kit::license::LocalLicenses;

use crate::authority::DbLicenses;
use crate::store::Stores;

/// The service name, as in the API catalog and the service directory.
pub const SERVICE: &str = "adminapi";
/// The port of a single-machine deployment.
pub const DEFAULT_PORT: u16 = 8082;

/// adminapi's migrations (numbered from 2000).
pub static ADMINAPI_MIGRATIONS: Migrations =
    Migrations { sqlite: &sqlx::migrate!("./migrations/sqlite"), postgres: &sqlx::migrate!("./migrations/postgres") };

/// What adminapi's handlers share beyond the platform.
#[derive(Debug)]
pub struct State {
    /// One store per aggregate.
    pub stores: Stores,
    /// The license authority over the license store.
    pub authority: Arc<DbLicenses>,
    /// users-mgmt, where users and their passwords live.
    pub users_mgmt: users_mgmt::UsersMgmt,
    /// The sessions service, where the QR logins of the admin console run.
    pub sessions_service: remote::Remote,
    /// The QR sessions adminapi opened, waiting for their answer (`QR_SESSION_TTL_SECONDS`,
    /// `SESSIONS_PUBLIC_URL`, `SESSION_ENV`).
    pub qr_logins: domain::qr_login::QrLogins,
    /// Login sessions of signed-in users (in the durable ephemeral store).
    pub sessions: domain::login::LoginSessions,
    /// Checks the login session of the routes that need one.
    pub gate: Arc<session::Gate>,
    /// Community settings, cached and invalidated on every instance.
    pub configs: domain::config::Configs,
    /// Seals values at rest (secrets, gateway credentials) under the deployment's key.
    pub sealer: Arc<domain::secrets::Sealer>,
    /// The communities' secret stores.
    pub secrets: domain::secrets::Secrets,
    /// The communities' message gateways.
    pub gateways: domain::msg_gateway::Gateways,
    /// The communities' RADIUS configurations (shared secrets sealed).
    pub radius: domain::radius::ProxyConfigs,
    /// The communities' Auth Proxy configurations (shared secrets sealed).
    pub auth_proxies: domain::radius::ProxyConfigs,
    /// The communities' identity providers (`/idp`; client secrets sealed).
    pub identity_providers: domain::identity_providers::Providers,
    /// The communities' external IdPs (`/external_idp`; client secrets sealed).
    pub external_idps: domain::identity_providers::Providers,
    /// Sends email, SMS and voice messages through the communities' gateways (for the OTP and
    /// invitation flows).
    pub messenger: domain::messaging::Messenger,
    /// One-time passcodes (the SDKs' `BIDOTP` and the helpdesk passcodes), in the durable
    /// ephemeral store, MACed under a subkey of the sealer's key.
    pub otps: domain::otp::Otps,
    /// The users' account OTPs (rolling codes derived under the sealer's key).
    pub account_otps: domain::account_otp::AccountOtps,
    /// The communities' hardware tokens (HOTP, TOTP), seeds sealed by the sealer.
    pub hardware_tokens: domain::hardware_tokens::HardwareTokens,
    /// WebAuthn security keys: their ceremonies (state in the durable ephemeral store for
    /// `WEBAUTHN_CEREMONY_TTL_SECONDS`), credentials and the vendor metadata.
    pub webauthn: domain::webauthn::ceremony::SecurityKeys,
    /// The settings of the asset endpoints (images, downloadables, platform health).
    pub assets: assets::Assets,
    /// Runs administrator-written scripts (`SCRIPT_TIMEOUT_MS`, `SCRIPT_MEMORY_MIB`,
    /// `SCRIPT_CONCURRENCY`).
    pub scripts: domain::scripts::Sandbox,
    /// The communities' authentication journeys, applied at every login.
    pub journeys: domain::journeys::Journeys,
    /// Whether a login's client address is taken from the `Forwarded` / `X-Forwarded-For`
    /// headers (`TRUST_FORWARDED_HEADERS`: only behind a proxy that overwrites them) rather than
    /// the connection's peer, for the journeys' `ip` conditions.
    pub trust_forwarded: bool,
    /// The client of the APIs administrators configure (the password reset's user profile API):
    /// a 10 s timeout, no redirects followed.
    pub outbound: reqwest::Client,
    /// Access codes (invitations and password resets), MACed by the sealer, living
    /// `INVITATION_TTL_SECONDS` and `PASSWORD_RESET_TTL_SECONDS`.
    pub access_codes: domain::access_codes::AccessCodes,
    /// The links of invitations (`INVITATION_BASE_URL`).
    pub invitation_links: domain::access_codes::message::Links,
    /// The links of password resets (`PASSWORD_RESET_BASE_URL`).
    pub reset_links: domain::access_codes::message::Links,
    /// The CAPTCHA verifier of the invitation endpoints (`CAPTCHA_VERIFY_URL`), over `outbound`.
    pub captcha: domain::captcha::Verifier,
    /// The communities' OpenID Connect providers: pending requests, codes and tokens in the
    /// durable ephemeral store, signing keys sealed (`OIDC_*` settings).
    pub oidc: domain::oidc::Provider,
    /// Where the authorization endpoint sends the user agent to sign in (`OIDC_LOGIN_URL`), with
    /// `OIDCRequest` added to its query.
    pub oidc_login_url: Option<String>,
    /// adminapi's public base URL, from which issuers are made (`OIDC_ISSUER_BASE_URL`, else
    /// adminapi's URL in `SERVICE_DIRECTORY`, else the request's `Host`).
    pub oidc_issuer_base: Option<String>,
    /// The communities' SAML identity providers: pending requests and the request ids seen in
    /// the durable ephemeral store, signing keys sealed (`SAML_*` settings).
    pub saml: domain::saml::Idp,
    /// Where the SSO endpoint sends the user agent to sign in (`SAML_LOGIN_URL`, else
    /// `OIDC_LOGIN_URL`), with the pending request's handle as `SAMLRequest`.
    pub saml_login_url: Option<String>,
    /// The console's single logout page (`SAML_LOGOUT_URL`): where the SLO endpoint sends the
    /// user agent when the service provider has no `SingleLogoutService` of its own.
    pub saml_logout_url: Option<String>,
    /// The time the rules go by (sessions, codes, tokens, invitations): the system's, or a
    /// test's.
    pub clock: Arc<dyn WallClock>,
}

/// Starts storage and binds the HTTP server (`PORT=0` picks a free port).
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    build_with_clock(settings, Arc::new(SystemClock)).await
}

/// [`build`] going by `clock` (tests move it instead of sleeping).
pub async fn build_with_clock(settings: Settings, clock: Arc<dyn WallClock>) -> Result<Application, StartError> {
    let platform = Platform::start(settings, &[&ADMINAPI_MIGRATIONS]).await?;
    let stores = Stores::sql(&platform.db);
    let local = LocalLicenses::from_settings(&platform.settings)?;
    let authority = DbLicenses::new(stores.licenses.clone(), local, platform.settings.curve)
        .publishing_to(platform.invalidations.clone());
    let authority = Arc::new(authority);
    let ttls = kit::directory::DirectoryTtls::from_settings(&platform.settings)?;
    let directory = Arc::new(domain::tenancy::TenancyDirectory::new(stores.tenancy.clone(), ttls.positive));
    let users_mgmt = users_mgmt::UsersMgmt::from_settings(&platform.settings, &platform.keys)?;
    let sessions_service = remote::Remote::from_settings(&platform.settings, &platform.keys, "sessions")?;
    let qr_logins = domain::qr_login::QrLogins::new(
        platform.durable.clone(),
        std::time::Duration::from_secs(platform.settings.parse_var("QR_SESSION_TTL_SECONDS", 600u64)?),
        platform.settings.var("SESSIONS_PUBLIC_URL")?,
        platform.settings.var("SESSION_ENV")?.unwrap_or_else(|| "local".to_owned()),
    );
    let ttl = platform.settings.parse_var("ADMIN_SESSION_TTL_SECONDS", 3600u64)?;
    let sessions = domain::login::LoginSessions::new(platform.durable.clone(), std::time::Duration::from_secs(ttl));
    let gate = Arc::new(session::Gate::new(platform.keys.clone(), sessions.clone(), clock.clone()));
    let config_ttl = platform.settings.parse_var("CONFIG_CACHE_TTL_SECONDS", 60u64)?;
    let configs = domain::config::Configs::new(
        stores.configs.clone(),
        std::time::Duration::from_secs(config_ttl),
        platform.invalidations.clone(),
    );
    let sealer = Arc::new(domain::secrets::Sealer::from_settings(&platform.settings)?);
    let secrets = domain::secrets::Secrets::new(stores.secrets.clone(), sealer.clone());
    let otps = domain::otp::Otps::new(platform.durable.clone(), sealer.clone());
    let account_otps = domain::account_otp::AccountOtps::new(sealer.clone(), platform.durable.clone());
    let hardware_tokens = domain::hardware_tokens::HardwareTokens::new(stores.hardware_tokens.clone(), sealer.clone());
    let journeys = domain::journeys::Journeys::new(stores.journeys.clone());
    let trust_forwarded = platform.settings.parse_var("TRUST_FORWARDED_HEADERS", false)?;
    let ceremony_ttl = platform.settings.parse_var("WEBAUTHN_CEREMONY_TTL_SECONDS", 120u64)?;
    let webauthn = domain::webauthn::ceremony::SecurityKeys::new(
        stores.webauthn_credentials.clone(),
        domain::webauthn::vendors::Vendors::new(stores.webauthn_vendors.clone()),
        platform.durable.clone(),
        std::time::Duration::from_secs(ceremony_ttl.clamp(10, 600)),
    );
    let gateways = domain::msg_gateway::Gateways::new(stores.gateways.clone(), sealer.clone());
    let radius =
        domain::radius::ProxyConfigs::new(domain::radius::Kind::Radius, stores.radius_configs.clone(), sealer.clone());
    let auth_proxies = domain::radius::ProxyConfigs::new(
        domain::radius::Kind::AuthProxy,
        stores.authproxy_configs.clone(),
        sealer.clone(),
    );
    let identity_providers = domain::identity_providers::Providers::new(
        domain::identity_providers::Kind::Idp,
        stores.identity_providers.clone(),
        sealer.clone(),
    );
    let external_idps = domain::identity_providers::Providers::new(
        domain::identity_providers::Kind::External,
        stores.external_idps.clone(),
        sealer.clone(),
    );
    let delivery = delivery::Delivery::new()
        .map_err(|e| StartError::Config(kit::config::ConfigError(format!("cannot build the HTTP client: {e}"))))?;
    let messenger = domain::messaging::Messenger::new(gateways.clone(), Arc::new(delivery));
    let platform = platform.with_licenses(authority.clone()).with_directory(directory);
    let assets = assets::Assets::from_settings(&platform.settings)?;
    let outbound = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .connect_timeout(std::time::Duration::from_secs(3))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StartError::Config(kit::config::ConfigError(format!("cannot build the HTTP client: {e}"))))?;
    let scripts = domain::scripts::Sandbox::new(
        platform.settings.parse_var("SCRIPT_CONCURRENCY", 2usize)?,
        domain::scripts::Limits {
            wall: std::time::Duration::from_millis(platform.settings.parse_var("SCRIPT_TIMEOUT_MS", 1000u64)?),
            memory: platform.settings.parse_var("SCRIPT_MEMORY_MIB", 32usize)?.saturating_mul(1 << 20),
            ..domain::scripts::Limits::default()
        },
    );
    let access_codes = domain::access_codes::AccessCodes::new(
        stores.access_codes.clone(),
        sealer.clone(),
        platform.durable.clone(),
        platform.settings.parse_var("INVITATION_TTL_SECONDS", domain::access_codes::DEFAULT_TTL)?,
    )
    .with_reset_ttl(
        platform.settings.parse_var("PASSWORD_RESET_TTL_SECONDS", domain::access_codes::DEFAULT_RESET_TTL)?,
    );
    let invitation_links = domain::access_codes::message::Links::from_settings(&platform.settings)?;
    let reset_links = domain::access_codes::message::Links::reset_from_settings(&platform.settings)?;
    let captcha = domain::captcha::Verifier::new(domain::captcha::url_setting(&platform.settings)?, outbound.clone());
    let oidc = oidc_provider(&platform, &stores, &sealer)?;
    let oidc_login_url = platform.settings.var("OIDC_LOGIN_URL")?;
    if let Some(url) = &oidc_login_url {
        domain::service_providers::saml::http_url("OIDC_LOGIN_URL", url)
            .map_err(|e| StartError::Config(kit::config::ConfigError(e.to_string())))?;
    }
    let oidc_issuer_base = platform
        .settings
        .var("OIDC_ISSUER_BASE_URL")?
        .or_else(|| platform.settings.service_url(SERVICE).map(str::to_owned))
        .map(|u| u.trim_end_matches('/').to_owned());
    let saml = domain::saml::Idp::new(
        platform.durable.clone(),
        sealer.clone(),
        domain::saml::keys::Credentials::new(stores.saml_keys.clone(), sealer.clone()),
        domain::saml::Ttls {
            request: platform
                .settings
                .parse_var("SAML_REQUEST_TTL_SECONDS", domain::saml::Ttls::default().request)?
                .clamp(60, 3600),
            assertion: platform
                .settings
                .parse_var("SAML_ASSERTION_TTL_SECONDS", domain::saml::Ttls::default().assertion)?
                .clamp(30, 3600),
        },
    );
    let saml_login_url = platform.settings.var("SAML_LOGIN_URL")?.or_else(|| oidc_login_url.clone());
    if let Some(url) = &saml_login_url {
        domain::service_providers::saml::http_url("SAML_LOGIN_URL", url)
            .map_err(|e| StartError::Config(kit::config::ConfigError(e.to_string())))?;
    }
    let saml_logout_url = platform.settings.var("SAML_LOGOUT_URL")?;
    if let Some(url) = &saml_logout_url {
        domain::service_providers::saml::http_url("SAML_LOGOUT_URL", url)
            .map_err(|e| StartError::Config(kit::config::ConfigError(e.to_string())))?;
    }
    let state = State {
        stores,
        authority,
        users_mgmt,
        sessions_service,
        qr_logins,
        sessions,
        gate,
        configs,
        sealer,
        secrets,
        gateways,
        radius,
        auth_proxies,
        identity_providers,
        external_idps,
        messenger,
        otps,
        account_otps,
        hardware_tokens,
        webauthn,
        assets,
        scripts,
        journeys,
        trust_forwarded,
        outbound,
        access_codes,
        invitation_links,
        reset_links,
        captcha,
        oidc,
        oidc_login_url,
        oidc_issuer_base,
        saml,
        saml_login_url,
        saml_logout_url,
        clock,
    };
    Application::bind(platform, state, routes::configure)
}

/// The OpenID Connect provider from the `OIDC_*` settings.
fn oidc_provider(
    platform: &Platform,
    stores: &Stores,
    sealer: &Arc<domain::secrets::Sealer>,
) -> Result<domain::oidc::Provider, StartError> {
    let ttls = oidc_ttls(&platform.settings)?;
    let keys = oidc_keys(&platform.settings, stores, sealer)?;
    Ok(domain::oidc::Provider::new(platform.durable.clone(), sealer.clone(), keys, ttls))
}

/// The OIDC lifetimes (`OIDC_*_TTL_SECONDS`), bounded.
fn oidc_ttls(s: &Settings) -> Result<domain::oidc::Ttls, kit::config::ConfigError> {
    let d = domain::oidc::Ttls::default();
    Ok(domain::oidc::Ttls {
        request: s.parse_var("OIDC_REQUEST_TTL_SECONDS", d.request)?.clamp(60, 3600),
        code: s.parse_var("OIDC_CODE_TTL_SECONDS", d.code)?.clamp(10, 600),
        access_token: s.parse_var("OIDC_ACCESS_TOKEN_TTL_SECONDS", d.access_token)?.clamp(60, 86_400),
        id_token: s.parse_var("OIDC_ID_TOKEN_TTL_SECONDS", d.id_token)?.clamp(60, 86_400),
        refresh_token: s.parse_var("OIDC_REFRESH_TOKEN_TTL_SECONDS", d.refresh_token)?.clamp(300, 365 * 86_400),
    })
}

/// The communities' signing keys (`OIDC_KEY_ROTATION_DAYS`; a retired key published for the ID
/// token lifetime and a minute), for the service and the `oidc rotate-key` command.
pub fn oidc_keys(
    s: &Settings,
    stores: &Stores,
    sealer: &Arc<domain::secrets::Sealer>,
) -> Result<domain::oidc::keys::KeySet, kit::config::ConfigError> {
    let rotation_days: i64 = s.parse_var("OIDC_KEY_ROTATION_DAYS", 90i64)?.clamp(1, 3650);
    let publish_for = i64::try_from(oidc_ttls(s)?.id_token).unwrap_or(86_400).saturating_add(60);
    Ok(domain::oidc::keys::KeySet::new(stores.oidc_keys.clone(), sealer.clone(), rotation_days * 86_400, publish_for))
}
