//! The service side of the wire: verify the authentication headers once per request, open
//! encrypted bodies and seal replies for the caller.
//!
//! Register one [`Envelope`] as `web::Data` in the app. Handlers then ask for:
//! - [`Caller`]: `publickey` + `requestid` verified (time window, replay), `licensekey` decrypted;
//! - [`Sealed<T>`]: a body `{"data": "<encrypted JSON of T>"}`;
//! - [`Body<T>`]: the same, or `T` in plain JSON where the spec allows it;
//!
//! and answer with [`Caller::reply`], which encrypts for the caller.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::FutureExt as _;
use futures_util::future::{LocalBoxFuture, Shared};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::Digest as _;

use crate::cipher::SharedKey;
use crate::error::ApiError;
use crate::keys::KeyPair;
use crate::wire::{LICENSE_KEY, PUBLIC_KEY, REQUEST_ID, RequestId, SealedReplyBody, now_epoch};

/// Remembers which `requestid` headers were already used.
#[async_trait::async_trait]
pub trait ReplayGuard: Send + Sync {
    /// Records `fingerprint` for `ttl`; `Ok(true)` when it had not been seen, `Ok(false)` on a replay.
    async fn first_use(&self, fingerprint: &str, ttl: Duration) -> Result<bool, String>;
}

/// The service's keys and the rules for verifying callers.
pub struct Envelope {
    keys: Arc<KeyPair>,
    shared: moka::sync::Cache<String, SharedKey>,
    allowed_time_span: Duration,
    replay: Arc<dyn ReplayGuard>,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("public_key", &self.keys.public_base64())
            .field("allowed_time_span", &self.allowed_time_span)
            .finish_non_exhaustive()
    }
}

impl Envelope {
    /// A verifier for a service holding `keys`.
    pub fn new(keys: Arc<KeyPair>, allowed_time_span: Duration, replay: Arc<dyn ReplayGuard>) -> Self {
        let shared = moka::sync::Cache::builder().max_capacity(20_000).time_to_idle(Duration::from_secs(3600)).build();
        Self { keys, shared, allowed_time_span, replay }
    }

    /// The service's key pair.
    pub fn keys(&self) -> &Arc<KeyPair> {
        &self.keys
    }

    /// How far a `requestid` ts may be from now.
    pub fn allowed_time_span(&self) -> Duration {
        self.allowed_time_span
    }

    /// The shared key with a peer, computed once per peer key and then cached.
    pub fn shared_key(&self, peer_public_key: &str) -> Result<SharedKey, ApiError> {
        if let Some(k) = self.shared.get(peer_public_key) {
            return Ok(k);
        }
        let key = self
            .keys
            .shared_key_with(peer_public_key)
            .map_err(|e| ApiError::bad_request(format!("publickey is {e}")))?;
        self.shared.insert(peer_public_key.to_owned(), key.clone());
        Ok(key)
    }

    /// Verifies the authentication headers of a request.
    pub async fn verify(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let public_key =
            header(headers, PUBLIC_KEY)?.ok_or_else(|| ApiError::unauthorized("publickey header is required"))?;
        let shared = self.shared_key(&public_key)?;
        let encrypted_id =
            header(headers, REQUEST_ID)?.ok_or_else(|| ApiError::unauthorized("requestid header is required"))?;
        let id_json = shared.decrypt(&encrypted_id).map_err(|e| ApiError::unauthorized(format!("requestid {e}")))?;
        let request_id: RequestId = serde_json::from_str(&id_json)
            .map_err(|_| ApiError::unauthorized("requestid must be JSON with a numeric ts, a uuid and an appid"))?;
        let span = i64::try_from(self.allowed_time_span.as_secs()).unwrap_or(i64::MAX);
        let now = now_epoch();
        if now.abs_diff(request_id.ts) > span.unsigned_abs() {
            return Err(ApiError::unauthorized(format!(
                "requestid ts is more than {span} seconds away from the server time"
            )));
        }
        let fingerprint = hex_sha256(encrypted_id.as_bytes());
        let fresh = self
            .replay
            .first_use(&format!("replay:{fingerprint}"), replay_ttl(request_id.ts, now, span))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "replay cache unavailable");
                ApiError::unavailable("request verification is unavailable, try again")
            })?;
        if !fresh {
            return Err(ApiError::unauthorized("requestid has already been used"));
        }
        let license_key = header(headers, LICENSE_KEY)?
            .map(|enc| shared.decrypt(&enc).map_err(|e| ApiError::unauthorized(format!("licensekey {e}"))))
            .transpose()?
            .map(|k| LicenseKey(Arc::from(k.trim())));
        Ok(Caller {
            public_key: Arc::from(public_key),
            shared,
            request_id,
            license_key,
            service_public_key: Arc::from(self.keys.public_base64()),
        })
    }
}

/// How long a servers' clocks may disagree: a `requestid` is remembered this much longer than
/// its own window, so a replica whose clock lags still refuses its replay.
pub const CLOCK_SKEW_MARGIN: Duration = Duration::from_secs(5);

/// How long a `requestid` stamped `ts`, accepted at `now` with `span` seconds either way, must
/// be remembered: until `ts + span` (after that its ts alone refuses it), plus the clock margin.
/// A fresh request needs `span` seconds, one stamped `span` ahead `2 × span`; remembering each
/// for `2 × span` would double the replay cache of ordinary traffic.
pub fn replay_ttl(ts: i64, now: i64, span: i64) -> Duration {
    let left = ts.saturating_add(span).saturating_sub(now).clamp(0, span.saturating_mul(2));
    Duration::from_secs(left.unsigned_abs()) + CLOCK_SKEW_MARGIN
}

fn hex_sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A header's value as text; absent or empty is `None`.
pub fn header(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => {
            let text =
                v.to_str().map_err(|_| ApiError::bad_request(format!("{name} header must be visible ASCII")))?.trim();
            Ok((!text.is_empty()).then(|| text.to_owned()))
        }
    }
}

/// A decrypted license key. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenseKey(Arc<str>);

impl LicenseKey {
    /// Wraps a license key received in the clear (the `license` header).
    pub fn new(key: &str) -> Self {
        Self(Arc::from(key.trim()))
    }

    /// The key itself; handle as a secret.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for LicenseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LicenseKey(<redacted>)")
    }
}

/// A verified caller: who it is, its shared key, its request id and (if sent) its license key.
#[derive(Clone)]
pub struct Caller {
    public_key: Arc<str>,
    shared: SharedKey,
    request_id: RequestId,
    license_key: Option<LicenseKey>,
    service_public_key: Arc<str>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("public_key", &self.public_key)
            .field("appid", &self.request_id.appid)
            .finish_non_exhaustive()
    }
}

impl Caller {
    /// The caller's public key (wire encoding).
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// The verified request id.
    pub fn request_id(&self) -> &RequestId {
        &self.request_id
    }

    /// The decrypted license key, if the caller sent one.
    pub fn license_key(&self) -> Option<&LicenseKey> {
        self.license_key.as_ref()
    }

    /// The key shared with the caller.
    pub fn shared_key(&self) -> &SharedKey {
        &self.shared
    }

    /// A 200 reply `{"data": <value encrypted for the caller>, "publicKey": <service key>}`.
    pub fn reply<T: Serialize>(&self, value: &T) -> Result<HttpResponse, ApiError> {
        self.reply_with(StatusCode::OK, value)
    }

    /// A reply sealed for the caller when its request body was sealed, plain JSON otherwise (the
    /// SDKs read plain replies to plain requests).
    pub fn reply_like<T: Serialize>(
        &self,
        sealed: bool,
        status: StatusCode,
        value: &T,
    ) -> Result<HttpResponse, ApiError> {
        if sealed { self.reply_with(status, value) } else { Ok(HttpResponse::build(status).json(value)) }
    }

    /// An encrypted reply with another status.
    pub fn reply_with<T: Serialize>(&self, status: StatusCode, value: &T) -> Result<HttpResponse, ApiError> {
        let json = serde_json::to_string(value).map_err(|_| ApiError::internal())?;
        let data = self.shared.encrypt(&json).map_err(|_| ApiError::internal())?;
        Ok(HttpResponse::build(status).json(SealedReplyBody { data, public_key: self.service_public_key.to_string() }))
    }
}

type CallerFuture = Shared<LocalBoxFuture<'static, Result<Caller, ApiError>>>;

fn envelope(req: &HttpRequest) -> Result<web::Data<Envelope>, ApiError> {
    req.app_data::<web::Data<Envelope>>().cloned().ok_or_else(|| {
        tracing::error!("no Envelope registered as app data");
        ApiError::internal()
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = CallerFuture;

    /// Verification runs once per request, however many extractors ask for the caller:
    /// the first call stores a shared future in the request's extensions.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(pending) = req.extensions().get::<CallerFuture>() {
            return pending.clone();
        }
        let env = envelope(req);
        let headers = req.headers().clone();
        let fut: LocalBoxFuture<'static, Result<Caller, ApiError>> =
            Box::pin(async move { env?.verify(&headers).await });
        let shared = fut.shared();
        req.extensions_mut().insert(shared.clone());
        shared
    }
}

/// The verified caller when the request carries a `requestid` header, `None` when it carries
/// none: for endpoints the spec leaves open. Headers that are present are always verified, so a
/// stale or replayed `requestid` is still refused (unlike actix's `Option<Caller>`, which would
/// swallow the error).
#[derive(Debug, Clone)]
pub struct OptionalCaller(pub Option<Caller>);

impl FromRequest for OptionalCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !req.headers().contains_key(REQUEST_ID) {
            return Box::pin(std::future::ready(Ok(Self(None))));
        }
        let caller = Caller::from_request(req, payload);
        Box::pin(async move { Ok(Self(Some(caller.await?))) })
    }
}

/// An encrypted JSON body, decrypted with the key shared with the `publickey` caller.
#[derive(Debug)]
pub struct Sealed<T>(pub T);

/// A JSON body sent encrypted (`{"data": "<ciphertext>"}`) or, where the spec allows, in the clear
/// (as the object itself, or as `{"data": {…}}`).
#[derive(Debug)]
pub struct Body<T> {
    /// The decoded body.
    pub value: T,
    /// Whether it arrived encrypted.
    pub encrypted: bool,
}

/// Body errors name the field and the expected type, never a value (see [`crate::deser`]).
fn body_error(e: crate::deser::InputError) -> ApiError {
    ApiError::bad_request(format!("invalid request body: {e}"))
}

fn parse<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    crate::deser::from_value(value).map_err(body_error)
}

fn open<T: DeserializeOwned>(req: &HttpRequest, data: &str) -> Result<T, ApiError> {
    let public_key = header(req.headers(), PUBLIC_KEY)?
        .ok_or_else(|| ApiError::unauthorized("publickey header is required to decrypt the body"))?;
    let shared = envelope(req)?.shared_key(&public_key)?;
    let json = shared.decrypt(data).map_err(|e| ApiError::bad_request(format!("data {e}")))?;
    crate::deser::from_str(&json).map_err(body_error)
}

async fn read_json(req: &HttpRequest, payload: &mut Payload) -> Result<serde_json::Value, actix_web::Error> {
    Ok(web::Json::<serde_json::Value>::from_request(req, payload).await?.into_inner())
}

impl<T: DeserializeOwned + 'static> FromRequest for Sealed<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            match read_json(&req, &mut payload).await? {
                serde_json::Value::Object(mut m) => match m.remove("data") {
                    Some(serde_json::Value::String(data)) => Ok(Sealed(open(&req, &data)?)),
                    _ => Err(ApiError::bad_request("body must be {\"data\": \"<encrypted JSON>\"}").into()),
                },
                _ => Err(ApiError::bad_request("body must be {\"data\": \"<encrypted JSON>\"}").into()),
            }
        })
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let value = read_json(&req, &mut payload).await?;
            let inner = value.as_object().filter(|m| m.len() == 1).and_then(|m| m.get("data"));
            match inner {
                Some(serde_json::Value::String(data)) => Ok(Body { value: open(&req, data)?, encrypted: true }),
                Some(obj @ serde_json::Value::Object(_)) => Ok(Body { value: parse(obj.clone())?, encrypted: false }),
                _ => Ok(Body { value: parse(value)?, encrypted: false }),
            }
        })
    }
}

/// The plain `license` header some endpoints take instead of an encrypted `licensekey`.
#[derive(Debug, Clone)]
pub struct PlainLicense(pub Option<LicenseKey>);

impl FromRequest for PlainLicense {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(header(req.headers(), "license").map(|v| PlainLicense(v.as_deref().map(LicenseKey::new))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requestid_is_remembered_until_its_own_window_ends_plus_the_clock_margin() {
        let (now, span) = (1_700_000_000, 60);
        let margin = CLOCK_SKEW_MARGIN.as_secs();
        assert_eq!(replay_ttl(now, now, span).as_secs(), 60 + margin, "a fresh ts");
        assert_eq!(replay_ttl(now + 60, now, span).as_secs(), 120 + margin, "a ts a whole span ahead");
        assert_eq!(replay_ttl(now - 60, now, span).as_secs(), margin, "a ts a whole span behind");
        assert_eq!(replay_ttl(now - 20, now, span).as_secs(), 40 + margin);
        // Out of the window (refused before this is asked) never gives a negative or huge ttl.
        assert_eq!(replay_ttl(now - 600, now, span).as_secs(), margin);
        assert_eq!(replay_ttl(i64::MAX, now, span).as_secs(), 120 + margin);
    }
}
