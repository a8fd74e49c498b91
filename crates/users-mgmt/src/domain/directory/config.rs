//! The settings of a directory module, read from its stored configuration: the hosts in the
//! order they are tried (the hosts marked down last), the transport (`ldap`, `ldaps`, or `ldap`
//! with `starttls`), the CA to trust (`caCertificate`, PEM), the service account (its password
//! opened from its sealed form), where and how users are searched.

use std::time::Duration;

use kit::DomainError;
use kit::sealer::Sealer;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::domain::modules::{Module, ModuleType};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain LDAP (`serverprotocol` ldap).
    Plain,
    /// LDAP over TLS (`serverprotocol` ldaps).
    Ldaps,
    /// Plain LDAP upgraded with StartTLS (`serverprotocol` ldap and `starttls` true).
    StartTls,
}

impl Transport {
    /// The URL scheme.
    pub fn scheme(self) -> &'static str {
        if self == Self::Ldaps { "ldaps" } else { "ldap" }
    }
}

/// A host of the module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub server: String,
    pub port: u16,
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.server, self.port)
    }
}

/// How a user is found by the name they give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFilter {
    /// `(attribute=<name>)`: `uid`, `sAMAccountName`, `userPrincipalName`, `mail`, …
    Attribute(String),
    /// A filter with `{0}` (or `{username}`) where the (escaped) name goes, e.g.
    /// `(&(objectClass=person)(uid={0}))`.
    Template(String),
}

/// A directory module's settings.
pub struct DirectorySettings {
    pub kind: ModuleType,
    /// Tried in this order.
    pub hosts: Vec<Host>,
    pub transport: Transport,
    /// PEM of the CA that signs the directory's certificate; the system's roots without it.
    pub ca_pem: Option<String>,
    pub bind_dn: String,
    pub bind_password: Zeroizing<String>,
    pub base_dn: String,
    pub user_filter: UserFilter,
    /// `ldapqueryfilter`: ANDed to every user search.
    pub extra_filter: Option<String>,
    /// Per step (connect, TLS, each operation): `hostTimeoutSeconds`, 10 by default.
    pub timeout: Duration,
    /// `serviceacctreadonly`: the service account cannot write (passwords change as the user).
    pub read_only: bool,
}

impl std::fmt::Debug for DirectorySettings {
    /// Without the bind password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectorySettings")
            .field("kind", &self.kind)
            .field("hosts", &self.hosts)
            .field("transport", &self.transport)
            .field("base_dn", &self.base_dn)
            .finish_non_exhaustive()
    }
}

/// Where the login name goes in a filter template.
const PLACEHOLDERS: [&str; 2] = ["{0}", "{username}"];

/// The attributes a login name may be searched by when `filter` names one.
pub const LOGIN_ATTRIBUTES: [&str; 6] = ["uid", "sAMAccountName", "userPrincipalName", "mail", "cn", "employeeID"];

fn text<'a>(config: &'a Map<String, Value>, field: &str) -> &'a str {
    config.get(field).and_then(Value::as_str).map(str::trim).unwrap_or_default()
}

/// A port given as a string or a number.
pub fn port_of(v: Option<&Value>) -> Option<u16> {
    let text = match v? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    text.parse::<u16>().ok().filter(|p| *p != 0)
}

/// The user filter a module's `filter` describes.
pub fn user_filter(filter: &str) -> Result<UserFilter, String> {
    let filter = filter.trim();
    if filter.contains(PLACEHOLDERS[0]) || filter.contains(PLACEHOLDERS[1]) {
        if !(filter.starts_with('(') && filter.ends_with(')')) {
            return Err("config.filter must be an attribute name or a filter in parentheses with {0}".into());
        }
        return Ok(UserFilter::Template(filter.replace(PLACEHOLDERS[1], PLACEHOLDERS[0])));
    }
    let known = LOGIN_ATTRIBUTES.iter().find(|a| a.eq_ignore_ascii_case(filter));
    match known {
        Some(a) => Ok(UserFilter::Attribute((*a).to_owned())),
        None => Err(format!(
            "config.filter must be one of {} or a filter in parentheses with {{0}}",
            LOGIN_ATTRIBUTES.join(", ")
        )),
    }
}

/// Checks the directory-specific fields of a configuration (beyond the required ones):
/// `filter`, `starttls`, `caCertificate`, `hosts`, `ldapqueryfilter`.
pub fn validate(config: &Map<String, Value>) -> Result<(), String> {
    user_filter(text(config, "filter"))?;
    match config.get("starttls") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(on)) => {
            if *on && text(config, "serverprotocol") != "ldap" {
                return Err("config.starttls is for serverprotocol ldap only".into());
            }
        }
        Some(_) => return Err("config.starttls must be true or false".into()),
    }
    if let Some(pem) = config.get("caCertificate").filter(|v| !v.is_null()) {
        let pem = pem.as_str().ok_or("config.caCertificate must be a PEM string")?;
        super::client::roots(pem).map_err(|_| "config.caCertificate must hold PEM certificates".to_owned())?;
    }
    let extra = text(config, "ldapqueryfilter");
    let parenthesized = extra.starts_with('(') && extra.ends_with(')');
    if !extra.is_empty() && !parenthesized {
        return Err("config.ldapqueryfilter must be a filter in parentheses".into());
    }
    if let Some(hosts) = config.get("hosts").filter(|v| !v.is_null()) {
        let list = hosts.as_array().ok_or("config.hosts must be a list")?;
        for (i, h) in list.iter().enumerate() {
            let server = h.get("server").and_then(Value::as_str).map(str::trim).unwrap_or_default();
            if server.is_empty() || server.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
                return Err(format!("config.hosts[{i}].server must be a host name or address"));
            }
            if port_of(h.get("port")).is_none() {
                return Err(format!("config.hosts[{i}].port must be a port number"));
            }
        }
    }
    Ok(())
}

/// Every host of the configuration: `server`:`serverport` first, then `hosts`, each once.
pub fn hosts(config: &Map<String, Value>) -> Vec<Host> {
    let mut out: Vec<Host> = Vec::new();
    let primary =
        port_of(config.get("serverport")).map(|port| Host { server: text(config, "server").to_owned(), port });
    let listed = config.get("hosts").and_then(Value::as_array).into_iter().flatten().filter_map(|h| {
        let server = h.get("server").and_then(Value::as_str)?.trim().to_owned();
        Some(Host { server, port: port_of(h.get("port"))? })
    });
    for host in primary.into_iter().chain(listed) {
        if !host.server.is_empty() && !out.contains(&host) {
            out.push(host);
        }
    }
    out
}

/// The settings of a directory module, its bind password opened with `sealer`.
pub fn settings(module: &Module, sealer: &Sealer) -> Result<DirectorySettings, DomainError> {
    let sealed = text(&module.config, "bindpassword");
    let bind_password = crate::domain::module_secrets::open_secret(sealer, module, "bindpassword", sealed)?;
    let hosts = super::hosts::ordered(module, envelope::wire::now_epoch());
    settings_from(module.module_type, &module.config, bind_password, hosts)
}

/// The settings of a directory configuration `c` of `kind` with its bind password in the clear,
/// tried on `hosts` in order (what a broker builds from a relayed request).
pub fn settings_from(
    kind: ModuleType,
    c: &Map<String, Value>,
    bind_password: Zeroizing<String>,
    hosts: Vec<Host>,
) -> Result<DirectorySettings, DomainError> {
    let invalid = |m: String| DomainError::Invalid(m);
    let transport = match (text(c, "serverprotocol"), c.get("starttls").and_then(Value::as_bool).unwrap_or(false)) {
        ("ldaps", _) => Transport::Ldaps,
        (_, true) => Transport::StartTls,
        _ => Transport::Plain,
    };
    let seconds =
        |field: &str, default: u64| c.get(field).and_then(Value::as_u64).filter(|s| *s > 0).unwrap_or(default);
    let extra = text(c, "ldapqueryfilter");
    Ok(DirectorySettings {
        kind,
        hosts,
        transport,
        ca_pem: c.get("caCertificate").and_then(Value::as_str).map(str::to_owned).filter(|p| !p.trim().is_empty()),
        bind_dn: text(c, "binddn").to_owned(),
        bind_password,
        base_dn: text(c, "basedn").to_owned(),
        user_filter: user_filter(text(c, "filter")).map_err(invalid)?,
        extra_filter: (!extra.is_empty()).then(|| extra.to_owned()),
        timeout: Duration::from_secs(seconds("hostTimeoutSeconds", 10).min(120)),
        read_only: c.get("serviceacctreadonly").and_then(Value::as_bool).unwrap_or(true),
    })
}

/// The search filter of the login name `name`.
pub fn filter_for(s: &DirectorySettings, name: &str) -> String {
    let escaped = ldap3::ldap_escape(name);
    let base = match &s.user_filter {
        UserFilter::Attribute(a) => format!("({a}={escaped})"),
        UserFilter::Template(t) => t.replace("{0}", &escaped),
    };
    match &s.extra_filter {
        Some(extra) => format!("(&{base}{extra})"),
        None => base,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_escape_the_name_and_hosts_come_once_in_order() {
        assert_eq!(user_filter("samaccountname"), Ok(UserFilter::Attribute("sAMAccountName".into())));
        assert!(user_filter("(uid={0})").is_ok() && user_filter("uid={0}").is_err() && user_filter("colour").is_err());
        assert_eq!(user_filter("(uid={username})"), Ok(UserFilter::Template("(uid={0})".into())));
        let config = json!({"server": "a", "serverport": "389", "hosts": [{"server": "b", "port": 390}, {"server": "a", "port": "389"}]});
        let hosts = hosts(config.as_object().unwrap());
        assert_eq!(
            hosts,
            [Host { server: "a".into(), port: 389 }, Host { server: "b".into(), port: 390 }],
            "the primary first, each once"
        );
        let s = DirectorySettings {
            kind: ModuleType::Ldap,
            hosts,
            transport: Transport::Plain,
            ca_pem: None,
            bind_dn: String::new(),
            bind_password: Zeroizing::new(String::new()),
            base_dn: String::new(),
            user_filter: UserFilter::Attribute("uid".into()),
            extra_filter: Some("(objectClass=person)".into()),
            timeout: Duration::from_secs(1),
            read_only: true,
        };
        assert_eq!(filter_for(&s, "a*)(uid=*"), "(&(uid=a\\2a\\29\\28uid=\\2a)(objectClass=person))");
        assert!(!format!("{s:?}").contains("bind_password"));
        assert!(
            validate(json!({"filter": "uid", "serverprotocol": "ldaps", "starttls": true}).as_object().unwrap())
                .is_err()
        );
        assert!(
            validate(json!({"filter": "uid", "hosts": [{"server": "a b", "port": 1}]}).as_object().unwrap()).is_err()
        );
        assert!(validate(json!({"filter": "uid", "caCertificate": "nope"}).as_object().unwrap()).is_err());
    }
}
