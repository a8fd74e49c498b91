//! The directory operations of a module in `mode: broker`: sent through the [`Relay`] to a
//! broker of the module, which runs them against the directory with the module's settings (its
//! bind password opened for the request, sealed on the wire by the envelope) and answers what
//! a direct connection would have found: the entry and the password check of a login, a page of
//! entries and their count, whether a password change was done, each host's connection test. The broker's answer is mapped as a direct connection's
//! would be: a directory that cannot be reached or refuses the service account is a 503. The
//! broker tries the hosts in the order users-mgmt gives (those marked down last) and reports
//! which answered; their status is recorded on the module as a direct connection's is.

use std::collections::HashMap;
use std::time::Duration;

use kit::DomainError;
use ldap3::SearchEntry;
use serde_json::{Value, json};

use super::config::{DirectorySettings, Host};
use super::hosts::{self, Outcome};
use crate::domain::brokers::Relay;
use crate::domain::modules::{Module, ModuleStore};

/// The operations a broker runs, by their name on the wire.
pub const OPERATIONS: [&str; 5] = ["authenticate", "find", "page", "changePassword", "test"];

/// What a broker answered to a login or a lookup.
pub struct Answer {
    pub entry: Option<SearchEntry>,
    pub password_ok: bool,
}

/// How one host fared in a broker's connection test.
pub struct HostCheck {
    pub host: Host,
    /// `None` when the connection and the service bind succeeded; else the step that failed
    /// and why.
    pub failed: Option<(String, String)>,
    /// The host answered (up), even if it refused.
    pub up: bool,
}

/// The request of `op` with the module's settings, the hosts in order, and `fields`.
fn request(module: &Module, s: &DirectorySettings, op: &str, fields: Value) -> Value {
    let mut config = module.config.clone();
    config.insert("bindpassword".into(), json!(s.bind_password.as_str()));
    let order: Vec<Value> = s.hosts.iter().map(|h| json!({"server": h.server, "port": h.port})).collect();
    let mut r = json!({"op": op, "moduleType": module.module_type.name(), "config": config, "hosts": order});
    if let (Some(r), Value::Object(fields)) = (r.as_object_mut(), fields) {
        r.extend(fields);
    }
    r
}

fn entry(v: &Value) -> Option<SearchEntry> {
    let dn = v.get("dn")?.as_str()?.to_owned();
    let attrs: HashMap<String, Vec<String>> = v
        .get("attrs")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, vs)| {
                    let list = vs.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned);
                    (k.clone(), list.collect())
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SearchEntry { dn, attrs, bin_attrs: HashMap::new() })
}

/// The host outcomes a broker reported (`hosts`: `server`, `port`, `up`), dated `now`.
fn outcomes(answer: &Value, now: i64) -> Vec<Outcome> {
    answer
        .get("hosts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let server = h.get("server")?.as_str()?.to_owned();
            let port = u16::try_from(h.get("port")?.as_u64()?).ok()?;
            Some(Outcome { host: Host { server, port }, up: h.get("up")?.as_bool()?, at: now })
        })
        .collect()
}

/// Sends `request` to a broker of the module and returns its answer when the directory did
/// the work (`status: ok`); the hosts' status it reports is recorded in `modules`.
async fn call(
    relay: &Relay,
    modules: &dyn ModuleStore,
    module: &Module,
    s: &DirectorySettings,
    request: Value,
) -> Result<Value, DomainError> {
    let timeout = s.timeout.saturating_mul(3).max(Duration::from_secs(2));
    let answer = relay.call(&module.community_id, &module.id, request, timeout).await?;
    hosts::record(modules, module, &outcomes(&answer, envelope::wire::now_epoch())).await?;
    match answer.get("status").and_then(Value::as_str) {
        Some("ok") => Ok(answer),
        Some("refused") => {
            tracing::warn!(module = %module.id, "the directory refused the service account (through the broker)");
            Err(DomainError::Busy("the directory refused the auth module's service account".into()))
        }
        _ => {
            let reason = answer.get("message").and_then(Value::as_str).unwrap_or("no reason given");
            tracing::warn!(module = %module.id, %reason, "the broker could not reach the directory");
            Err(DomainError::Busy("the directory is unavailable, try again".into()))
        }
    }
}

/// A login (`authenticate`, with `password`) or a lookup (`find`) of `name` through a broker.
pub async fn run(
    relay: &Relay,
    modules: &dyn ModuleStore,
    module: &Module,
    s: &DirectorySettings,
    op: &str,
    name: &str,
    password: Option<&str>,
) -> Result<Answer, DomainError> {
    let mut fields = json!({"username": name});
    if let Some(p) = password {
        fields["password"] = json!(p);
    }
    let answer = call(relay, modules, module, s, request(module, s, op, fields)).await?;
    Ok(Answer {
        entry: answer.get("entry").and_then(entry),
        password_ok: answer.get("passwordOk").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// A page of the entries `filter` finds (`offset`, at most `limit`) and how many it finds in all.
pub async fn page(
    relay: &Relay,
    modules: &dyn ModuleStore,
    module: &Module,
    s: &DirectorySettings,
    filter: &str,
    offset: u64,
    limit: u64,
) -> Result<(Vec<SearchEntry>, u64), DomainError> {
    let fields = json!({"filter": filter, "offset": offset, "limit": limit});
    let answer = call(relay, modules, module, s, request(module, s, "page", fields)).await?;
    let entries = answer.get("entries").and_then(Value::as_array).into_iter().flatten().filter_map(entry).collect();
    let total = answer.get("total").and_then(Value::as_u64).ok_or_else(|| {
        tracing::warn!(module = %module.id, "a broker answered a page without its total");
        DomainError::Busy("the directory is unavailable, try again".into())
    })?;
    Ok((entries, total))
}

/// Changes the password of `name` from `old` to `new` through a broker: whether it was done.
pub async fn change_password(
    relay: &Relay,
    modules: &dyn ModuleStore,
    module: &Module,
    s: &DirectorySettings,
    name: &str,
    old: &str,
    new: &str,
) -> Result<bool, DomainError> {
    let fields = json!({"username": name, "password": old, "newPassword": new});
    let answer = call(relay, modules, module, s, request(module, s, "changePassword", fields)).await?;
    Ok(answer.get("changed").and_then(Value::as_bool).unwrap_or(false))
}

/// Each host's connection test, run by a broker.
pub async fn test(
    relay: &Relay,
    modules: &dyn ModuleStore,
    module: &Module,
    s: &DirectorySettings,
) -> Result<Vec<HostCheck>, DomainError> {
    let timeout = s.timeout.saturating_mul(3).max(Duration::from_secs(2));
    let answer = relay.call(&module.community_id, &module.id, request(module, s, "test", json!({})), timeout).await?;
    let now = envelope::wire::now_epoch();
    let checks: Vec<HostCheck> = answer
        .get("report")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let server = h.get("server")?.as_str()?.to_owned();
            let port = u16::try_from(h.get("port")?.as_u64()?).ok()?;
            let failed = match h.get("step").and_then(Value::as_str) {
                None => None,
                Some(step) => Some((step.to_owned(), h.get("reason").and_then(Value::as_str)?.to_owned())),
            };
            Some(HostCheck { host: Host { server, port }, failed, up: h.get("up")?.as_bool()? })
        })
        .collect();
    let outcomes: Vec<Outcome> = checks.iter().map(|c| Outcome { host: c.host.clone(), up: c.up, at: now }).collect();
    hosts::record(modules, module, &outcomes).await?;
    Ok(checks)
}
