//! The calling side of the wire: a reqwest client that signs requests the way the helper SDKs do,
//! for service-to-service calls and for tests.

use std::sync::Arc;
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde_json::Value;

use crate::cipher::{CipherError, SharedKey};
use crate::keys::{KeyError, KeyPair};
use crate::wire::{RequestId, SealedBody, SignedHeaders};

/// Why a call failed before an HTTP status could be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("request to {url} failed: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("{url} answered {status} to /publickeys")]
    NoPublicKey { url: String, status: u16 },
    #[error("the service public key is unusable: {0}")]
    Key(#[from] KeyError),
    #[error("encryption failed: {0}")]
    Cipher(#[from] CipherError),
}

/// An answer, with `{"data": …}` replies already decrypted.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (decrypted when it was sealed), or `Value::Null` for an empty body.
    pub body: Value,
    /// Whether the body arrived encrypted.
    pub sealed: bool,
}

/// A peer service: its public key and the key we share with it.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The service's public key (wire encoding).
    pub public_key: String,
    /// ECDH of our key and the service's.
    pub shared: SharedKey,
}

/// Adds headers to every outgoing request (for example a W3C `traceparent`).
pub type HeaderHook = Arc<dyn Fn(&mut Vec<(String, String)>) + Send + Sync>;

/// Signs and encrypts requests for BlockID services.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    keys: Arc<KeyPair>,
    license_key: Option<Arc<str>>,
    app_id: String,
    peers: moka::sync::Cache<String, Peer>,
    extra_headers: Option<HeaderHook>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("public_key", &self.keys.public_base64()).finish_non_exhaustive()
    }
}

impl Client {
    /// A client holding `keys`, with a 10 s timeout.
    pub fn new(keys: Arc<KeyPair>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|source| ClientError::Http { url: String::new(), source })?;
        Ok(Self::with_http(http, keys))
    }

    /// A client over an existing reqwest client (which should carry a timeout).
    pub fn with_http(http: reqwest::Client, keys: Arc<KeyPair>) -> Self {
        let peers = moka::sync::Cache::builder().max_capacity(256).time_to_live(Duration::from_secs(600)).build();
        Self { http, keys, license_key: None, app_id: "blockid-rs".into(), peers, extra_headers: None }
    }

    /// Adds the headers `hook` gives to every request (trace context, for instance).
    #[must_use]
    pub fn with_headers_from(mut self, hook: HeaderHook) -> Self {
        self.extra_headers = Some(hook);
        self
    }

    /// The license key sent (encrypted) in `licensekey`.
    #[must_use]
    pub fn license(mut self, license_key: &str) -> Self {
        self.license_key = Some(Arc::from(license_key));
        self
    }

    /// The `appid` put in each `requestid`.
    #[must_use]
    pub fn app_id(mut self, app_id: &str) -> Self {
        self.app_id = app_id.to_owned();
        self
    }

    /// Our key pair.
    pub fn keys(&self) -> &Arc<KeyPair> {
        &self.keys
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The service at `base_url`: its public key from `GET /publickeys`, cached for ten minutes.
    pub async fn peer(&self, base_url: &str) -> Result<Peer, ClientError> {
        let base = base_url.trim_end_matches('/');
        if let Some(p) = self.peers.get(base) {
            return Ok(p);
        }
        let url = format!("{base}/publickeys");
        let http_err = |source| ClientError::Http { url: url.clone(), source };
        let resp = self.http.get(&url).send().await.map_err(http_err)?;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.map_err(http_err)?;
        let key = body
            .get("publicKey")
            .and_then(Value::as_str)
            .filter(|_| status == 200)
            .ok_or_else(|| ClientError::NoPublicKey { url: url.clone(), status })?;
        let peer = Peer { public_key: key.to_owned(), shared: self.keys.shared_key_with(key)? };
        self.peers.insert(base.to_owned(), peer.clone());
        Ok(peer)
    }

    /// Fresh authentication headers for a peer.
    pub fn headers(&self, peer: &Peer) -> Result<SignedHeaders, ClientError> {
        self.headers_with(peer, &RequestId::new(self.app_id.clone()))
    }

    /// Authentication headers with a given request id (tests use it to send stale or replayed ids).
    pub fn headers_with(&self, peer: &Peer, request_id: &RequestId) -> Result<SignedHeaders, ClientError> {
        Ok(SignedHeaders::new(&self.keys, &peer.shared, self.license_key.as_deref(), request_id)?)
    }

    /// A signed call; `body` is sent encrypted as `{"data": …}`.
    pub async fn call<B: Serialize + ?Sized>(
        &self,
        method: Method,
        base_url: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<Reply, ClientError> {
        let peer = self.peer(base_url).await?;
        let headers = self.headers(&peer)?;
        let sealed = body.map(|b| SealedBody::seal(&peer.shared, b)).transpose()?;
        self.send(method, base_url, path, &headers, sealed.as_ref(), &peer).await
    }

    /// A call with explicit headers and an optional JSON body sent as is.
    pub async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        base_url: &str,
        path: &str,
        headers: &SignedHeaders,
        body: Option<&B>,
        peer: &Peer,
    ) -> Result<Reply, ClientError> {
        let url = format!("{}{}", base_url.trim_end_matches('/'), path);
        let mut req = self.http.request(method, &url);
        for (name, value) in headers.pairs() {
            req = req.header(name, value);
        }
        if let Some(hook) = &self.extra_headers {
            let mut extra = Vec::new();
            hook(&mut extra);
            for (name, value) in extra {
                req = req.header(name, value);
            }
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let http_err = |source| ClientError::Http { url: url.clone(), source };
        let resp = req.send().await.map_err(http_err)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(http_err)?;
        Ok(open_reply(status, &bytes, &peer.shared))
    }
}

/// Reads a reply body, decrypting `{"data": "<ciphertext>", "publicKey": …}`.
pub fn open_reply(status: u16, bytes: &[u8], shared: &SharedKey) -> Reply {
    let body: Value = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
    };
    let sealed = body.get("data").and_then(Value::as_str).filter(|_| body.get("publicKey").is_some());
    if let Some(Ok(plain)) = sealed.map(|data| shared.decrypt(data)) {
        let inner = serde_json::from_str(&plain).unwrap_or(Value::String(plain));
        return Reply { status, body: inner, sealed: true };
    }
    Reply { status, body, sealed: false }
}
