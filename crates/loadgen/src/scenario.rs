//! The scenarios: what one request of each is, prepared once (keys, the session to poll) so the
//! measured loop only signs, sends and reads.
//!
//! Signed scenarios send fresh headers on every request, as the helper SDKs do
//! ([`envelope::Client::headers`]: a new `requestid`, so the replay cache sees each one once), and
//! `PUT /session/new` seals its body for the service.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use envelope::wire::SealedBody;
use envelope::{Client, Curve, KeyPair, Peer};
use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::{Cli, ScenarioKind};

/// The signing side of a signed scenario.
#[derive(Debug, Clone)]
struct Signer {
    client: Client,
    peer: Peer,
}

/// One scenario, ready to send.
#[derive(Debug)]
pub struct Scenario {
    /// The row's name, e.g. `PUT /session/new`.
    pub name: String,
    method: Method,
    url: String,
    signer: Option<Signer>,
    body: Option<Body>,
    /// An `authorization` header (an access token) sent with each request.
    authorization: Option<String>,
}

/// What a signed scenario sends.
#[derive(Debug)]
enum Body {
    /// The same body every time.
    Fixed(Value),
    /// A `users/create` of one new user: `<prefix>-<n>` for the n-th request.
    NewUser { module: String, prefix: String, next: AtomicU64 },
}

/// The password of the users the users-mgmt scenarios create (any db module policy accepts it).
const USER_PASSWORD: &str = "Loadgen-Pass-1234!";

impl Body {
    fn value(&self) -> Value {
        match self {
            Self::Fixed(v) => v.clone(),
            Self::NewUser { module, prefix, next } => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                json!({"authModule": module, "users": [{"username": format!("{prefix}-{n}"), "password": USER_PASSWORD}]})
            }
        }
    }
}

/// The answer to one request.
pub enum Outcome {
    /// An HTTP status, and the time from sending to the end of the body.
    Answered(u16, Duration),
    /// No HTTP answer: `timeout`, `connect` or `error`.
    Failed(&'static str),
}

fn session_body(cli: &Cli) -> Value {
    json!({
        "origin": {
            "tag": "loadgen",
            "url": "https://loadgen.invalid",
            "communityName": cli.community_name,
            "communityId": cli.community_id,
        },
        "scopes": "",
        "authtype": "none",
        "metadata": {},
    })
}

impl Scenario {
    /// Prepares `kind` against `base` (a checked loopback URL) over `http`.
    pub async fn prepare(kind: ScenarioKind, cli: &Cli, base: &str, http: &reqwest::Client) -> Result<Self, String> {
        let plain = |name: String, path: &str| Self {
            name,
            method: Method::GET,
            url: format!("{base}{path}"),
            signer: None,
            body: None,
            authorization: None,
        };
        match kind {
            ScenarioKind::Publickeys => Ok(plain("GET /publickeys".into(), "/publickeys")),
            ScenarioKind::Healthz => Ok(plain("GET /healthz".into(), "/healthz")),
            ScenarioKind::Raw => {
                let path = match (&cli.raw_path, cli.raw_path_length) {
                    (Some(p), _) if p.starts_with('/') => p.clone(),
                    (Some(_), _) => return Err("--raw-path must start with /".into()),
                    (None, Some(n)) => format!("/{}", "a".repeat(usize::try_from(n).unwrap_or(1).saturating_sub(1))),
                    (None, None) => return Err("the raw scenario needs --raw-path or --raw-path-length".into()),
                };
                let name =
                    if path.len() > 40 { format!("GET /aaa… ({} chars)", path.len()) } else { format!("GET {path}") };
                Ok(plain(name, &path))
            }
            ScenarioKind::SessionNew => {
                let signer = signer(cli, base, http).await?;
                Ok(Self {
                    name: "PUT /session/new".into(),
                    method: Method::PUT,
                    url: format!("{base}/session/new"),
                    signer: Some(signer),
                    body: Some(Body::Fixed(session_body(cli))),
                    authorization: None,
                })
            }
            ScenarioKind::SessionPoll => {
                let signer = signer(cli, base, http).await?;
                let created = signer
                    .client
                    .call(Method::PUT, base, "/session/new", Some(&session_body(cli)))
                    .await
                    .map_err(|e| format!("creating the session to poll: {e}"))?;
                let id = created.body.get("sessionId").and_then(Value::as_str).filter(|_| created.status == 201);
                let Some(id) = id else {
                    return Err(format!("PUT /session/new answered {} {}", created.status, created.body));
                };
                Ok(Self {
                    name: "GET /session/{id}/response (pending)".into(),
                    method: Method::GET,
                    url: format!("{base}/session/{id}/response"),
                    signer: Some(signer),
                    body: None,
                    authorization: None,
                })
            }
            ScenarioKind::UserLogin => {
                let signer = signer(cli, base, http).await?;
                let community = format!("/tenant/{}/community/{}", cli.tenant_id, cli.community_id);
                let module = db_module(&signer, base, &community).await?;
                let username = format!("loadgen-{}", uuid::Uuid::new_v4().simple());
                let users = Body::NewUser { module: module.clone(), prefix: username.clone(), next: AtomicU64::new(0) };
                create_user(&signer, base, &community, &users.value()).await?;
                Ok(Self {
                    name: "POST …/user/authenticate (password)".into(),
                    method: Method::POST,
                    url: format!("{base}{community}/user/authenticate"),
                    signer: Some(signer),
                    body: Some(Body::Fixed(
                        json!({"authModule": module, "username": format!("{username}-0"), "password": USER_PASSWORD}),
                    )),
                    authorization: None,
                })
            }
            ScenarioKind::DirectoryLogin => {
                let signer = signer(cli, base, http).await?;
                let community = format!("/tenant/{}/community/{}", cli.tenant_id, cli.community_id);
                let module = match &cli.directory_module {
                    Some(id) => id.clone(),
                    None => {
                        let config: Value =
                            serde_json::from_str(cli.directory_config.as_deref().unwrap_or_default()).map_err(|_| {
                                "the directory-login scenario needs --directory-config (the module's config, JSON) or --directory-module"
                            })?;
                        let body = json!({"type": "ldap", "name": "loadgen directory", "config": config});
                        let reply = signer
                            .client
                            .call(Method::PUT, base, &format!("{community}/module/create"), Some(&body))
                            .await
                            .map_err(|e| format!("creating the ldap module: {e}"))?;
                        match reply.body.get("_id").and_then(Value::as_str).filter(|_| reply.status == 200) {
                            Some(id) => id.to_owned(),
                            None => {
                                return Err(format!(
                                    "creating the ldap module answered {} {}",
                                    reply.status, reply.body
                                ));
                            }
                        }
                    }
                };
                let password = cli.password.clone().ok_or("the directory-login scenario needs --password")?;
                Ok(Self {
                    name: "POST …/user/authenticate (directory)".into(),
                    method: Method::POST,
                    url: format!("{base}{community}/user/authenticate"),
                    signer: Some(signer),
                    body: Some(Body::Fixed(
                        json!({"authModule": module, "username": cli.username, "password": password}),
                    )),
                    authorization: None,
                })
            }
            ScenarioKind::UserCreate => {
                let signer = signer(cli, base, http).await?;
                let community = format!("/tenant/{}/community/{}", cli.tenant_id, cli.community_id);
                let module = db_module(&signer, base, &community).await?;
                let prefix = format!("loadgen-{}", uuid::Uuid::new_v4().simple());
                Ok(Self {
                    name: "PUT …/users/create (1 user)".into(),
                    method: Method::PUT,
                    url: format!("{base}{community}/users/create"),
                    signer: Some(signer),
                    body: Some(Body::NewUser { module, prefix, next: AtomicU64::new(0) }),
                    authorization: None,
                })
            }
            ScenarioKind::UsersFetch => {
                let signer = signer(cli, base, http).await?;
                let community = format!("/tenant/{}/community/{}", cli.tenant_id, cli.community_id);
                let module = db_module(&signer, base, &community).await?;
                Ok(Self {
                    name: "POST …/users/fetch (25, users-mgmt)".into(),
                    method: Method::POST,
                    url: format!("{base}{community}/users/fetch"),
                    signer: Some(signer),
                    body: Some(Body::Fixed(json!({"authModule": module, "pSize": 25}))),
                    authorization: None,
                })
            }
            ScenarioKind::AdminLogin => {
                let signer = unlicensed(cli, base, http).await?;
                Ok(Self {
                    name: "POST /verifyuser (adminapi)".into(),
                    method: Method::POST,
                    url: format!("{base}/verifyuser"),
                    signer: Some(signer),
                    body: Some(Body::Fixed(login_body(cli)?)),
                    authorization: None,
                })
            }
            ScenarioKind::AdminUsersFetch => {
                let signer = unlicensed(cli, base, http).await?;
                let login = signer
                    .client
                    .call(Method::POST, base, "/verifyuser", Some(&login_body(cli)?))
                    .await
                    .map_err(|e| format!("signing in: {e}"))?;
                let (Some(token), Some(module)) =
                    (login.body["jwt_token"].as_str(), login.body["user"]["moduleId"].as_str())
                else {
                    return Err(format!("POST /verifyuser answered {} {}", login.status, login.body));
                };
                let body = json!({"tenantId": cli.tenant_id, "communityId": cli.community_id, "moduleId": module, "pSize": 25});
                Ok(Self {
                    name: "POST /users/fetch (25, through adminapi)".into(),
                    method: Method::POST,
                    url: format!("{base}/users/fetch"),
                    signer: Some(signer),
                    body: Some(Body::Fixed(body)),
                    authorization: Some(format!("Bearer {token}")),
                })
            }
        }
    }

    /// Sends one request and reads the whole answer.
    pub async fn once(&self, http: &reqwest::Client) -> Outcome {
        let mut req = http.request(self.method.clone(), &self.url);
        if let Some(token) = &self.authorization {
            req = req.header("authorization", token);
        }
        if let Some(s) = &self.signer {
            let Ok(headers) = s.client.headers(&s.peer) else { return Outcome::Failed("signing") };
            for (name, value) in headers.pairs() {
                req = req.header(name, value);
            }
            if let Some(body) = &self.body {
                let Ok(sealed) = SealedBody::seal(&s.peer.shared, &body.value()) else {
                    return Outcome::Failed("sealing");
                };
                req = req.json(&sealed);
            }
        }
        let start = Instant::now();
        let answer = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                resp.bytes().await.map(|_| status)
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok(status) => Outcome::Answered(status, start.elapsed()),
            Err(e) if e.is_timeout() => Outcome::Failed("timeout"),
            Err(e) if e.is_connect() => Outcome::Failed("connect"),
            Err(_) => Outcome::Failed("error"),
        }
    }
}

async fn signer(cli: &Cli, base: &str, http: &reqwest::Client) -> Result<Signer, String> {
    let license = cli.license.as_deref().ok_or("signed scenarios need --license (or LOADGEN_LICENSE_KEY)")?;
    signer_with(cli, base, http, Some(license)).await
}

/// A signer without a license (adminapi's login endpoints take none).
async fn unlicensed(cli: &Cli, base: &str, http: &reqwest::Client) -> Result<Signer, String> {
    signer_with(cli, base, http, None).await
}

async fn signer_with(cli: &Cli, base: &str, http: &reqwest::Client, license: Option<&str>) -> Result<Signer, String> {
    let curve = Curve::from_name(&cli.curve).map_err(|e| format!("--curve: {e}"))?;
    let keys = Arc::new(KeyPair::generate(curve).map_err(|e| format!("key generation: {e}"))?);
    let mut client = Client::with_http(http.clone(), keys).app_id("loadgen");
    if let Some(license) = license {
        client = client.license(license);
    }
    let peer = client.peer(base).await.map_err(|e| format!("the service's public key: {e}"))?;
    Ok(Signer { client, peer })
}

/// The `POST /verifyuser` body of `--username` / `--password`.
fn login_body(cli: &Cli) -> Result<Value, String> {
    let password = cli.password.as_deref().ok_or("the adminapi scenarios need --password (or LOADGEN_PASSWORD)")?;
    Ok(
        json!({"tenantId": cli.tenant_id, "communityId": cli.community_id, "username": cli.username, "password": password}),
    )
}

/// The db module of the community (a community has at most one), created with the default
/// password policy when there is none, for the users-mgmt scenarios.
async fn db_module(signer: &Signer, base: &str, community: &str) -> Result<String, String> {
    let listed = signer
        .client
        .call(Method::POST, base, &format!("{community}/modules/fetch"), Some(&json!({})))
        .await
        .map_err(|e| format!("listing the modules: {e}"))?;
    let existing = listed.body.as_array().into_iter().flatten().find(|m| m["type"] == "db");
    if let Some(id) = existing.and_then(|m| m["_id"].as_str()) {
        return Ok(id.to_owned());
    }
    let body = json!({"type": "db", "name": "loadgen"});
    let reply = signer
        .client
        .call(Method::PUT, base, &format!("{community}/module/create"), Some(&body))
        .await
        .map_err(|e| format!("creating the db module: {e}"))?;
    match reply.body.get("_id").and_then(Value::as_str).filter(|_| reply.status == 200) {
        Some(id) => Ok(id.to_owned()),
        None => Err(format!("PUT {community}/module/create answered {} {}", reply.status, reply.body)),
    }
}

/// Creates the user of a `users/create` body, or says why not.
async fn create_user(signer: &Signer, base: &str, community: &str, body: &Value) -> Result<(), String> {
    let reply = signer
        .client
        .call(Method::PUT, base, &format!("{community}/users/create"), Some(body))
        .await
        .map_err(|e| format!("creating the user: {e}"))?;
    if reply.status == 200 && reply.body.get("created").and_then(Value::as_u64) == Some(1) {
        Ok(())
    } else {
        Err(format!("PUT {community}/users/create answered {} {}", reply.status, reply.body))
    }
}
