//! Directory modules (`ldap`, `ad`) made real: users are found in the directory by the
//! module's login attribute, their password checked by binding as them, fetched and counted with
//! paged searches, their password changed where the directory lets the user. The hosts of a
//! module are tried in order (failover), and their status is kept ([`hosts`]).
//!
//! Never a success without the directory's word: a directory that cannot be reached is a 503
//! ([`DomainError::Busy`]) with its hosts marked down; a user it does not know or whose password
//! it refuses is a refusal (the caller's 401, counted toward lockout).

pub mod client;
pub mod config;
pub mod hosts;
pub mod people;
pub mod relayed;

use kit::DomainError;
use kit::sealer::Sealer;
use serde_json::{Value, json};

use self::client::{Connection, Failure};
use self::config::{DirectorySettings, UserFilter};
use self::people::Person;
pub use self::relayed::HostCheck;
use crate::domain::brokers::Relay;
use crate::domain::modules::{Module, ModuleStore};
use crate::domain::users::Query;

/// What the directory operations need.
#[derive(Clone, Copy)]
pub struct Directory<'a> {
    pub modules: &'a dyn ModuleStore,
    pub sealer: &'a Sealer,
    /// The brokers of the modules in `mode: broker`.
    pub relay: &'a Relay,
}

/// Whether a module reaches its directory through a broker.
fn brokered(module: &Module) -> bool {
    module.mode == "broker"
}

/// What the directory says of a login.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// No such user (or several entries match the name).
    Unknown,
    /// The user, and whether the password is theirs.
    Known { person: Box<Person>, password_ok: bool },
}

/// The 503 of a directory that did not answer, or refused the module's service account.
fn unavailable(failures: &[Failure]) -> DomainError {
    if let Some(f) = failures.iter().find(|f| f.answered) {
        tracing::warn!(host = %f.host, step = f.step.name(), reason = %f.reason, "the directory refused the service account");
        return DomainError::Busy("the directory refused the auth module's service account".into());
    }
    for f in failures {
        tracing::warn!(host = %f.host, step = f.step.name(), reason = %f.reason, "a directory host failed");
    }
    DomainError::Busy("the directory is unavailable, try again".into())
}

impl Directory<'_> {
    /// The module's settings.
    pub fn settings(&self, module: &Module) -> Result<DirectorySettings, DomainError> {
        config::settings(module, self.sealer)
    }

    /// A connection bound as the service account to the first host that answers; the hosts'
    /// status recorded.
    async fn open(&self, module: &Module, s: &DirectorySettings) -> Result<Connection, DomainError> {
        let (connection, outcomes) = client::open(s).await;
        hosts::record(self.modules, module, &outcomes).await?;
        connection.map_err(|failures| unavailable(&failures))
    }

    /// A failure in the middle of an operation: the host is marked down, 503.
    async fn lost(&self, module: &Module, f: Failure) -> DomainError {
        if !f.answered {
            let outcome = hosts::Outcome { host: f.host.clone(), up: false, at: envelope::wire::now_epoch() };
            if let Err(e) = hosts::record(self.modules, module, &[outcome]).await {
                return e;
            }
        }
        unavailable(&[f])
    }

    /// Looks `name` up and checks `password` by binding as the user.
    pub async fn authenticate(&self, module: &Module, name: &str, password: &str) -> Result<Verdict, DomainError> {
        let s = self.settings(module)?;
        if brokered(module) {
            let a = relayed::run(self.relay, self.modules, module, &s, "authenticate", name, Some(password)).await?;
            return Ok(match a.entry {
                None => Verdict::Unknown,
                Some(e) => {
                    Verdict::Known { person: Box::new(people::person(&s, &e, name)), password_ok: a.password_ok }
                }
            });
        }
        let mut c = self.open(module, &s).await?;
        let result: Result<Verdict, Failure> = async {
            let Some(entry) = c.find(&s, &config::filter_for(&s, name)).await? else { return Ok(Verdict::Unknown) };
            let person = people::person(&s, &entry, name);
            let password_ok = c.check_password(&person.dn, password).await?;
            Ok(Verdict::Known { person: Box::new(person), password_ok })
        }
        .await;
        c.close().await;
        match result {
            Ok(v) => Ok(v),
            Err(f) => Err(self.lost(module, f).await),
        }
    }

    /// The person `name` is, if the directory knows them.
    pub async fn find(&self, module: &Module, name: &str) -> Result<Option<Person>, DomainError> {
        let s = self.settings(module)?;
        if brokered(module) {
            let a = relayed::run(self.relay, self.modules, module, &s, "find", name, None).await?;
            return Ok(a.entry.map(|e| people::person(&s, &e, name)));
        }
        let mut c = self.open(module, &s).await?;
        let found = c.find(&s, &config::filter_for(&s, name)).await;
        c.close().await;
        match found {
            Ok(entry) => Ok(entry.map(|e| people::person(&s, &e, name))),
            Err(f) => Err(self.lost(module, f).await),
        }
    }

    /// A page (`offset`, at most `limit`) of the people matching `query`, and how many match.
    pub async fn page(
        &self,
        module: &Module,
        query: &Query,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Person>, u64), DomainError> {
        let s = self.settings(module)?;
        let filter = query_filter(&s, query)?;
        if brokered(module) {
            let (entries, total) = relayed::page(self.relay, self.modules, module, &s, &filter, offset, limit).await?;
            return Ok((entries.iter().map(|e| people::person(&s, e, "")).collect(), total));
        }
        let mut c = self.open(module, &s).await?;
        let found = c.page(&s, &filter, offset, limit).await;
        c.close().await;
        match found {
            Ok((entries, total)) => Ok((entries.iter().map(|e| people::person(&s, e, "")).collect(), total)),
            Err(f) => Err(self.lost(module, f).await),
        }
    }

    /// Changes the password of `name` from `old` to `new` as the user: `Ok(false)` when the
    /// directory does not know the user or refuses (a wrong old password, its policy).
    pub async fn change_password(
        &self,
        module: &Module,
        name: &str,
        old: &str,
        new: &str,
    ) -> Result<bool, DomainError> {
        let s = self.settings(module)?;
        if brokered(module) {
            return relayed::change_password(self.relay, self.modules, module, &s, name, old, new).await;
        }
        let mut c = self.open(module, &s).await?;
        let result: Result<bool, Failure> = async {
            let Some(entry) = c.find(&s, &config::filter_for(&s, name)).await? else { return Ok(false) };
            c.change_password(s.kind, &entry.dn, old, new).await
        }
        .await;
        c.close().await;
        match result {
            Ok(done) => Ok(done),
            Err(f) => Err(self.lost(module, f).await),
        }
    }

    /// Connects to each host and binds as the service account (through a broker of the module
    /// in `mode: broker`): `(status, message, hosts)`, the step that failed on each host that
    /// did. Every host's status is recorded.
    pub async fn test(&self, module: &Module) -> Result<(bool, String, Vec<Value>), DomainError> {
        let s = self.settings(module)?;
        let checks = if brokered(module) {
            relayed::test(self.relay, self.modules, module, &s).await?
        } else {
            self.test_directly(module, &s).await?
        };
        let mut first_failure = None;
        let report: Vec<Value> = checks
            .iter()
            .map(|c| {
                let (server, port) = (&c.host.server, c.host.port.to_string());
                match &c.failed {
                    None => json!({"server": server, "port": port, "status": true, "message": "connection success"}),
                    Some((step, reason)) => {
                        let message = format!("{step} failed: {reason}");
                        first_failure.get_or_insert((c.host.to_string(), message.clone()));
                        json!({"server": server, "port": port, "status": false, "step": step, "message": message})
                    }
                }
            })
            .collect();
        let ok = checks.iter().any(|c| c.failed.is_none());
        let message = match (ok, first_failure) {
            (true, None) => "connection success".to_owned(),
            (true, Some((host, why))) => format!("connection success (host {host}: {why})"),
            (false, Some((host, why))) => format!("connection failed: host {host}: {why}"),
            (false, None) => "connection failed: the module has no host".to_owned(),
        };
        Ok((ok, message, report))
    }

    /// Each host of the module, in the configured order (down or not), connected to and bound
    /// as the service account from here; the outcomes recorded.
    async fn test_directly(&self, module: &Module, s: &DirectorySettings) -> Result<Vec<HostCheck>, DomainError> {
        let checks = check_hosts(s, &config::hosts(&module.config)).await;
        let now = envelope::wire::now_epoch();
        let outcomes: Vec<hosts::Outcome> =
            checks.iter().map(|c| hosts::Outcome { host: c.host.clone(), up: c.up, at: now }).collect();
        hosts::record(self.modules, module, &outcomes).await?;
        Ok(checks)
    }
}

/// Connects to each of `hosts` and binds as the service account: how each fared. Used here and
/// by the broker.
pub async fn check_hosts(s: &DirectorySettings, hosts: &[config::Host]) -> Vec<HostCheck> {
    let mut checks = Vec::with_capacity(hosts.len());
    for host in hosts {
        checks.push(match client::connect(s, host).await {
            Ok(c) => {
                c.close().await;
                HostCheck { host: host.clone(), failed: None, up: true }
            }
            Err(f) => {
                HostCheck { host: host.clone(), failed: Some((f.step.name().to_owned(), f.reason)), up: f.answered }
            }
        });
    }
    checks
}

/// The attribute of the directory that a query field filters on.
fn query_attribute<'a>(s: &'a DirectorySettings, field: &str) -> Result<&'a str, DomainError> {
    Ok(match field {
        "username" => match &s.user_filter {
            UserFilter::Attribute(a) => a.as_str(),
            UserFilter::Template(_) => "",
        },
        "email1" => "mail",
        "firstname" => "givenName",
        "lastname" => "sn",
        "phone1" => "telephoneNumber",
        other => {
            return Err(DomainError::Invalid(format!(
                "query.{other} cannot be searched in a directory: use username, email1, firstname, lastname or phone1"
            )));
        }
    })
}

/// The search filter of a `users/fetch` or `users/count` query: every user of the module (the
/// login attribute present, `ldapqueryfilter`) with each field equal.
pub fn query_filter(s: &DirectorySettings, query: &Query) -> Result<String, DomainError> {
    let mut parts = vec![match &s.user_filter {
        UserFilter::Attribute(a) => format!("({a}=*)"),
        UserFilter::Template(t) => t.replace("{0}", "*"),
    }];
    parts.extend(s.extra_filter.clone());
    for (field, value) in &query.0 {
        let attribute = query_attribute(s, field)?;
        let escaped = ldap3::ldap_escape(value.as_str());
        parts.push(if attribute.is_empty() {
            config::filter_for(s, value)
        } else {
            format!("({attribute}={escaped})")
        });
    }
    Ok(if parts.len() == 1 { parts.remove(0) } else { format!("(&{})", parts.concat()) })
}

/// The reply fields of a module that say what the test found.
pub fn test_reply(mut reply: Value, ok: bool, message: &str, hosts: Vec<Value>) -> Value {
    if let Some(map) = reply.as_object_mut() {
        map.insert("status".into(), json!(ok));
        map.insert("message".into(), json!(message));
        map.insert("hosts".into(), Value::Array(hosts));
    }
    reply
}
