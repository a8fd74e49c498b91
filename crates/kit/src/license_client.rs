//! The license client every service but the authority uses: it asks the service named `licenses`
//! in the service directory (`adminapi`) the questions the helper SDKs' `BIDLicenses` module asks,
//! and caches the answers.
//!
//! - Keys configured locally (`INFRA_LICENSE_KEY`, `LICENSE_KEYS`) are answered locally, without a
//!   call, as the SDKs do for their infra key.
//! - `check` calls `GET /servicekey/current`; a check for a community calls
//!   `GET /community/{communityId}/licensecheck`. The key being checked travels encrypted in the
//!   `licensekey` header; the request is signed with the service's own key pair.
//! - Positive answers are cached `LICENSE_CACHE_TTL` seconds (default 300), refusals (unknown,
//!   disabled, expired) `LICENSE_NEGATIVE_CACHE_TTL` seconds (default 10), so a key just created
//!   works quickly. A cached positive answer is still refused once its expiry passes.
//! - When the services share Redis, the authority publishes each key it disables, enables or
//!   resets ([`crate::invalidation`], topic `License`, the key named by its secret's hash) and
//!   this client drops every answer about that key at once, accepted or refused, for every
//!   community; an answer fetched while such an invalidation arrived is returned but not kept.
//!   Without Redis a key disabled or reset at the authority may still be accepted here for up to
//!   `LICENSE_CACHE_TTL`.
//! - When the authority cannot be reached or answers 5xx, nothing is cached and the caller gets
//!   [`LicenseError::Unavailable`] (503).
//! - Each check that reaches the cache counts as a hit (answered from it, accepted or refused) or
//!   a miss (sent to the authority) in `/metrics`; local keys count as neither.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use envelope::{ApiError, Client, LicenseKey};
use reqwest::Method;
use serde_json::Value;

use crate::config::{ConfigError, Settings};
use crate::invalidation::{Invalidate, Invalidations, Topic};
use crate::license::{License, LicenseAuthority, LicenseError, LicenseRecord, LocalLicenses, same_secret};

/// The service that is the license authority itself, and so never uses this client.
pub const AUTHORITY_SERVICE: &str = "adminapi";

/// How long answers are cached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheTtls {
    /// `LICENSE_CACHE_TTL` seconds, default 300.
    pub positive: Duration,
    /// `LICENSE_NEGATIVE_CACHE_TTL` seconds, default 10.
    pub negative: Duration,
}

impl CacheTtls {
    /// From the settings.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let positive: u64 = settings.parse_var("LICENSE_CACHE_TTL", 300)?;
        let negative: u64 = settings.parse_var("LICENSE_NEGATIVE_CACHE_TTL", 10)?;
        Ok(Self { positive: Duration::from_secs(positive), negative: Duration::from_secs(negative) })
    }
}

/// The URL of the remote authority `settings.service` should use: the directory's `licenses`,
/// unless the service is the authority.
pub fn remote_authority_url(settings: &Settings) -> Option<&str> {
    (settings.service != AUTHORITY_SERVICE).then(|| settings.service_url("licenses")).flatten()
}

pub use crate::clock::{SystemClock, WallClock};

#[derive(Clone)]
struct Positive {
    license: License,
    authorized: bool,
    expiry: i64,
}

/// A cached answer and when it was kept (epoch ms).
#[derive(Clone)]
struct Kept<V> {
    value: V,
    at: i64,
}

/// The cached answers, named `<secret hash>|<community or empty>`. Each answer is used while the
/// clock says it is younger than its time to live (the caches' own time to live, on the
/// monotonic clock, only bounds memory).
struct Answers {
    positive: moka::sync::Cache<String, Kept<Positive>>,
    negative: moka::sync::Cache<String, Kept<LicenseError>>,
    ttls: CacheTtls,
    clock: Arc<dyn WallClock>,
    /// Moved on by every invalidation, so an answer fetched across one is not kept.
    generation: AtomicU64,
}

impl Answers {
    fn new(ttls: CacheTtls, clock: Arc<dyn WallClock>) -> Self {
        Self {
            positive: cache(ttls.positive),
            negative: cache(ttls.negative),
            ttls,
            clock,
            generation: AtomicU64::new(0),
        }
    }

    /// The answer named `name` in `cache`, while it is younger than `ttl`.
    fn fresh<V: Clone + Send + Sync + 'static>(
        &self,
        cache: &moka::sync::Cache<String, Kept<V>>,
        name: &str,
        ttl: Duration,
        now_ms: i64,
    ) -> Option<V> {
        let kept = cache.get(name)?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        if now_ms.saturating_sub(kept.at) < ttl_ms {
            Some(kept.value)
        } else {
            cache.invalidate(name);
            None
        }
    }

    /// Keeps an answer fetched when the generation was `fetched_at`, unless an invalidation
    /// came in since. Inserted first and checked after: an invalidation either moved the
    /// generation before the check (the entry is removed here) or runs its removal after the
    /// insert (and removes it).
    fn keep<V>(&self, cache: &moka::sync::Cache<String, Kept<V>>, name: String, value: V, fetched_at: u64)
    where
        V: Clone + Send + Sync + 'static,
    {
        cache.insert(name.clone(), Kept { value, at: self.clock.epoch_ms() });
        if self.generation.load(Ordering::SeqCst) != fetched_at {
            cache.invalidate(&name);
        }
    }
}

/// A cache of at most 10,000 answers for `ttl`, which can drop entries by a predicate.
fn cache<V: Clone + Send + Sync + 'static>(ttl: Duration) -> moka::sync::Cache<String, V> {
    moka::sync::Cache::builder().max_capacity(10_000).time_to_live(ttl).support_invalidation_closures().build()
}

impl Invalidate for Answers {
    /// `hash` is [`crate::license::secret_hash`] of a key: every answer about it goes.
    fn invalidate(&self, hash: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let prefix = format!("{hash}|");
        let matches = move |name: &String| name.starts_with(&prefix);
        let (p, n) = (matches.clone(), matches);
        let dropped = self.positive.invalidate_entries_if(move |name, _| p(name)).is_ok()
            && self.negative.invalidate_entries_if(move |name, _| n(name)).is_ok();
        if !dropped {
            // Only if the caches were built without closures: dropping everything is still right.
            self.invalidate_all();
        }
    }

    fn invalidate_all(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.positive.invalidate_all();
        self.negative.invalidate_all();
    }
}

/// A cached client of the license authority.
pub struct RemoteLicenses {
    local: LocalLicenses,
    client: Client,
    url: String,
    answers: Arc<Answers>,
    /// The `service` label of the cache hit / miss counters ([`crate::metrics`]).
    service: &'static str,
}

impl std::fmt::Debug for RemoteLicenses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteLicenses").field("url", &self.url).field("local", &self.local).finish_non_exhaustive()
    }
}

impl RemoteLicenses {
    /// A client of the authority at `url`, signing with `client`'s keys, with `local` keys answered locally.
    pub fn new(local: LocalLicenses, client: Client, url: &str, ttls: CacheTtls) -> Self {
        let answers = Arc::new(Answers::new(ttls, Arc::new(SystemClock)));
        Self { local, client, url: url.trim_end_matches('/').to_owned(), answers, service: "unknown" }
    }

    /// Goes by `clock` instead of the system's (tests drive time with it). Call it before
    /// [`Self::invalidated_by`]: it starts with an empty cache.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.answers = Arc::new(Answers::new(self.answers.ttls, clock));
        self
    }

    /// Drops the cached answers about a key as soon as `invalidations` says it changed
    /// (nothing happens without Redis: the answers then live their time to live).
    #[must_use]
    pub fn invalidated_by(self, invalidations: &Invalidations) -> Self {
        invalidations.subscribe(Topic::License, self.answers.clone());
        self
    }

    /// Names the service in the cache hit / miss counters.
    #[must_use]
    pub fn for_service(mut self, service: &'static str) -> Self {
        self.service = service;
        self
    }

    /// Asks (or remembers) whether `key` is valid, and for `community` when given.
    async fn ask(&self, key: &LicenseKey, community: Option<&str>) -> Result<(License, bool), LicenseError> {
        // Cache entries are named by a hash of the key, never by the key itself.
        let name = format!("{}|{}", crate::license::secret_hash(key.expose()), community.unwrap_or(""));
        let answers = &*self.answers;
        let now_ms = answers.clock.epoch_ms();
        if let Some(hit) = answers.fresh(&answers.positive, &name, answers.ttls.positive, now_ms) {
            crate::metrics::license_cache(self.service, true);
            if hit.expiry.saturating_mul(1000) > now_ms {
                return Ok((hit.license, hit.authorized));
            }
            answers.positive.invalidate(&name);
            return Err(LicenseError::Expired);
        }
        if let Some(refusal) = answers.fresh(&answers.negative, &name, answers.ttls.negative, now_ms) {
            crate::metrics::license_cache(self.service, true);
            return Err(refusal);
        }
        crate::metrics::license_cache(self.service, false);
        let path = match community {
            Some(c) => format!("/community/{c}/licensecheck"),
            None => "/servicekey/current".to_owned(),
        };
        let generation = answers.generation.load(Ordering::SeqCst);
        match self.fetch(key, &path).await {
            Ok(found) => {
                let reply = (found.license.clone(), found.authorized);
                answers.keep(&answers.positive, name, found, generation);
                Ok(reply)
            }
            Err(LicenseError::Unavailable(cause)) => Err(LicenseError::Unavailable(cause)),
            Err(refusal) => {
                answers.keep(&answers.negative, name, refusal.clone(), generation);
                Err(refusal)
            }
        }
    }

    async fn fetch(&self, key: &LicenseKey, path: &str) -> Result<Positive, LicenseError> {
        let client = self.client.clone().license(key.expose());
        let reply = client
            .call::<Value>(Method::GET, &self.url, path, None)
            .await
            .map_err(|e| LicenseError::Unavailable(e.to_string()))?;
        match reply.status {
            200 => {}
            // Only a refusal of the key itself is an answer about the key; a refusal of our own
            // signed request (clock skew, a replay, a bad service key) is the authority being
            // unusable, and must not be reported to callers as an invalid license.
            401 | 403 if refuses_the_key(&reply.body) => return Err(LicenseError::Unknown),
            status => {
                let message = reply.body.get("message").and_then(Value::as_str).unwrap_or_default();
                return Err(LicenseError::Unavailable(format!("{}{path} answered {status}: {message}", self.url)));
            }
        }
        let record: LicenseRecord = serde_json::from_value(reply.body)
            .map_err(|e| LicenseError::Unavailable(format!("{}{path} answered an unreadable record: {e}", self.url)))?;
        if !same_secret(&record.key_secret, key.expose()) {
            return Err(LicenseError::Unknown);
        }
        record.status(envelope::wire::now_epoch())?;
        Ok(Positive {
            license: record.license(),
            authorized: record.is_authorized.unwrap_or(true),
            expiry: record.expiry,
        })
    }

    /// Forwards a system caller's request for the service keys to the authority.
    async fn forward(&self, caller: &LicenseKey, method: Method, path: &str) -> Result<Value, ApiError> {
        let client = self.client.clone().license(caller.expose());
        let reply = client.call::<Value>(method, &self.url, path, None).await.map_err(|e| {
            tracing::error!(error = %e, "license authority unreachable");
            ApiError::unavailable("the license authority is unavailable, try again")
        })?;
        match reply.status {
            200 => Ok(reply.body),
            status @ 400..=499 => {
                let message = reply.body.get("message").and_then(Value::as_str).unwrap_or("refused").to_owned();
                let status =
                    actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST);
                Err(ApiError::new(status, message))
            }
            status => {
                tracing::error!(status, "license authority failed");
                Err(ApiError::unavailable("the license authority is unavailable, try again"))
            }
        }
    }
}

/// Whether an error reply of the authority is about the license key (not about our request).
fn refuses_the_key(body: &Value) -> bool {
    body.get("message")
        .and_then(Value::as_str)
        .is_some_and(|m| m.starts_with("license key") || m.starts_with("licensekey"))
}

fn unreadable(e: serde_json::Error) -> ApiError {
    tracing::error!(error = %e, "license authority answered an unreadable body");
    ApiError::unavailable("the license authority answered an unreadable body")
}

#[async_trait]
impl LicenseAuthority for RemoteLicenses {
    async fn check(&self, key: &LicenseKey) -> Result<License, LicenseError> {
        self.check_for(key, None).await.map(|(license, _)| license)
    }

    async fn check_for(&self, key: &LicenseKey, community: Option<&str>) -> Result<(License, bool), LicenseError> {
        if let Ok(license) = self.local.check(key).await {
            return Ok((license, true));
        }
        match community {
            // Community ids are 24-hex ObjectIds: anything else names no community, so the key is
            // checked alone and is not authorized there (403), rather than asking the authority.
            Some(c) if !(c.len() == 24 && c.bytes().all(|b| b.is_ascii_hexdigit())) => {
                self.ask(key, None).await.map(|(license, _)| (license, false))
            }
            other => self.ask(key, other).await,
        }
    }

    async fn service_keys(&self, caller: &LicenseKey) -> Result<Vec<LicenseRecord>, ApiError> {
        let body = self.forward(caller, Method::GET, "/servicekeys").await?;
        serde_json::from_value(body).map_err(unreadable)
    }

    async fn reset_service_key(&self, caller: &LicenseKey, key_id: &str) -> Result<LicenseRecord, ApiError> {
        // An ecdsa keyId is base64: `/`, `+` and `=` travel percent-encoded in the path.
        let encoded: String = key_id
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let body = self.forward(caller, Method::DELETE, &format!("/servicekey/{encoded}")).await?;
        // The spec answers the re-created key in an array.
        let fresh: Vec<LicenseRecord> = serde_json::from_value(body).map_err(unreadable)?;
        fresh.into_iter().next().ok_or_else(|| unreadable(serde::de::Error::custom("empty answer")))
    }
}
