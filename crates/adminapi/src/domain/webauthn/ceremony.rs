//! [`SecurityKeys`]: the registration and authentication ceremonies of a community's users, with
//! `webauthn-rs` (passkey flow: user verification required, every credential's public key and
//! counter kept).
//!
//! The relying party of a community is its tenant's DNS name ([`relying_party`]); the origins
//! accepted are `https://<dns>` and its subdomains. A ceremony's state (the challenge, the
//! credentials asked for) is put in the ephemeral store under its challenge for
//! [`SecurityKeys::ttl`], bound to the community and the user, and taken (removed) by the response
//! that names that challenge: a response arriving late, twice, or for another user finds nothing.
//! Time is passed in (`now`, epoch seconds).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kit::ephemeral::Ephemeral;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::vendors::Vendors;
use super::{CeremonyError, Credential, CredentialStore, Kind};
use crate::domain::DomainError;

/// The longest challenge a response may name (ours are 43 characters).
const MAX_CHALLENGE: usize = 128;
/// Where pending ceremonies wait in the ephemeral store, by challenge.
const PREFIX_REGISTRATION: &str = "webauthn:reg:";
const PREFIX_AUTHENTICATION: &str = "webauthn:auth:";

/// Who a ceremony is for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Subject {
    pub tenant_id: String,
    pub community_id: String,
    /// The tenant's DNS name: the relying party.
    pub dns: String,
    pub uid: String,
    /// Lowercase.
    pub username: String,
    pub module_id: String,
}

/// A registration waiting for its response.
#[derive(Serialize, Deserialize)]
struct PendingRegistration {
    subject: Subject,
    kind: Kind,
    state: PasskeyRegistration,
}

/// An authentication waiting for its response.
#[derive(Serialize, Deserialize)]
struct PendingAuthentication {
    community_id: String,
    dns: String,
    username: String,
    state: PasskeyAuthentication,
}

/// What a registration stores beside the credential.
#[derive(Debug, Clone)]
pub struct Labels {
    /// `deviceName` (a default naming the user when not given).
    pub name: Option<String>,
    /// `keyType` as the client names it.
    pub key_type: Option<String>,
}

/// A user signed in by a security key.
#[derive(Debug, Clone)]
pub struct Asserted {
    pub credential: Credential,
    /// Whether the authenticator verified the user (always, under the passkey flow).
    pub user_verified: bool,
}

/// The relying party of a tenant: its DNS name (without a port), its `https` origin and the
/// subdomains'.
pub fn relying_party(dns: &str) -> Result<Webauthn, DomainError> {
    let host = dns.split(':').next().unwrap_or(dns);
    let unusable = || DomainError::Invalid("the tenant's dns cannot be a WebAuthn relying party".into());
    let origin = Url::parse(&format!("https://{dns}")).map_err(|_| unusable())?;
    WebauthnBuilder::new(host, &origin)
        .map_err(|_| unusable())?
        .rp_name(host)
        .allow_subdomains(true)
        .build()
        .map_err(|_| unusable())
}

/// The stable user handle of a user: a UUID made of SHA-256(community, uid).
pub fn user_handle(community_id: &str, uid: &str) -> Uuid {
    use sha2::Digest as _;
    let digest = sha2::Sha256::new().chain_update(community_id).chain_update([0]).chain_update(uid).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// The challenge a response's client data (the bytes of `clientDataJSON`) names.
pub fn challenge_of(client_data: &[u8]) -> Result<String, CeremonyError> {
    let bad = || CeremonyError::Domain(DomainError::Invalid("clientDataJSON must be the client data (JSON)".into()));
    let data: Value = serde_json::from_slice(client_data).map_err(|_| bad())?;
    let challenge = data["challenge"].as_str().ok_or_else(bad)?;
    if challenge.is_empty() || challenge.len() > MAX_CHALLENGE || !challenge.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(challenge.trim_end_matches('=').to_owned())
}

/// The AAGUID of an `attestationObject` (CBOR): the 16 bytes after the RP id
/// hash, the flags and the counter of its `authData`.
pub fn aaguid_of(attestation_object: &[u8]) -> Result<String, CeremonyError> {
    let bad = || CeremonyError::Refused("the attestationObject has no attested credential data".into());
    let value: serde_cbor_2::Value = serde_cbor_2::from_slice(attestation_object).map_err(|_| bad())?;
    let serde_cbor_2::Value::Map(map) = value else { return Err(bad()) };
    let auth_data = map
        .iter()
        .find_map(|(k, v)| match (k, v) {
            (serde_cbor_2::Value::Text(k), serde_cbor_2::Value::Bytes(b)) if k == "authData" => Some(b),
            _ => None,
        })
        .ok_or_else(bad)?;
    let raw: [u8; 16] = auth_data.get(37..53).and_then(|s| s.try_into().ok()).ok_or_else(bad)?;
    Ok(Uuid::from_bytes(raw).hyphenated().to_string())
}

/// Base64 (standard or URL-safe, padded or not) rewritten as unpadded base64url, the form the
/// WebAuthn types read; other text is left for them to refuse.
pub fn url_safe(text: &str) -> String {
    text.trim().trim_end_matches('=').replace('+', "-").replace('/', "_")
}

fn refused(message: &str) -> CeremonyError {
    CeremonyError::Refused(message.to_owned())
}

/// The base64url text of a credential id.
fn credential_text(id: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(id)
}

/// The ceremonies of every community, over the credential store, the vendor metadata and the
/// ephemeral store.
#[derive(Clone)]
pub struct SecurityKeys {
    credentials: Arc<dyn CredentialStore>,
    /// The community's authenticator models.
    pub vendors: Vendors,
    pending: Arc<dyn Ephemeral>,
    /// How long a ceremony waits for its response.
    pub ttl: Duration,
}

impl std::fmt::Debug for SecurityKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityKeys").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

fn corrupt(what: &str) -> CeremonyError {
    CeremonyError::Domain(DomainError::Store(kit::StoreError::Corrupt(format!("webauthn {what}"))))
}

impl SecurityKeys {
    /// Over these stores; ceremonies wait `ttl` for their response.
    pub fn new(
        credentials: Arc<dyn CredentialStore>,
        vendors: Vendors,
        pending: Arc<dyn Ephemeral>,
        ttl: Duration,
    ) -> Self {
        Self { credentials, vendors, pending, ttl }
    }

    /// The credentials of `username` in the community.
    pub async fn of_user(&self, community_id: &str, username: &str) -> Result<Vec<Credential>, DomainError> {
        Ok(self.credentials.by_user(community_id, &username.trim().to_lowercase()).await?)
    }

    /// Starts a registration of `kind` for `subject`: the options for the client (its own
    /// credentials excluded).
    pub async fn start_registration(
        &self,
        subject: &Subject,
        kind: Kind,
    ) -> Result<CreationChallengeResponse, CeremonyError> {
        let rp = relying_party(&subject.dns)?;
        let existing = self.credentials.by_user(&subject.community_id, &subject.username).await?;
        let exclude = existing.iter().filter_map(|c| URL_SAFE_NO_PAD.decode(&c.credential_id).ok()).collect::<Vec<_>>();
        let handle = user_handle(&subject.community_id, &subject.uid);
        let (options, state) = rp
            .start_passkey_registration(handle, &subject.username, &subject.username, Some(exclude))
            .map_err(|e| CeremonyError::Domain(DomainError::Invalid(format!("registration options: {e}"))))?;
        let challenge = credential_text(&options.public_key.challenge);
        let pending = PendingRegistration { subject: subject.clone(), kind, state };
        let json = serde_json::to_string(&pending).map_err(|_| corrupt("registration state"))?;
        self.pending.put(&format!("{PREFIX_REGISTRATION}{challenge}"), &json, self.ttl).await?;
        Ok(options)
    }

    /// Finishes the registration whose challenge `credential` answers, for `subject` only: the
    /// credential stored, once the vendor metadata admits its model and `allowed` its kind.
    pub async fn finish_registration(
        &self,
        subject: &Subject,
        credential: &RegisterPublicKeyCredential,
        challenge: &str,
        labels: Labels,
        allowed: impl Fn(Kind) -> Result<(), DomainError>,
        now: i64,
    ) -> Result<Credential, CeremonyError> {
        let stale = || refused("the registration's challenge is unknown, expired or already answered");
        let json = self.pending.take(&format!("{PREFIX_REGISTRATION}{challenge}")).await?.ok_or_else(stale)?;
        let pending: PendingRegistration = serde_json::from_str(&json).map_err(|_| corrupt("registration state"))?;
        if pending.subject != *subject {
            return Err(stale());
        }
        allowed(pending.kind)?;
        let rp = relying_party(&subject.dns)?;
        let passkey = rp.finish_passkey_registration(credential, &pending.state).map_err(|e| {
            tracing::info!(reason = %e, "security key registration refused");
            refused("the security key's attestation does not verify")
        })?;
        let aaguid = aaguid_of(&credential.response.attestation_object)?;
        if !self.vendors.admits(&subject.community_id, &aaguid).await? {
            tracing::info!("security key registration refused: its model is not allowed");
            return Err(DomainError::Forbidden(
                "the authenticator's model (AAGUID) may not register in this community".into(),
            )
            .into());
        }
        let stored = serde_json::to_string(&passkey).map_err(|_| corrupt("credential"))?;
        let kind_name = match pending.kind {
            Kind::SecurityKey => "FIDO",
            Kind::PlatformAuthenticator => "platform",
        };
        let record = Credential {
            id: kit::ids::new_object_id(),
            tenant_id: subject.tenant_id.clone(),
            community_id: subject.community_id.clone(),
            uid: subject.uid.clone(),
            username: subject.username.clone(),
            module_id: subject.module_id.clone(),
            credential_id: credential_text(passkey.cred_id()),
            aaguid,
            kind: pending.kind,
            name: labels.name.unwrap_or_else(|| format!("{}'s {kind_name} key", subject.username)),
            key_type: labels.key_type.unwrap_or_else(|| kind_name.to_owned()),
            passkey: stored,
            counter: 0,
            created_at: now,
            last_used_at: None,
        };
        match self.credentials.insert(&record).await {
            Err(kit::StoreError::Conflict(_)) => {
                Err(DomainError::Conflict("this security key is already registered".into()).into())
            }
            other => Ok(other.map(|()| record)?),
        }
    }

    /// Starts an authentication of `username` in the community with its credentials of the kinds
    /// `allowed`: the options for the client. 404 when the user has none.
    pub async fn start_authentication(
        &self,
        community_id: &str,
        dns: &str,
        username: &str,
        allowed: impl Fn(Kind) -> bool,
    ) -> Result<RequestChallengeResponse, CeremonyError> {
        let username = username.trim().to_lowercase();
        let mut passkeys = Vec::new();
        for c in self.credentials.by_user(community_id, &username).await? {
            if allowed(c.kind) {
                passkeys.push(serde_json::from_str::<Passkey>(&c.passkey).map_err(|_| corrupt("credential"))?);
            }
        }
        if passkeys.is_empty() {
            return Err(DomainError::NotFound("the user has no security key this community allows".into()).into());
        }
        let rp = relying_party(dns)?;
        let (options, state) = rp
            .start_passkey_authentication(&passkeys)
            .map_err(|e| CeremonyError::Domain(DomainError::Invalid(format!("assertion options: {e}"))))?;
        let challenge = credential_text(&options.public_key.challenge);
        let pending =
            PendingAuthentication { community_id: community_id.to_owned(), dns: dns.to_owned(), username, state };
        let json = serde_json::to_string(&pending).map_err(|_| corrupt("authentication state"))?;
        self.pending.put(&format!("{PREFIX_AUTHENTICATION}{challenge}"), &json, self.ttl).await?;
        Ok(options)
    }

    /// Finishes the authentication whose challenge `assertion` answers, for `username` of the
    /// community only: the credential, its counter moved forward. A counter that does not grow
    /// (a cloned authenticator, or a replay) is refused, and so is a kind no longer `allowed`.
    pub async fn finish_authentication(
        &self,
        community_id: &str,
        username: &str,
        assertion: &PublicKeyCredential,
        challenge: &str,
        allowed: impl Fn(Kind) -> Result<(), DomainError>,
        now: i64,
    ) -> Result<Asserted, CeremonyError> {
        let stale = || refused("the assertion's challenge is unknown, expired or already answered");
        let json = self.pending.take(&format!("{PREFIX_AUTHENTICATION}{challenge}")).await?.ok_or_else(stale)?;
        let pending: PendingAuthentication =
            serde_json::from_str(&json).map_err(|_| corrupt("authentication state"))?;
        if pending.community_id != community_id || pending.username != username.trim().to_lowercase() {
            return Err(stale());
        }
        let rp = relying_party(&pending.dns)?;
        let result: AuthenticationResult =
            rp.finish_passkey_authentication(assertion, &pending.state).map_err(|e| {
                tracing::info!(reason = %e, "security key assertion refused");
                refused("the security key's assertion does not verify")
            })?;
        let id = credential_text(result.cred_id());
        let mut stored = self
            .credentials
            .by_credential_id(community_id, &id)
            .await?
            .filter(|c| c.username == pending.username)
            .ok_or_else(|| refused("the security key is not registered to this user"))?;
        allowed(stored.kind)?;
        let (before, after) = (stored.counter, result.counter());
        if (before != 0 || after != 0) && after <= before {
            tracing::warn!(credential = %stored.id, "security key counter did not grow: a cloned authenticator?");
            return Err(refused("the security key's signature counter did not grow: the key may be cloned"));
        }
        let mut passkey: Passkey = serde_json::from_str(&stored.passkey).map_err(|_| corrupt("credential"))?;
        passkey.update_credential(&result);
        let updated = serde_json::to_string(&passkey).map_err(|_| corrupt("credential"))?;
        if !self.credentials.advance(&stored.id, before, after, &updated, now).await? {
            tracing::warn!(credential = %stored.id, "security key counter raced: refused");
            return Err(refused("the security key's signature counter did not grow: the key may be cloned"));
        }
        (stored.counter, stored.passkey, stored.last_used_at) = (after, updated, Some(now));
        Ok(Asserted { credential: stored, user_verified: result.user_verified() })
    }
}
