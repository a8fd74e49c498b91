//! The LDAP client of directory modules (`ldap3` over rustls): a connection made step by step
//! (DNS, TCP, TLS, bind) so that a failure names its step, to the first host of the module that
//! answers; searches (one user, or a paged scan for fetch and count); a password checked by
//! binding as the user; a password changed as the user.
//!
//! A simple bind with an empty password is an anonymous bind that succeeds: an empty password is
//! refused before it reaches the directory.

use std::collections::HashSet;
use std::sync::Arc;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, StdStream};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde::Serialize;

use super::config::{DirectorySettings, Host, Transport};
use super::hosts::Outcome;
use crate::domain::modules::ModuleType;

/// The LDAP result code of a bind with wrong credentials.
const INVALID_CREDENTIALS: u32 = 49;

/// The attributes read of a user.
pub const USER_ATTRIBUTES: [&str; 14] = [
    "uid",
    "sAMAccountName",
    "userPrincipalName",
    "cn",
    "displayName",
    "givenName",
    "sn",
    "initials",
    "mail",
    "telephoneNumber",
    "mobile",
    "memberOf",
    "userAccountControl",
    "employeeID",
];

/// A step of reaching a directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    Dns,
    Tcp,
    Tls,
    Bind,
    Search,
    Password,
}

impl Step {
    /// The step's name in replies.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Tcp => "tcp",
            Self::Tls => "tls",
            Self::Bind => "bind",
            Self::Search => "search",
            Self::Password => "password",
        }
    }
}

/// Why a host could not be used: its step and a reason that holds no value of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub host: Host,
    pub step: Step,
    pub reason: String,
    /// The directory answered (a refusal), as opposed to not answering.
    pub answered: bool,
}

impl Failure {
    fn new(host: &Host, step: Step, reason: impl Into<String>) -> Self {
        Self { host: host.clone(), step, reason: reason.into(), answered: false }
    }
}

/// The trust anchors in `pem`.
pub fn roots(pem: &str) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|_| "unreadable PEM".to_owned())?;
        roots.add(cert).map_err(|_| "not a usable CA certificate".to_owned())?;
    }
    if roots.is_empty() { Err("no certificate".into()) } else { Ok(roots) }
}

fn tls_config(s: &DirectorySettings) -> Result<Option<Arc<rustls::ClientConfig>>, String> {
    let Some(pem) = &s.ca_pem else { return Ok(None) };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(pem)?)
        .with_no_client_auth();
    Ok(Some(Arc::new(config)))
}

/// The reason of an ldap3 error, without its text when that could carry a value.
fn reason(e: &LdapError) -> String {
    match e {
        LdapError::LdapResult { result } => format!("result code {}", result.rc),
        LdapError::Timeout { .. } => "timed out".into(),
        LdapError::Io { source } => format!("i/o: {}", source.kind()),
        other => other.to_string(),
    }
}

/// A connection bound as the service account.
pub struct Connection {
    ldap: Ldap,
    pub host: Host,
    timeout: std::time::Duration,
}

/// Connects to `host` and binds as the service account, step by step.
pub async fn connect(s: &DirectorySettings, host: &Host) -> Result<Connection, Failure> {
    let timeout = s.timeout;
    let addresses = tokio::time::timeout(timeout, tokio::net::lookup_host((host.server.as_str(), host.port)))
        .await
        .map_err(|_| Failure::new(host, Step::Dns, "timed out"))?
        .map_err(|_| Failure::new(host, Step::Dns, "the name does not resolve"))?
        .collect::<Vec<_>>();
    if addresses.is_empty() {
        return Err(Failure::new(host, Step::Dns, "the name has no address"));
    }
    let mut stream = None;
    let mut last = String::from("no address");
    for address in addresses {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(s)) => {
                stream = Some(s);
                break;
            }
            Ok(Err(e)) => last = format!("connect: {}", e.kind()),
            Err(_) => last = "connect timed out".into(),
        }
    }
    let stream = stream.ok_or_else(|| Failure::new(host, Step::Tcp, last))?;
    let _ = stream.set_nodelay(true);
    let stream = stream.into_std().map_err(|e| Failure::new(host, Step::Tcp, format!("socket: {}", e.kind())))?;
    let tls = tls_config(s).map_err(|e| Failure::new(host, Step::Tls, e))?;
    let mut settings = LdapConnSettings::new()
        .set_conn_timeout(timeout)
        .set_starttls(s.transport == Transport::StartTls)
        .set_std_stream(StdStream::Tcp(stream));
    if let Some(config) = tls {
        settings = settings.set_config(config);
    }
    let url = url::Url::parse(&format!("{}://{}:{}", s.transport.scheme(), host.server, host.port))
        .map_err(|_| Failure::new(host, Step::Dns, "not a host name"))?;
    // The connection is ours (the stream above): ldap3 adds TLS (LDAPS or StartTLS) on it.
    let (conn, mut ldap) = LdapConnAsync::from_url_with_settings(settings, &url).await.map_err(|e| {
        let step = if s.transport == Transport::Plain { Step::Tcp } else { Step::Tls };
        Failure::new(host, step, reason(&e))
    })?;
    tokio::spawn(async move {
        if let Err(e) = conn.drive().await {
            tracing::debug!(reason = %reason(&e), "a directory connection ended");
        }
    });
    let bound = ldap.with_timeout(timeout).simple_bind(&s.bind_dn, &s.bind_password).await;
    match bound.map(|r| r.rc) {
        Ok(0) => Ok(Connection { ldap, host: host.clone(), timeout }),
        Ok(rc) => Err(Failure {
            answered: true,
            ..Failure::new(host, Step::Bind, format!("the service account was refused (result code {rc})"))
        }),
        Err(e) => Err(Failure::new(host, Step::Bind, reason(&e))),
    }
}

/// The first host of `s` that connects and binds, with what happened on each host tried; or
/// the failures. A host that answered but refused the service account stops the search (every
/// host of a directory would refuse it alike).
pub async fn open(s: &DirectorySettings) -> (Result<Connection, Vec<Failure>>, Vec<Outcome>) {
    let mut failures = Vec::new();
    let mut outcomes = Vec::new();
    let now = envelope::wire::now_epoch();
    for host in &s.hosts {
        match connect(s, host).await {
            Ok(c) => {
                outcomes.push(Outcome { host: host.clone(), up: true, at: now });
                return (Ok(c), outcomes);
            }
            Err(f) => {
                outcomes.push(Outcome { host: host.clone(), up: f.answered, at: now });
                let stop = f.answered;
                failures.push(f);
                if stop {
                    break;
                }
            }
        }
    }
    (Err(failures), outcomes)
}

impl Connection {
    fn failure(&self, step: Step, e: &LdapError) -> Failure {
        Failure::new(&self.host, step, reason(e))
    }

    /// The one entry `filter` finds under the base (none, or more than one: `None`).
    pub async fn find(&mut self, s: &DirectorySettings, filter: &str) -> Result<Option<SearchEntry>, Failure> {
        let found = self
            .ldap
            .with_timeout(self.timeout)
            .search(&s.base_dn, Scope::Subtree, filter, USER_ATTRIBUTES.to_vec())
            .await
            .map_err(|e| self.failure(Step::Search, &e))?;
        let (entries, result) = (found.0, found.1);
        if result.rc != 0 && result.rc != 4 {
            return Err(Failure {
                answered: true,
                ..Failure::new(&self.host, Step::Search, format!("result code {}", result.rc))
            });
        }
        if entries.len() > 1 {
            tracing::warn!(count = entries.len(), "a login name matches several directory entries: refused");
            return Ok(None);
        }
        Ok(entries.into_iter().next().map(SearchEntry::construct))
    }

    /// Whether `password` is the password of `dn` (a bind as the user; the connection is then
    /// bound as the user).
    pub async fn check_password(&mut self, dn: &str, password: &str) -> Result<bool, Failure> {
        if password.is_empty() || dn.is_empty() {
            return Ok(false);
        }
        let bound = self.ldap.with_timeout(self.timeout).simple_bind(dn, password).await;
        match bound {
            Ok(r) if r.rc == 0 => Ok(true),
            Ok(r) if r.rc == INVALID_CREDENTIALS => Ok(false),
            Ok(r) => {
                // Locked, expired, or not allowed: a refusal all the same.
                tracing::info!(rc = r.rc, "the directory refused a user bind");
                Ok(false)
            }
            Err(e) => Err(self.failure(Step::Bind, &e)),
        }
    }

    /// A page of the entries `filter` finds (`offset`, at most `limit`), read through the paged
    /// results control, and how many it finds in all.
    pub async fn page(
        &mut self,
        s: &DirectorySettings,
        filter: &str,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<SearchEntry>, u64), Failure> {
        let adapters: Vec<Box<dyn Adapter<_, _>>> =
            vec![Box::new(EntriesOnly::new()), Box::new(PagedResults::new(500))];
        let mut stream = self
            .ldap
            .with_timeout(self.timeout)
            .streaming_search_with(adapters, &s.base_dn, Scope::Subtree, filter, USER_ATTRIBUTES.to_vec())
            .await
            .map_err(|e| self.failure(Step::Search, &e))?;
        let mut total = 0u64;
        let mut page = Vec::new();
        loop {
            let next = stream.next().await;
            let entry = match next {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(e) => return Err(self.failure(Step::Search, &e)),
            };
            if total >= offset && (page.len() as u64) < limit {
                page.push(SearchEntry::construct(entry));
            }
            total += 1;
        }
        let done = stream.finish().await;
        if done.rc != 0 && done.rc != 4 {
            return Err(Failure {
                answered: true,
                ..Failure::new(&self.host, Step::Search, format!("result code {}", done.rc))
            });
        }
        Ok((page, total))
    }

    /// Changes the password of `dn` from `old` to `new`, bound as the user: the password modify
    /// extended operation for LDAP, a `unicodePwd` delete and add for Active Directory. `Ok(false)`
    /// when the directory refuses the change (policy, rights).
    pub async fn change_password(&mut self, kind: ModuleType, dn: &str, old: &str, new: &str) -> Result<bool, Failure> {
        if !self.check_password(dn, old).await? {
            return Ok(false);
        }
        let done = if kind == ModuleType::Ad {
            let quoted = |p: &str| format!("\"{p}\"").encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
            let changes = vec![
                ldap3::Mod::Delete(b"unicodePwd".to_vec(), HashSet::from([quoted(old)])),
                ldap3::Mod::Add(b"unicodePwd".to_vec(), HashSet::from([quoted(new)])),
            ];
            self.ldap.with_timeout(self.timeout).modify(dn, changes).await
        } else {
            let exop = ldap3::exop::PasswordModify { user_id: Some(dn), old_pass: Some(old), new_pass: Some(new) };
            self.ldap.with_timeout(self.timeout).extended(exop).await.map(|r| r.1)
        };
        match done {
            Ok(r) if r.rc == 0 => Ok(true),
            Ok(r) => {
                tracing::info!(rc = r.rc, "the directory refused a password change");
                Ok(false)
            }
            Err(e) => Err(self.failure(Step::Password, &e)),
        }
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ldap.unbind().await;
    }
}
