//! Auth modules: where a community's users live (`db`: here; `ldap`, `ad`, `azuread`: a directory),
//! validated on write, one per type and community, and their store ([`ModuleStore`]).
//!
//! Directory credentials (`bindpassword`, `clientSecret`) are sealed at rest with the
//! deployment's key ([`Sealer`], bound to the community, the module and the field) and never
//! returned: a reply omits them, and an update that omits them keeps the stored ones.

use async_trait::async_trait;
use kit::sealer::Sealer;
use kit::{DomainError, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use super::module_secrets::open_secret;
use super::module_secrets::seal_secrets;

use super::module_kerberos;
use super::password_policy::PasswordPolicy;

/// The kinds of module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleType {
    Db,
    Ldap,
    Ad,
    Azuread,
}

impl ModuleType {
    /// The wire name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Db => "db",
            Self::Ldap => "ldap",
            Self::Ad => "ad",
            Self::Azuread => "azuread",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Db, Self::Ldap, Self::Ad, Self::Azuread].into_iter().find(|t| t.name() == name.trim().to_lowercase())
    }

    /// The reference's `subtype` of the type.
    pub fn subtype(self) -> &'static str {
        if self == Self::Db { "datastore" } else { "directory" }
    }

    /// Whether the users of the module are in a directory.
    pub fn is_directory(self) -> bool {
        self != Self::Db
    }

    /// Whether the module's directory is reached over LDAP (`ldap`, `ad`).
    pub fn is_ldap(self) -> bool {
        matches!(self, Self::Ldap | Self::Ad)
    }
}

/// Config fields that are credentials: stored sealed, never returned.
pub const SECRET_FIELDS: [&str; 2] = ["bindpassword", "clientSecret"];

/// An auth module as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    pub id: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_type: ModuleType,
    pub name: String,
    pub enabled: bool,
    /// `direct` or `broker`.
    pub mode: String,
    pub enhanced_security_on: bool,
    /// Epoch seconds of the last time it was enabled.
    pub last_enabled_at: Option<i64>,
    /// The type's configuration (validated), credentials included.
    pub config: Map<String, Value>,
}

impl Module {
    /// The module's password policy: its own, or the default.
    pub fn password_policy(&self) -> Result<PasswordPolicy, DomainError> {
        match self.config.get("passwordPolicy") {
            None | Some(Value::Null) => Ok(PasswordPolicy::default()),
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|e| DomainError::Store(StoreError::Corrupt(format!("module passwordPolicy: {e}")))),
        }
    }

    /// The module as the reference shows it, credentials left out.
    pub fn to_reply(&self) -> Value {
        let mut config = self.config.clone();
        for secret in SECRET_FIELDS {
            config.remove(secret);
        }
        let kerberos = module_kerberos::reply_part(&mut config);
        let mut reply = serde_json::json!({
            "_id": self.id,
            "communityId": self.community_id,
            "type": self.module_type.name(),
            "subtype": self.module_type.subtype(),
            "method": "authn",
            "name": self.name,
            "enabled": self.enabled,
            "mode": self.mode,
            "lastEnabledAt": self.last_enabled_at.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|t| t.to_rfc3339()),
            "enhanced_security_on": self.enhanced_security_on,
            "config": config,
        });
        if !kerberos.is_null() {
            reply["kerberos_config"] = kerberos;
        }
        reply
    }
}

/// Where modules are kept (`crate::store::SqlModules`).
#[async_trait]
pub trait ModuleStore: Send + Sync {
    /// Stores a new module; `Conflict` when the community has one of its type.
    async fn insert(&self, module: &Module) -> Result<(), StoreError>;
    /// A module of a community.
    async fn get(&self, community_id: &str, id: &str) -> Result<Option<Module>, StoreError>;
    /// Every module of a community, oldest first.
    async fn list(&self, community_id: &str) -> Result<Vec<Module>, StoreError>;
    /// Replaces a module; `NotFound` when it is gone.
    async fn update(&self, module: &Module) -> Result<(), StoreError>;
    /// Deletes a module and, for a `db` module, every user of its community, at once; `NotFound`
    /// when it is gone.
    async fn delete(&self, module: &Module) -> Result<(), StoreError>;
}

/// What a caller sends to create a module (`data` of `PUT …/module/create`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleRequest {
    #[serde(rename = "type")]
    pub module_type: String,
    pub subtype: Option<String>,
    pub method: Option<String>,
    pub name: String,
    pub enabled: Option<bool>,
    pub mode: Option<String>,
    pub enhanced_security_on: Option<bool>,
    /// The type's configuration (`passwordPolicy` for db; hosts, bind and search for ldap / ad;
    /// the application for azuread).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    /// `{"enabled": bool, "keytab_file": "<base64 MIT keytab>"}`: SPNEGO tickets for the
    /// keytab's service principal sign the module's users in (`user/verify_user_ktoken`).
    #[schema(value_type = Option<Object>)]
    pub kerberos_config: Option<Value>,
}

/// What a caller sends to change a module (`data` of `PATCH …/module/{moduleId}`): the type
/// stays; `config` replaces the stored one, except credentials it omits.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModulePatch {
    #[serde(rename = "type")]
    pub module_type: Option<String>,
    pub subtype: Option<String>,
    pub method: Option<String>,
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub mode: Option<String>,
    pub enhanced_security_on: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub config: Option<Map<String, Value>>,
    /// Replaces the module's `kerberos_config`; a `keytab_file` left out keeps the stored one.
    #[schema(value_type = Option<Object>)]
    pub kerberos_config: Option<Value>,
}

/// The fields a directory module of each type must configure.
fn required_config(t: ModuleType) -> &'static [&'static str] {
    match t {
        ModuleType::Db => &[],
        ModuleType::Ldap | ModuleType::Ad => &[
            "serverprotocol",
            "server",
            "serverport",
            "binddn",
            "bindpassword",
            "basedn",
            "securityauthentication",
            "filter",
            "serviceacctreadonly",
        ],
        ModuleType::Azuread => {
            &["appName", "tenantId", "tenantName", "clientId", "clientSecret", "loginBasePath", "graphApiBasePath"]
        }
    }
}

const SECURITY_AUTHENTICATION: [&str; 6] =
    ["Simple", "Secure", "Sealing", "Encryption", "SecureSocketLayer", "ServerBind"];

/// Checks a module's type-specific configuration.
pub fn validate_config(t: ModuleType, config: &Map<String, Value>) -> Result<(), DomainError> {
    let invalid = |m: String| DomainError::Invalid(m);
    if config.contains_key(module_kerberos::FIELD) {
        return Err(invalid("kerberos_config goes beside config, not in it".into()));
    }
    for field in required_config(t) {
        let present = match config.get(*field) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(Value::Bool(_) | Value::Number(_)) => true,
            _ => false,
        };
        if !present {
            return Err(invalid(format!("config.{field} is required for a {} module", t.name())));
        }
    }
    if matches!(t, ModuleType::Ldap | ModuleType::Ad) {
        super::directory::config::validate(config).map_err(invalid)?;
        let text = |f: &str| config.get(f).and_then(Value::as_str).unwrap_or_default();
        if !["ldap", "ldaps"].contains(&text("serverprotocol")) {
            return Err(invalid("config.serverprotocol must be ldap or ldaps".into()));
        }
        if !SECURITY_AUTHENTICATION.contains(&text("securityauthentication")) {
            return Err(invalid(format!(
                "config.securityauthentication must be one of {}",
                SECURITY_AUTHENTICATION.join(", ")
            )));
        }
        let port = config.get("serverport").map(|p| p.to_string().trim_matches('"').to_owned()).unwrap_or_default();
        if port.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(invalid("config.serverport must be a port number".into()));
        }
        if !config.get("serviceacctreadonly").is_some_and(Value::is_boolean) {
            return Err(invalid("config.serviceacctreadonly must be true or false".into()));
        }
    }
    if let Some(policy) = config.get("passwordPolicy").filter(|v| !v.is_null()) {
        let policy: PasswordPolicy =
            envelope::deser::from_value(policy.clone()).map_err(|e| invalid(format!("config.passwordPolicy.{e}")))?;
        policy.validate().map_err(|m| invalid(format!("config.{m}")))?;
    }
    Ok(())
}

fn mode(t: ModuleType, mode: Option<&str>) -> Result<String, DomainError> {
    let mode = mode.map(str::trim).filter(|m| !m.is_empty()).unwrap_or("direct");
    match mode {
        "direct" => Ok(mode.into()),
        "broker" if t.is_directory() => Ok(mode.into()),
        _ => Err(DomainError::Invalid(format!(
            "mode must be direct{} for a {} module",
            if t.is_directory() { " or broker" } else { "" },
            t.name()
        ))),
    }
}

fn fixed(field: &str, given: Option<&str>, expected: &str) -> Result<(), DomainError> {
    match given.map(str::trim) {
        None | Some("") => Ok(()),
        Some(v) if v == expected => Ok(()),
        Some(_) => Err(DomainError::Invalid(format!("{field} must be {expected} for this type"))),
    }
}

/// A new module from a request, for a community, its credentials sealed.
pub fn new_module(
    sealer: &Sealer,
    tenant_id: &str,
    community_id: &str,
    r: ModuleRequest,
    now: i64,
) -> Result<Module, DomainError> {
    let module_type = ModuleType::from_name(&r.module_type)
        .ok_or_else(|| DomainError::Invalid("type must be db, ldap, ad or azuread".into()))?;
    fixed("subtype", r.subtype.as_deref(), module_type.subtype())?;
    fixed("method", r.method.as_deref(), "authn")?;
    validate_config(module_type, &r.config)?;
    let enabled = r.enabled.unwrap_or(true);
    let id = kit::ids::new_object_id();
    let mut config = r.config;
    seal_secrets(sealer, community_id, &id, &mut config)?;
    if let Some(kerberos) = r.kerberos_config {
        module_kerberos::apply(sealer, community_id, &id, &mut config, kerberos, None)?;
    }
    Ok(Module {
        id,
        tenant_id: tenant_id.to_owned(),
        community_id: community_id.to_owned(),
        module_type,
        name: kit::ids::name("name", &r.name)?,
        enabled,
        mode: mode(module_type, r.mode.as_deref())?,
        enhanced_security_on: r.enhanced_security_on.unwrap_or(false),
        last_enabled_at: enabled.then_some(now),
        config,
    })
}

/// `module` changed by `patch`, new credentials sealed.
pub fn patched(sealer: &Sealer, module: &Module, patch: ModulePatch, now: i64) -> Result<Module, DomainError> {
    let t = module.module_type;
    if let Some(given) = patch.module_type.as_deref()
        && ModuleType::from_name(given) != Some(t)
    {
        return Err(DomainError::Invalid("type cannot be changed".into()));
    }
    fixed("subtype", patch.subtype.as_deref(), t.subtype())?;
    fixed("method", patch.method.as_deref(), "authn")?;
    let mut next = module.clone();
    if let Some(name) = &patch.name {
        next.name = kit::ids::name("name", name)?;
    }
    if let Some(m) = patch.mode.as_deref() {
        next.mode = mode(t, Some(m))?;
    }
    if let Some(enabled) = patch.enabled {
        if enabled && !module.enabled {
            next.last_enabled_at = Some(now);
        }
        next.enabled = enabled;
    }
    if let Some(on) = patch.enhanced_security_on {
        next.enhanced_security_on = on;
    }
    if let Some(mut config) = patch.config {
        validate_config(t, &with_kept_secrets(module, &config))?;
        seal_secrets(sealer, &module.community_id, &module.id, &mut config)?;
        for secret in SECRET_FIELDS {
            if !config.contains_key(secret)
                && let Some(kept) = module.config.get(secret)
            {
                config.insert(secret.to_owned(), kept.clone());
            }
        }
        if let Some(kept) = module.config.get(module_kerberos::FIELD) {
            config.insert(module_kerberos::FIELD.to_owned(), kept.clone());
        }
        next.config = config;
    }
    if let Some(kerberos) = patch.kerberos_config {
        let previous = module.config.get(module_kerberos::FIELD);
        module_kerberos::apply(sealer, &module.community_id, &module.id, &mut next.config, kerberos, previous)?;
    }
    Ok(next)
}

/// `config` with the stored credentials it omits (for validation).
fn with_kept_secrets(module: &Module, config: &Map<String, Value>) -> Map<String, Value> {
    let mut full = config.clone();
    for secret in SECRET_FIELDS {
        if !full.contains_key(secret)
            && let Some(kept) = module.config.get(secret)
        {
            full.insert(secret.to_owned(), kept.clone());
        }
    }
    full
}

/// The attempts a broker or an app reports for a directory module's hosts.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostAttempts {
    pub attempts: Vec<HostAttempt>,
}

/// One connection attempt to a host.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostAttempt {
    pub host: HostRef,
    /// `success` or `failed`.
    pub status: String,
    /// When (RFC 3339).
    pub ts: String,
}

/// A host of `config.hosts`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HostRef {
    pub server: String,
    /// A port number, as a string or a number.
    #[schema(value_type = String)]
    pub port: Value,
}

/// `module` with each attempt recorded on its host (`lastSuccessAt` / `lastFailedAt`).
pub fn record_host_attempts(module: &Module, hosts: &HostAttempts) -> Result<Module, DomainError> {
    if !module.module_type.is_directory() {
        return Err(DomainError::Invalid(format!("a {} module has no hosts", module.module_type.name())));
    }
    let mut next = module.clone();
    let list = next.config.get_mut("hosts").and_then(Value::as_array_mut);
    let Some(list) = list else {
        return Err(DomainError::Invalid("the module has no config.hosts".into()));
    };
    let port_text = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    for (i, attempt) in hosts.attempts.iter().enumerate() {
        let field = match attempt.status.as_str() {
            "success" => "lastSuccessAt",
            "failed" => "lastFailedAt",
            _ => return Err(DomainError::Invalid(format!("hosts.attempts[{i}].status must be success or failed"))),
        };
        let at = chrono::DateTime::parse_from_rfc3339(attempt.ts.trim())
            .map_err(|_| DomainError::Invalid(format!("hosts.attempts[{i}].ts must be an RFC 3339 date")))?;
        let wanted = port_text(&attempt.host.port);
        let host = list.iter_mut().find(|h| {
            h.get("server").and_then(Value::as_str) == Some(attempt.host.server.as_str())
                && h.get("port").is_some_and(|p| port_text(p) == wanted)
        });
        let Some(Value::Object(host)) = host else {
            return Err(DomainError::Invalid(format!("hosts.attempts[{i}].host is not a host of the module")));
        };
        host.insert(field.to_owned(), Value::String(at.to_utc().to_rfc3339()));
        host.insert(
            "status".to_owned(),
            Value::String(if field == "lastSuccessAt" { "up" } else { "down" }.to_owned()),
        );
    }
    Ok(next)
}

/// The module `id` of a community, enabled, and one whose users live here (a `db` module): 404
/// when there is none, 400 when it is disabled or a directory (whose users are created and
/// changed in the directory; an azuread directory is not reached yet).
pub async fn find_local(store: &dyn ModuleStore, community_id: &str, id: &str) -> Result<Module, DomainError> {
    let module = find_enabled(store, community_id, id).await?;
    let t = module.module_type;
    if t.is_ldap() {
        return Err(DomainError::Invalid(format!(
            "the users of a {} module live in its directory: create and change them there",
            t.name()
        )));
    }
    if t.is_directory() {
        return Err(DomainError::Invalid(format!(
            "the users of a {} module live in its directory, which is not supported yet",
            t.name()
        )));
    }
    Ok(module)
}

/// The module `id` of a community; 404 when there is none.
pub async fn find(store: &dyn ModuleStore, community_id: &str, id: &str) -> Result<Module, DomainError> {
    let id = kit::ids::object_id("moduleId", id)?;
    store.get(community_id, &id).await?.ok_or_else(|| DomainError::NotFound("auth module not found".into()))
}

/// The module `id` of a community, which must be enabled; 404 when there is none, 400 when it
/// is disabled.
pub async fn find_enabled(store: &dyn ModuleStore, community_id: &str, id: &str) -> Result<Module, DomainError> {
    let module = find(store, community_id, id).await?;
    if !module.enabled {
        return Err(DomainError::Invalid("the auth module is disabled".into()));
    }
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(v: Value) -> ModuleRequest {
        serde_json::from_value(v).unwrap()
    }

    fn ldap_config() -> Value {
        json!({"serverprotocol": "ldaps", "server": "dc.acme", "serverport": "636", "binddn": "cn=svc",
               "bindpassword": "s3cret", "basedn": "dc=acme", "securityauthentication": "Simple",
               "filter": "(uid={0})", "serviceacctreadonly": true})
    }

    fn sealer() -> Sealer {
        Sealer::from_key(&[3; 32])
    }

    fn new_module(t: &str, c: &str, r: ModuleRequest, now: i64) -> Result<Module, DomainError> {
        super::new_module(&sealer(), t, c, r, now)
    }

    fn patched(m: &Module, p: ModulePatch, now: i64) -> Result<Module, DomainError> {
        super::patched(&sealer(), m, p, now)
    }

    #[test]
    fn a_db_module_gets_its_defaults() {
        let m = new_module("t", "c", request(json!({"type": "db", "name": "Users"})), 7).unwrap();
        assert_eq!(
            (m.module_type, m.mode.as_str(), m.enabled, m.last_enabled_at),
            (ModuleType::Db, "direct", true, Some(7))
        );
        assert_eq!(m.password_policy().unwrap(), PasswordPolicy::default());
        assert!(new_module("t", "c", request(json!({"type": "db", "name": "U", "mode": "broker"})), 7).is_err());
        assert!(new_module("t", "c", request(json!({"type": "db", "name": "U", "subtype": "directory"})), 7).is_err());
        assert!(new_module("t", "c", request(json!({"type": "nis", "name": "U"})), 7).is_err());
    }

    #[test]
    fn directory_modules_need_their_config_and_never_show_credentials() {
        let e = new_module("t", "c", request(json!({"type": "ldap", "name": "Dir"})), 0).unwrap_err();
        assert!(e.to_string().contains("config.serverprotocol"), "{e}");
        let mut config = ldap_config();
        config["serverport"] = json!("http");
        assert!(new_module("t", "c", request(json!({"type": "ad", "name": "Dir", "config": config})), 0).is_err());
        let m =
            new_module("t", "c", request(json!({"type": "ldap", "name": "Dir", "config": ldap_config()})), 0).unwrap();
        let reply = m.to_reply();
        assert_eq!(reply["config"]["binddn"], "cn=svc");
        assert!(reply["config"].get("bindpassword").is_none() && !reply.to_string().contains("s3cret"));
        // Sealed at rest, for this module only.
        let sealed = m.config["bindpassword"].as_str().unwrap();
        assert!(!sealed.contains("s3cret"));
        assert_eq!(open_secret(&sealer(), &m, "bindpassword", sealed).unwrap().as_str(), "s3cret");
        let other = Module { id: "0123456789abcdef01234567".into(), ..m.clone() };
        assert!(open_secret(&sealer(), &other, "bindpassword", sealed).is_err());

        // An update without the credential keeps it.
        let mut config = ldap_config();
        config.as_object_mut().unwrap().remove("bindpassword");
        config["server"] = json!("dc2.acme");
        let patch: ModulePatch = serde_json::from_value(json!({"config": config})).unwrap();
        let next = patched(&m, patch, 1).unwrap();
        assert_eq!(next.config["server"].as_str(), Some("dc2.acme"));
        assert_eq!(next.config["bindpassword"], m.config["bindpassword"], "kept sealed as it was");
        let patch: ModulePatch = serde_json::from_value(json!({"type": "db"})).unwrap();
        assert!(patched(&m, patch, 1).is_err(), "the type stays");
    }
}
