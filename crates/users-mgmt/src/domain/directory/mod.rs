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

/// The 409 of an operation brokers do not relay yet.
fn not_through_broker(what: &str) -> DomainError {
    DomainError::Conflict(format!("{what} is not relayed through a broker yet: the module is in mode broker"))
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
        if brokered(module) {
            return Err(not_through_broker("fetching and counting users"));
        }
        let s = self.settings(module)?;
        let filter = query_filter(&s, query)?;
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
        if brokered(module) {
            return Err(not_through_broker("changing a password"));
        }
        let s = self.settings(module)?;
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

    /// Connects to each host and binds as the service account: `(status, message, hosts)`, the
    /// step that failed on each host that did. Every host's status is recorded.
    pub async fn test(&self, module: &Module) -> Result<(bool, String, Vec<Value>), DomainError> {
        if brokered(module) {
            return Err(not_through_broker("the connection test"));
        }
        let s = self.settings(module)?;
        let now = envelope::wire::now_epoch();
        let mut report = Vec::new();
        let mut outcomes = Vec::new();
        let mut first_failure = None;
        // In the configured order, down or not: every host is tested.
        for host in &config::hosts(&module.config) {
            let result = client::connect(&s, host).await;
            let (up, entry) = match result {
                Ok(c) => {
                    c.close().await;
                    (
                        true,
                        json!({"server": host.server, "port": host.port.to_string(), "status": true, "message": "connection success"}),
                    )
                }
                Err(f) => {
                    let message = format!("{} failed: {}", f.step.name(), f.reason);
                    let entry = json!({"server": host.server, "port": host.port.to_string(), "status": false,
                                       "step": f.step.name(), "message": message});
                    first_failure.get_or_insert((host.to_string(), message));
                    (f.answered, entry)
                }
            };
            outcomes.push(hosts::Outcome { host: host.clone(), up, at: now });
            report.push(entry);
        }
        hosts::record(self.modules, module, &outcomes).await?;
        let ok = report.iter().any(|h| h["status"] == true);
        let message = match (ok, first_failure) {
            (true, None) => "connection success".to_owned(),
            (true, Some((host, why))) => format!("connection success (host {host}: {why})"),
            (false, Some((host, why))) => format!("connection failed: host {host}: {why}"),
            (false, None) => "connection failed: the module has no host".to_owned(),
        };
        Ok((ok, message, report))
    }
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
