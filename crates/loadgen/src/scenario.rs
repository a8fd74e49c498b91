//! The scenarios: what one request of each is, prepared once (keys, the session to poll) so the
//! measured loop only signs, sends and reads.
//!
//! Signed scenarios send fresh headers on every request, as the helper SDKs do
//! ([`envelope::Client::headers`]: a new `requestid`, so the replay cache sees each one once), and
//! `PUT /session/new` seals its body for the service.

use std::sync::Arc;
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
    body: Option<Value>,
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
                    body: Some(session_body(cli)),
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
                })
            }
        }
    }

    /// Sends one request and reads the whole answer.
    pub async fn once(&self, http: &reqwest::Client) -> Outcome {
        let mut req = http.request(self.method.clone(), &self.url);
        if let Some(s) = &self.signer {
            let Ok(headers) = s.client.headers(&s.peer) else { return Outcome::Failed("signing") };
            for (name, value) in headers.pairs() {
                req = req.header(name, value);
            }
            if let Some(body) = &self.body {
                let Ok(sealed) = SealedBody::seal(&s.peer.shared, body) else { return Outcome::Failed("sealing") };
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
    let curve = Curve::from_name(&cli.curve).map_err(|e| format!("--curve: {e}"))?;
    let keys = Arc::new(KeyPair::generate(curve).map_err(|e| format!("key generation: {e}"))?);
    let client = Client::with_http(http.clone(), keys).license(license).app_id("loadgen");
    let peer = client.peer(base).await.map_err(|e| format!("the service's public key: {e}"))?;
    Ok(Signer { client, peer })
}
