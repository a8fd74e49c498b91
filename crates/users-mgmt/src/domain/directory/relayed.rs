//! The directory operations of a module in `mode: broker`: sent through the [`Relay`] to a
//! broker of the module, which runs them against the directory with the module's settings (its
//! bind password opened for the request, sealed on the wire by the envelope) and answers the
//! entry found and the password check. The broker's answer is mapped as a direct connection's
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

/// What a broker answered.
pub struct Answer {
    pub entry: Option<SearchEntry>,
    pub password_ok: bool,
}

/// The request of `op` (`authenticate`, `find`) for `name`, with `password` for a login.
fn request(module: &Module, s: &DirectorySettings, op: &str, name: &str, password: Option<&str>) -> Value {
    let mut config = module.config.clone();
    config.insert("bindpassword".into(), json!(s.bind_password.as_str()));
    let order: Vec<Value> = s.hosts.iter().map(|h| json!({"server": h.server, "port": h.port})).collect();
    let mut r = json!({"op": op, "moduleType": module.module_type.name(), "config": config, "hosts": order,
        "username": name});
    if let Some(p) = password {
        r["password"] = json!(p);
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

/// Runs `op` through a broker of the module; the hosts' status it reports is recorded in
/// `modules`.
pub async fn run(
    relay: &Relay,
    modules: &dyn ModuleStore,
    module: &Module,
    s: &DirectorySettings,
    op: &str,
    name: &str,
    password: Option<&str>,
) -> Result<Answer, DomainError> {
    let timeout = s.timeout.saturating_mul(3).max(Duration::from_secs(2));
    let answer = relay.call(&module.community_id, &module.id, request(module, s, op, name, password), timeout).await?;
    hosts::record(modules, module, &outcomes(&answer, envelope::wire::now_epoch())).await?;
    match answer.get("status").and_then(Value::as_str) {
        Some("ok") => Ok(Answer {
            entry: answer.get("entry").and_then(entry),
            password_ok: answer.get("passwordOk").and_then(Value::as_bool).unwrap_or(false),
        }),
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
