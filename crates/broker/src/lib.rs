//! The broker: an agent on the customer's network for a directory module in `mode: broker`. It
//! connects out to users-mgmt (no inbound port), registers with its broker key (a system or
//! service license key authorized for the community) and runs [`Config::workers`] long-poll
//! loops: each poll carries the answers to the requests of the previous one and waits for new
//! ones. A request names the operation (`authenticate`, `find`, `page`, `changePassword`,
//! `test`), the module's directory settings (its bind password included, sealed by the envelope
//! on the wire) and its fields; the broker runs it against the directory with users-mgmt's own
//! LDAP client and answers what it found: the entry and the password check, a page of entries
//! and their count, whether the password was changed, how each host fared in a connection test.
//! Requests, answers and passwords are never logged.

use std::sync::Arc;
use std::time::Duration;

use envelope::{Client, Curve, KeyPair};
use reqwest::Method;
use serde_json::{Value, json};
use users_mgmt::domain::directory::{self, client, config, relayed};
use users_mgmt::domain::modules::ModuleType;
use zeroize::Zeroizing;

/// What the broker needs to know (from the environment in `main`).
#[derive(Clone)]
pub struct Config {
    /// users-mgmt's base URL.
    pub url: String,
    /// The broker key: a system or service license key authorized for the community.
    pub key: String,
    pub tenant_id: String,
    pub community_id: String,
    pub module_id: String,
    /// The broker's name as administrators see it.
    pub name: String,
    /// The uid of a previous registration, to reconnect as itself.
    pub uid: Option<String>,
    /// Concurrent poll loops (requests in flight at once).
    pub workers: usize,
}

impl std::fmt::Debug for Config {
    /// Without the broker key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("url", &self.url)
            .field("community_id", &self.community_id)
            .field("module_id", &self.module_id)
            .field("name", &self.name)
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

/// Why the broker stopped.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// users-mgmt refused the broker (a bad key, a disabled or deleted connection).
    #[error("users-mgmt refused the broker: {0}")]
    Refused(String),
    /// The broker could not start (its key pair, its HTTP client).
    #[error("{0}")]
    Setup(String),
}

fn module_path(c: &Config, rest: &str) -> String {
    format!("/tenant/{}/community/{}/module/{}{rest}", c.tenant_id, c.community_id, c.module_id)
}

/// The envelope client of the broker: its own key pair, its broker key, a timeout above the
/// longest poll.
fn envelope_client(c: &Config) -> Result<Client, BrokerError> {
    let keys = KeyPair::generate(Curve::Secp256k1).map_err(|e| BrokerError::Setup(e.to_string()))?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(330))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| BrokerError::Setup(e.to_string()))?;
    Ok(Client::with_http(http, Arc::new(keys)).license(&c.key).app_id("broker"))
}

/// Registers with users-mgmt: the connection's uid.
pub async fn register(c: &Config) -> Result<String, BrokerError> {
    let client = envelope_client(c)?;
    let mut body = json!({"name": c.name, "version": env!("CARGO_PKG_VERSION")});
    if let Some(uid) = &c.uid {
        body["uid"] = json!(uid);
    }
    let reply = client
        .call(Method::POST, &c.url, &module_path(c, "/broker/connect"), Some(&body))
        .await
        .map_err(|e| BrokerError::Refused(e.to_string()))?;
    if reply.status != 200 {
        return Err(BrokerError::Refused(format!("{} {}", reply.status, reply.body["message"])));
    }
    reply.body["uid"].as_str().map(str::to_owned).ok_or_else(|| BrokerError::Refused("no uid in the reply".into()))
}

/// Registers and runs the poll loops until users-mgmt refuses the broker (disabled, deleted):
/// a network failure is retried after a pause.
pub async fn run(c: Config) -> Result<(), BrokerError> {
    let uid = register(&c).await?;
    tracing::info!(%uid, workers = c.workers, "broker registered");
    let client = envelope_client(&c)?;
    let path = module_path(&c, &format!("/broker/{uid}/poll"));
    let mut loops = tokio::task::JoinSet::new();
    for _ in 0..c.workers.max(1) {
        let (client, url, path) = (client.clone(), c.url.clone(), path.clone());
        loops.spawn(async move { poll_loop(&client, &url, &path).await });
    }
    let first = loops.join_next().await;
    loops.abort_all();
    match first {
        Some(Ok(result)) => result,
        _ => Err(BrokerError::Setup("a poll loop stopped".into())),
    }
}

async fn poll_loop(client: &Client, url: &str, path: &str) -> Result<(), BrokerError> {
    let mut answers: Vec<Value> = Vec::new();
    loop {
        let body = json!({"answers": answers});
        let reply = match client.call(Method::POST, url, path, Some(&body)).await {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(reason = %e, "poll failed, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        answers = Vec::new();
        match reply.status {
            200 => {}
            401 | 403 | 404 => return Err(BrokerError::Refused(format!("{} {}", reply.status, reply.body["message"]))),
            status => {
                tracing::warn!(status, "poll answered an error, retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        }
        let requests = reply.body["requests"].as_array().cloned().unwrap_or_default();
        let mut running = tokio::task::JoinSet::new();
        for request in requests {
            running.spawn(handle(request));
        }
        while let Some(done) = running.join_next().await {
            if let Ok(answer) = done {
                answers.push(answer);
            }
        }
    }
}

/// Runs one relayed request against the directory: its answer, with the request's `id`.
pub async fn handle(request: Value) -> Value {
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let mut answer = run_request(&request).await;
    answer["id"] = id;
    answer
}

fn unavailable(message: impl Into<String>) -> Value {
    json!({"status": "unavailable", "message": message.into()})
}

async fn run_request(request: &Value) -> Value {
    let op = request.get("op").and_then(Value::as_str).unwrap_or_default();
    if !relayed::OPERATIONS.contains(&op) {
        return unavailable("unknown operation");
    }
    let kind = request.get("moduleType").and_then(Value::as_str).and_then(ModuleType::from_name);
    let (Some(kind), Some(settings)) = (kind, request.get("config").and_then(Value::as_object)) else {
        return unavailable("a request without moduleType or config");
    };
    let bind_password =
        Zeroizing::new(settings.get("bindpassword").and_then(Value::as_str).unwrap_or_default().to_owned());
    // The order users-mgmt gives (hosts marked down last), else the configuration's.
    let given: Vec<config::Host> = request
        .get("hosts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let port = u16::try_from(h.get("port")?.as_u64()?).ok()?;
            Some(config::Host { server: h.get("server")?.as_str()?.to_owned(), port })
        })
        .collect();
    let order = if given.is_empty() { config::hosts(settings) } else { given };
    let s = match config::settings_from(kind, settings, bind_password, order) {
        Ok(s) => s,
        Err(e) => return unavailable(format!("bad module settings: {e}")),
    };
    if op == "test" {
        return test(&s).await;
    }
    let name = request.get("username").and_then(Value::as_str).unwrap_or_default();
    let (connection, outcomes) = client::open(&s).await;
    let mut hosts: Vec<Value> =
        outcomes.iter().map(|o| json!({"server": o.host.server, "port": o.host.port, "up": o.up})).collect();
    let mut c = match connection {
        Ok(c) => c,
        Err(failures) => {
            let refused = failures.iter().any(|f| f.answered);
            let why: Vec<String> =
                failures.iter().map(|f| format!("{}: {} failed: {}", f.host, f.step.name(), f.reason)).collect();
            tracing::warn!(failures = %why.join("; "), "the directory could not be reached");
            let mut answer = if refused {
                json!({"status": "refused", "message": why.join("; ")})
            } else {
                unavailable(why.join("; "))
            };
            answer["hosts"] = json!(hosts);
            return answer;
        }
    };
    let result = operate(&mut c, &s, op, name, request).await;
    c.close().await;
    let mut answer = result.unwrap_or_else(|f| {
        // A host lost in the middle of the operation is down (a refusal is not).
        if !f.answered {
            hosts.push(json!({"server": f.host.server, "port": f.host.port, "up": false}));
        }
        unavailable(format!("{}: {} failed: {}", f.host, f.step.name(), f.reason))
    });
    answer["hosts"] = json!(hosts);
    answer
}

/// Runs `op` (`authenticate`, `find`, `page`, `changePassword`) on an open connection.
async fn operate(
    c: &mut client::Connection,
    s: &config::DirectorySettings,
    op: &str,
    name: &str,
    request: &Value,
) -> Result<Value, client::Failure> {
    let field = |f: &str| request.get(f).and_then(Value::as_str);
    let entry_json = |e: &ldap3::SearchEntry| json!({"dn": e.dn, "attrs": e.attrs});
    if op == "page" {
        let number = |f: &str| request.get(f).and_then(Value::as_u64).unwrap_or_default();
        let (entries, total) =
            c.page(s, field("filter").unwrap_or_default(), number("offset"), number("limit")).await?;
        return Ok(
            json!({"status": "ok", "entries": entries.iter().map(entry_json).collect::<Vec<_>>(), "total": total}),
        );
    }
    let Some(entry) = c.find(s, &config::filter_for(s, name)).await? else {
        return Ok(json!({"status": "ok", "entry": null, "passwordOk": false, "changed": false}));
    };
    match (op, field("password"), field("newPassword")) {
        ("authenticate", Some(p), _) => {
            let password_ok = c.check_password(&entry.dn, p).await?;
            Ok(json!({"status": "ok", "entry": entry_json(&entry), "passwordOk": password_ok}))
        }
        ("changePassword", Some(old), Some(new)) => {
            let changed = c.change_password(s.kind, &entry.dn, old, new).await?;
            Ok(json!({"status": "ok", "changed": changed}))
        }
        _ => Ok(json!({"status": "ok", "entry": entry_json(&entry), "passwordOk": false})),
    }
}

/// The connection test: each host connected to and bound as the service account.
async fn test(s: &config::DirectorySettings) -> Value {
    let checks = directory::check_hosts(s, &s.hosts).await;
    let report: Vec<Value> = checks
        .iter()
        .map(|c| {
            let mut h = json!({"server": c.host.server, "port": c.host.port, "up": c.up});
            if let Some((step, reason)) = &c.failed {
                h["step"] = json!(step);
                h["reason"] = json!(reason);
            }
            h
        })
        .collect();
    json!({"status": "ok", "report": report})
}
