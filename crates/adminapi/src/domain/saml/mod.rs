//! The SAML 2.0 identity provider of each community, for its SAML service providers.
//!
//! SP-initiated login: the community's SSO endpoint checks an `AuthnRequest` ([`request`]),
//! refuses a request id seen before (within [`Ttls::request`]), and keeps the checked request
//! as a pending request (its handle is the `SAMLRequest` the login page gets, [`Idp::begin`]);
//! once the user is signed in, `POST /saml/sso` completes it once ([`Idp::complete`]) with a
//! signed response ([`response`]) for the provider's assertion consumer service. IdP-initiated
//! login (`POST /saml/idp-init/{id}`) makes an unsolicited response for providers that allow it.
//! Each community signs with its own key and certificate ([`keys`]). The name id and the
//! attributes follow the provider's configuration ([`mapping`]).
//!
//! Pending requests and the ids seen live in the durable ephemeral store, under the MAC of the
//! handle (never the handle), for `SAML_REQUEST_TTL_SECONDS`; assertions are valid
//! `SAML_ASSERTION_TTL_SECONDS`.

pub mod acs;
pub mod authn;
pub mod keys;
pub mod logout;
pub mod mapping;
pub mod request;
pub mod response;
pub mod wsfed;

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use kit::sealer::Sealer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::DomainError;
use super::oidc::external::PendingLogin;
pub use request::PendingRequest;

/// How long a login vouched for by an external IdP waits for the login page to redeem it.
pub const HANDOFF_TTL: Duration = Duration::from_secs(120);

/// An AuthnRequest sent to an external IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentRequest {
    pub community_id: String,
    /// The external IdP's id.
    pub idp_id: String,
}

/// A user an external IdP signed in, waiting for the login page (a one-time code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedLogin {
    pub tenant_id: String,
    pub community_id: String,
    /// The login module.
    pub module: String,
    pub uid: String,
    pub username: String,
}

/// How long things live (seconds).
#[derive(Debug, Clone, Copy)]
pub struct Ttls {
    /// A pending request (and how long a request id is remembered, to refuse its replay).
    pub request: u64,
    /// An assertion (`NotOnOrAfter`).
    pub assertion: u64,
}

impl Default for Ttls {
    fn default() -> Self {
        Self { request: 600, assertion: 300 }
    }
}

/// The communities' identity providers.
#[derive(Clone)]
pub struct Idp {
    store: Arc<dyn Ephemeral>,
    sealer: Arc<Sealer>,
    pub credentials: keys::Credentials,
    pub ttls: Ttls,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp").field("ttls", &self.ttls).finish_non_exhaustive()
    }
}

fn corrupt() -> DomainError {
    DomainError::Store(kit::StoreError::Corrupt("saml pending request: unreadable record".into()))
}

impl Idp {
    /// An IdP keeping its state in `store` (the durable ephemeral store).
    pub fn new(store: Arc<dyn Ephemeral>, sealer: Arc<Sealer>, credentials: keys::Credentials, ttls: Ttls) -> Self {
        Self { store, sealer, credentials, ttls }
    }

    fn key(&self, kind: &str, parts: &[&str]) -> String {
        format!("saml:{kind}:{}", hex::encode(self.sealer.mac(&format!("saml-{kind}"), parts)))
    }

    /// Keeps `value` as JSON under `kind` and `parts` for `ttl`.
    async fn put_json<T: Serialize>(
        &self,
        kind: &str,
        parts: &[&str],
        value: &T,
        ttl: Duration,
    ) -> Result<(), DomainError> {
        let json = serde_json::to_string(value).map_err(|_| corrupt())?;
        self.store.put(&self.key(kind, parts), &json, ttl).await?;
        Ok(())
    }

    /// The value kept under `kind` and `parts`; removed when `take`.
    async fn get_json<T: DeserializeOwned>(
        &self,
        kind: &str,
        parts: &[&str],
        take: bool,
    ) -> Result<Option<T>, DomainError> {
        let key = self.key(kind, parts);
        let found = if take { self.store.take(&key).await? } else { self.store.get(&key).await? };
        found.map(|json| serde_json::from_str(&json).map_err(|_| corrupt())).transpose()
    }

    /// Keeps `value` under a new random handle (what the caller is given) for `ttl`.
    async fn stash<T: Serialize>(
        &self,
        kind: &str,
        value: &T,
        ttl: Duration,
    ) -> Result<Zeroizing<String>, DomainError> {
        let handle = super::oidc::secret()?;
        self.put_json(kind, &[&handle], value, ttl).await?;
        Ok(handle)
    }

    /// The value of `handle` (none for what is not shaped like a handle); removed when `take`.
    async fn unstash<T: DeserializeOwned>(
        &self,
        kind: &str,
        handle: &str,
        take: bool,
    ) -> Result<Option<T>, DomainError> {
        if !super::oidc::looks_like_secret(handle) {
            return Ok(None);
        }
        self.get_json(kind, &[handle], take).await
    }

    /// Keeps a checked request until the user signs in: its handle. A request whose id the
    /// provider sent before (within the request lifetime) is refused: a replay.
    pub async fn begin(&self, request: &PendingRequest) -> Result<Zeroizing<String>, DomainError> {
        let ttl = Duration::from_secs(self.ttls.request.saturating_add(request::MAX_AGE.unsigned_abs()));
        let seen = self.key("seen", &[&request.community_id, &request.sp_id, &request.request_id]);
        if !self.store.put_if_absent(&seen, "1", ttl).await? {
            tracing::warn!("a SAML AuthnRequest id was presented twice: refused");
            return Err(DomainError::Invalid("the AuthnRequest was used already (its ID was seen before)".into()));
        }
        self.stash("request", request, Duration::from_secs(self.ttls.request)).await
    }

    /// Remembers the AuthnRequest `request_id` sent to external IdP `idp_id` of the community
    /// (for the request lifetime), for its response to name in `InResponseTo`.
    pub async fn remember_sent(&self, community_id: &str, idp_id: &str, request_id: &str) -> Result<(), DomainError> {
        let sent = SentRequest { community_id: community_id.to_owned(), idp_id: idp_id.to_owned() };
        self.put_json("sent", &[request_id], &sent, Duration::from_secs(self.ttls.request)).await
    }

    /// The request `request_id` sent to an external IdP, while it is unanswered.
    pub async fn sent(&self, request_id: &str) -> Result<Option<SentRequest>, DomainError> {
        self.get_json("sent", &[request_id], false).await
    }

    /// Forgets the request `request_id` (a response answers it once): whether it was still
    /// unanswered (false: another response took it first, a replay).
    pub async fn take_sent(&self, request_id: &str) -> Result<bool, DomainError> {
        Ok(self.store.take(&self.key("sent", &[request_id])).await?.is_some())
    }

    /// Keeps the login an external IdP vouched for until the login page redeems it: a one-time
    /// code, valid [`HANDOFF_TTL`].
    pub async fn hand_off(&self, login: &FederatedLogin) -> Result<Zeroizing<String>, DomainError> {
        self.stash("handoff", login, HANDOFF_TTL).await
    }

    /// Takes the login of `code` (redeemed once).
    pub async fn redeem(&self, code: &str) -> Result<Option<FederatedLogin>, DomainError> {
        self.unstash("handoff", code, true).await
    }

    /// Keeps a login sent to an `oidc` external IdP until its answer: its `state` (single use).
    pub async fn begin_oidc(&self, login: &PendingLogin) -> Result<Zeroizing<String>, DomainError> {
        self.stash("oidc-login", login, Duration::from_secs(self.ttls.request)).await
    }

    /// Takes the login of `state` (answered once).
    pub async fn take_oidc(&self, state: &str) -> Result<Option<PendingLogin>, DomainError> {
        self.unstash("oidc-login", state, true).await
    }

    /// The `SessionIndex` of login session `sid` in assertions: a MAC of it (the session id
    /// never leaves the platform), remembered until `expires_at` so that a service provider's
    /// `LogoutRequest` naming it ends the session.
    pub async fn session_index(&self, sid: &str, now: i64, expires_at: i64) -> Result<String, DomainError> {
        let index = format!("_{}", &hex::encode(self.sealer.mac("saml-session-index", &[sid]))[..40]);
        let ttl = Duration::from_secs(u64::try_from(expires_at.saturating_sub(now)).unwrap_or(0).max(1));
        self.store.put(&self.key("session-index", &[&index]), sid, ttl).await?;
        Ok(index)
    }

    /// The login session a `SessionIndex` names, while it may still be live.
    pub async fn session_of(&self, index: &str) -> Result<Option<String>, DomainError> {
        if index.is_empty() || index.len() > 256 {
            return Ok(None);
        }
        Ok(self.store.get(&self.key("session-index", &[index])).await?)
    }

    /// Whether `LogoutRequest` `request_id` of provider `sp_id` is new (true once, within
    /// `window`): a replayed logout request is refused.
    pub async fn first_logout(&self, sp_id: &str, request_id: &str, window: Duration) -> Result<bool, DomainError> {
        Ok(self.store.put_if_absent(&self.key("logout-seen", &[sp_id, request_id]), "1", window).await?)
    }

    /// The pending request of `handle`, if it is still pending.
    pub async fn pending(&self, handle: &str) -> Result<Option<PendingRequest>, DomainError> {
        self.unstash("request", handle, false).await
    }

    /// Takes the pending request of `handle` (it is answered once).
    pub async fn take(&self, handle: &str) -> Result<Option<PendingRequest>, DomainError> {
        self.unstash("request", handle, true).await
    }
}
