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

pub mod authn;
pub mod keys;
pub mod mapping;
pub mod request;
pub mod response;
pub mod wsfed;

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use kit::sealer::Sealer;
use zeroize::Zeroizing;

use super::DomainError;
pub use request::PendingRequest;

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

    /// Keeps a checked request until the user signs in: its handle. A request whose id the
    /// provider sent before (within the request lifetime) is refused: a replay.
    pub async fn begin(&self, request: &PendingRequest) -> Result<Zeroizing<String>, DomainError> {
        let ttl = Duration::from_secs(self.ttls.request.saturating_add(request::MAX_AGE.unsigned_abs()));
        let seen = self.key("seen", &[&request.community_id, &request.sp_id, &request.request_id]);
        if !self.store.put_if_absent(&seen, "1", ttl).await? {
            tracing::warn!("a SAML AuthnRequest id was presented twice: refused");
            return Err(DomainError::Invalid("the AuthnRequest was used already (its ID was seen before)".into()));
        }
        let handle = super::oidc::secret()?;
        let json = serde_json::to_string(request).map_err(|_| corrupt())?;
        self.store.put(&self.key("request", &[&handle]), &json, Duration::from_secs(self.ttls.request)).await?;
        Ok(handle)
    }

    /// Remembers the AuthnRequest `request_id` sent to external IdP `idp_id` of the community
    /// (for the request lifetime), for its response to name in `InResponseTo`.
    pub async fn remember_sent(&self, community_id: &str, idp_id: &str, request_id: &str) -> Result<(), DomainError> {
        let key = self.key("sent", &[community_id, idp_id, request_id]);
        self.store.put(&key, "1", Duration::from_secs(self.ttls.request)).await?;
        Ok(())
    }

    /// Whether `request_id` was sent to `idp_id` and not answered yet; it is forgotten (a
    /// response answers it once).
    pub async fn take_sent(&self, community_id: &str, idp_id: &str, request_id: &str) -> Result<bool, DomainError> {
        Ok(self.store.take(&self.key("sent", &[community_id, idp_id, request_id])).await?.is_some())
    }

    /// The pending request of `handle`, if it is still pending.
    pub async fn pending(&self, handle: &str) -> Result<Option<PendingRequest>, DomainError> {
        self.read(handle, false).await
    }

    /// Takes the pending request of `handle` (it is answered once).
    pub async fn take(&self, handle: &str) -> Result<Option<PendingRequest>, DomainError> {
        self.read(handle, true).await
    }

    async fn read(&self, handle: &str, take: bool) -> Result<Option<PendingRequest>, DomainError> {
        if !super::oidc::looks_like_secret(handle) {
            return Ok(None);
        }
        let key = self.key("request", &[handle]);
        let found = if take { self.store.take(&key).await? } else { self.store.get(&key).await? };
        found.map(|json| serde_json::from_str(&json).map_err(|_| corrupt())).transpose()
    }
}
