//! The status of a directory module's hosts, kept in its `config.hosts`: each host's `status`
//! (`up` or `down`), `lastSuccessAt` and `lastFailedAt`. A host marked down is tried after the
//! others until `hostRetryAfterMinutes` (30 by default) have passed since it failed; it is still
//! tried as a last resort, so a directory that comes back is found. The module is written only
//! when a host's status changes (or a host is seen for the first time), not on every login.

use kit::{DomainError, StoreError};
use serde_json::{Map, Value, json};

use super::config::{self, Host};
use crate::domain::modules::{Module, ModuleStore};

/// What happened on a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub host: Host,
    pub up: bool,
    /// Epoch seconds.
    pub at: i64,
}

fn same(entry: &Value, host: &Host) -> bool {
    entry.get("server").and_then(Value::as_str).map(str::trim) == Some(host.server.as_str())
        && config::port_of(entry.get("port")) == Some(host.port)
}

fn entry<'a>(config: &'a Map<String, Value>, host: &Host) -> Option<&'a Map<String, Value>> {
    config.get("hosts")?.as_array()?.iter().find(|e| same(e, host))?.as_object()
}

fn epoch(v: Option<&Value>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(v?.as_str()?).ok().map(|t| t.timestamp())
}

/// Whether `host` is marked down and still within its retry delay at `now`.
pub fn resting(module: &Module, host: &Host, now: i64) -> bool {
    let retry_minutes = module.config.get("hostRetryAfterMinutes").and_then(Value::as_i64).unwrap_or(30).max(0);
    entry(&module.config, host).is_some_and(|e| {
        e.get("status").and_then(Value::as_str) == Some("down")
            && epoch(e.get("lastFailedAt")).is_some_and(|t| now.saturating_sub(t) < retry_minutes.saturating_mul(60))
    })
}

/// The module's hosts in the order to try them at `now`: those not resting first, each group in
/// the configured order.
pub fn ordered(module: &Module, now: i64) -> Vec<Host> {
    let all = config::hosts(&module.config);
    let (rest, ready): (Vec<Host>, Vec<Host>) = all.into_iter().partition(|h| resting(module, h, now));
    ready.into_iter().chain(rest).collect()
}

/// The configuration with `outcomes` recorded, and whether anything worth storing changed (a
/// status, a new host, or a failure's time).
pub fn recorded(config: &Map<String, Value>, outcomes: &[Outcome]) -> (Map<String, Value>, bool) {
    let mut next = config.clone();
    let mut changed = false;
    if !next.get("hosts").is_some_and(Value::is_array) {
        next.insert("hosts".into(), Value::Array(Vec::new()));
    }
    let Some(list) = next.get_mut("hosts").and_then(Value::as_array_mut) else { return (next, false) };
    for o in outcomes {
        let at = chrono::DateTime::from_timestamp(o.at, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
        let status = if o.up { "up" } else { "down" };
        let position = list.iter().position(|e| same(e, &o.host));
        let i = match position {
            Some(i) => i,
            None => {
                list.push(json!({"server": o.host.server, "port": o.host.port.to_string()}));
                list.len() - 1
            }
        };
        let Some(e) = list.get_mut(i).and_then(Value::as_object_mut) else { continue };
        // A failure on a host already down is written again only once its last one is a minute
        // old (it dates the retry delay): an outage does not turn every login into a write.
        let stale_failure = !o.up && epoch(e.get("lastFailedAt")).is_none_or(|t| o.at.saturating_sub(t) >= 60);
        if e.get("status").and_then(Value::as_str) != Some(status) || position.is_none() || stale_failure {
            changed = true;
        }
        e.insert("status".into(), json!(status));
        e.insert(if o.up { "lastSuccessAt" } else { "lastFailedAt" }.into(), json!(at));
    }
    (next, changed)
}

/// Records `outcomes` on the stored module (read again, so a concurrent change of its other
/// fields is kept) when they change something.
pub async fn record(store: &dyn ModuleStore, module: &Module, outcomes: &[Outcome]) -> Result<(), DomainError> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let (_, changed) = recorded(&module.config, outcomes);
    if !changed {
        return Ok(());
    }
    let Some(mut fresh) = store.get(&module.community_id, &module.id).await? else { return Ok(()) };
    let (config, changed) = recorded(&fresh.config, outcomes);
    if changed {
        fresh.config = config;
        match store.update(&fresh).await {
            Ok(()) | Err(StoreError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
        for o in outcomes.iter().filter(|o| !o.up) {
            tracing::warn!(module = %module.id, host = %o.host, "a directory host is down");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::modules::ModuleType;

    fn module(config: Value) -> Module {
        Module {
            id: "m".into(),
            tenant_id: "t".into(),
            community_id: "c".into(),
            module_type: ModuleType::Ldap,
            name: "n".into(),
            enabled: true,
            mode: "direct".into(),
            enhanced_security_on: false,
            last_enabled_at: None,
            config: config.as_object().cloned().unwrap(),
        }
    }

    #[test]
    fn a_down_host_goes_last_until_its_retry_delay_passes() {
        let a = Host { server: "a".into(), port: 389 };
        let b = Host { server: "b".into(), port: 389 };
        let m = module(json!({"server": "a", "serverport": 389, "hosts": [{"server": "b", "port": "389"}]}));
        assert_eq!(ordered(&m, 1000), [a.clone(), b.clone()]);
        let (config, changed) = recorded(&m.config, &[Outcome { host: a.clone(), up: false, at: 1000 }]);
        assert!(changed);
        let down = Module { config, ..m.clone() };
        assert_eq!(ordered(&down, 1000 + 60), [b.clone(), a.clone()], "resting");
        assert_eq!(ordered(&down, 1000 + 31 * 60), [a.clone(), b.clone()], "retried after 30 minutes");
        let (_, changed) = recorded(&down.config, &[Outcome { host: a.clone(), up: false, at: 1030 }]);
        assert!(!changed, "a second failure within the minute is not written");
        let (_, changed) = recorded(&down.config, &[Outcome { host: a.clone(), up: false, at: 1060 }]);
        assert!(changed);
        // A success on a host already up changes nothing worth a write; coming back up does.
        let (seen, changed) = recorded(&m.config, &[Outcome { host: b.clone(), up: true, at: 1 }]);
        assert!(changed, "the first status of a host");
        let (_, changed) = recorded(&seen, &[Outcome { host: b.clone(), up: true, at: 2 }]);
        assert!(!changed);
        let (config, changed) = recorded(&down.config, &[Outcome { host: a, up: true, at: 2000 }]);
        assert!(changed);
        assert_eq!(config["hosts"][1]["status"], "up", "{config:?}");
    }
}
