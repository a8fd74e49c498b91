//! The OpenID Connect provider of each community, for its OIDC service providers: the
//! authorization code flow (RFC 6749 4.1) with PKCE (RFC 7636, `S256` only, required of public
//! clients), ID tokens signed by the community's keys ([`keys`]), userinfo and rotating refresh
//! tokens.
//!
//! The flow: the authorization endpoint checks a request ([`authorize`]) and keeps it as a
//! pending request (`OIDCRequest`, [`Provider::begin`]); the login page shows the application
//! (`POST /serviceprovider/publicinfo/fetch`) and, once the user is signed in, `POST /oidc/sso`
//! completes it ([`Provider::complete`]): a one-time code bound to the client, the redirect URI
//! and the PKCE challenge, which the token endpoint exchanges once ([`Provider::exchange_code`]).
//!
//! Pending requests, codes, access and refresh tokens live in the durable ephemeral store, each
//! under the MAC of its secret (never the secret), for `OIDC_REQUEST_TTL_SECONDS`,
//! `OIDC_CODE_TTL_SECONDS`, `OIDC_ACCESS_TOKEN_TTL_SECONDS` and `OIDC_REFRESH_TOKEN_TTL_SECONDS`.
//! A code is taken atomically, so of two concurrent exchanges one wins, and a second use revokes
//! the tokens the first was given (RFC 6749 4.1.2); a refresh token is replaced by a new one at
//! each use.

pub mod authorize;
pub mod external;
pub mod keys;
pub mod token;

use std::sync::Arc;
use std::time::Duration;

use kit::ephemeral::Ephemeral;
use kit::sealer::Sealer;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::DomainError;

pub use authorize::AuthorizationRequest;

/// How long each thing lives (seconds).
#[derive(Debug, Clone, Copy)]
pub struct Ttls {
    /// A pending authorization request, waiting for the user's login.
    pub request: u64,
    /// An authorization code.
    pub code: u64,
    /// An access token (for userinfo).
    pub access_token: u64,
    /// An ID token.
    pub id_token: u64,
    /// A refresh token.
    pub refresh_token: u64,
}

impl Default for Ttls {
    fn default() -> Self {
        Self { request: 600, code: 60, access_token: 3600, id_token: 3600, refresh_token: 30 * 86_400 }
    }
}

/// The user a grant is for, with the claims its scopes release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedUser {
    /// The user's uid (the `sub`).
    pub uid: String,
    pub username: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
}

/// What a code, an access token and a refresh token stand for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub tenant_id: String,
    pub community_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    pub user: GrantedUser,
    /// When the user signed in (epoch seconds).
    pub auth_time: i64,
    #[serde(default)]
    pub acr: Option<String>,
    /// The tokens of one code, refreshes included: all revoked when the code is used again.
    #[serde(default)]
    pub family: Option<String>,
}

impl Grant {
    /// The claims of the user its scopes release (`sub` always).
    pub fn user_claims(&self) -> serde_json::Map<String, serde_json::Value> {
        use serde_json::json;
        let mut claims = serde_json::Map::new();
        claims.insert("sub".into(), json!(self.user.uid));
        let has = |s: &str| self.scope.iter().any(|x| x == s);
        if has("profile") {
            claims.insert("preferred_username".into(), json!(self.user.username));
            let name: Vec<&str> =
                [&self.user.given_name, &self.user.family_name].into_iter().flatten().map(String::as_str).collect();
            if !name.is_empty() {
                claims.insert("name".into(), json!(name.join(" ")));
            }
            if let Some(g) = &self.user.given_name {
                claims.insert("given_name".into(), json!(g));
            }
            if let Some(f) = &self.user.family_name {
                claims.insert("family_name".into(), json!(f));
            }
        }
        if has("email")
            && let Some(e) = &self.user.email
        {
            claims.insert("email".into(), json!(e));
        }
        claims
    }
}

/// The provider: its pending requests, codes and tokens, and the communities' keys.
#[derive(Clone)]
pub struct Provider {
    store: Arc<dyn Ephemeral>,
    sealer: Arc<Sealer>,
    pub keys: keys::KeySet,
    pub ttls: Ttls,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("ttls", &self.ttls).finish_non_exhaustive()
    }
}

/// A random secret: 32 bytes, base64url (43 characters).
pub(crate) fn secret() -> Result<Zeroizing<String>, DomainError> {
    use base64::Engine as _;
    let mut bytes = Zeroizing::new([0u8; 32]);
    getrandom::fill(bytes.as_mut_slice())
        .map_err(|_| DomainError::Busy("the system random number generator failed".into()))?;
    Ok(Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes.as_slice())))
}

/// Whether `given` has the shape of one of [`secret`]'s (checked before any lookup).
pub fn looks_like_secret(given: &str) -> bool {
    given.len() == 43 && given.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn corrupt(what: &str) -> DomainError {
    DomainError::Store(kit::StoreError::Corrupt(format!("oidc {what}: unreadable record")))
}

impl Provider {
    /// A provider keeping its state in `store` (the durable ephemeral store).
    pub fn new(store: Arc<dyn Ephemeral>, sealer: Arc<Sealer>, keys: keys::KeySet, ttls: Ttls) -> Self {
        Self { store, sealer, keys, ttls }
    }

    /// The store key of a secret of `kind`: its MAC, never the secret.
    fn key(&self, kind: &str, secret: &str) -> String {
        format!("oidc:{kind}:{}", hex::encode(self.sealer.mac(&format!("oidc-{kind}"), &[secret])))
    }

    async fn put<T: Serialize>(&self, kind: &str, secret: &str, value: &T, ttl: u64) -> Result<(), DomainError> {
        let json = serde_json::to_string(value).map_err(|_| corrupt(kind))?;
        self.store.put(&self.key(kind, secret), &json, Duration::from_secs(ttl)).await?;
        Ok(())
    }

    async fn read<T: for<'de> Deserialize<'de>>(
        &self,
        kind: &str,
        secret: &str,
        take: bool,
    ) -> Result<Option<T>, DomainError> {
        if !looks_like_secret(secret) {
            return Ok(None);
        }
        let key = self.key(kind, secret);
        let found = if take { self.store.take(&key).await? } else { self.store.get(&key).await? };
        found.map(|json| serde_json::from_str(&json).map_err(|_| corrupt(kind))).transpose()
    }

    /// Keeps a checked authorization request until the user signs in: its `OIDCRequest`.
    pub async fn begin(&self, request: &AuthorizationRequest) -> Result<Zeroizing<String>, DomainError> {
        let id = secret()?;
        self.put("request", &id, request, self.ttls.request).await?;
        Ok(id)
    }

    /// The pending request `id`, if it is still pending.
    pub async fn pending(&self, id: &str) -> Result<Option<AuthorizationRequest>, DomainError> {
        self.read("request", id, false).await
    }

    /// Completes the pending request `id` for `user`, once: the URL the user agent goes back to
    /// (the redirect URI with the code and the state) and the code.
    pub async fn complete(
        &self,
        id: &str,
        user: GrantedUser,
        auth_time: i64,
        acr: Option<String>,
    ) -> Result<(String, Zeroizing<String>), DomainError> {
        let request: AuthorizationRequest = self
            .read("request", id, true)
            .await?
            .ok_or_else(|| DomainError::NotFound("no pending OIDC request with this OIDCRequest".into()))?;
        let grant = Grant {
            tenant_id: request.tenant_id.clone(),
            community_id: request.community_id.clone(),
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            user,
            auth_time,
            acr: acr.or_else(|| request.acr_values.clone()),
            family: None,
        };
        let code = secret()?;
        let grant = Grant { family: Some(self.family_of(&code)), ..grant };
        self.put("code", &code, &grant, self.ttls.code).await?;
        let mut params = vec![("code", code.as_str())];
        if let Some(state) = &request.state {
            params.push(("state", state));
        }
        Ok((authorize::with_query(&request.redirect_uri, &params), code))
    }

    /// The grant of a code, removed (a code is used once, even when the exchange then fails).
    pub async fn take_code(&self, code: &str) -> Result<Option<Grant>, DomainError> {
        self.read("code", code, true).await
    }

    /// The grant of a refresh token, removed (it is replaced at each use); none when its code
    /// was replayed since.
    pub async fn take_refresh(&self, token: &str) -> Result<Option<Grant>, DomainError> {
        let grant: Option<Grant> = self.read("refresh", token, true).await?;
        self.unrevoked(grant).await
    }

    /// The grant of a live access token; none when its code was replayed since.
    pub async fn access(&self, token: &str) -> Result<Option<Grant>, DomainError> {
        let grant: Option<Grant> = self.read("access", token, false).await?;
        self.unrevoked(grant).await
    }

    /// The family of the tokens code `code` is exchanged for (a MAC of it: a replay of the code
    /// names it without any record).
    fn family_of(&self, code: &str) -> String {
        hex::encode(self.sealer.mac("oidc-family", &[code]))
    }

    fn family_key(family: &str) -> String {
        format!("oidc:revoked-family:{family}")
    }

    async fn unrevoked(&self, grant: Option<Grant>) -> Result<Option<Grant>, DomainError> {
        if let Some(family) = grant.as_ref().and_then(|g| g.family.as_deref())
            && self.store.get(&Self::family_key(family)).await?.is_some()
        {
            return Ok(None);
        }
        Ok(grant)
    }

    /// Remembers what a code was exchanged for (the store keys of the tokens, never the tokens),
    /// for as long as a refresh token lives, so that a replay of the code can revoke them.
    pub async fn remember_issued(&self, code: &str, access: &str, refresh: Option<&str>) -> Result<(), DomainError> {
        let mut keys = vec![self.key("access", access)];
        keys.extend(refresh.map(|r| self.key("refresh", r)));
        self.put("issued", code, &keys, self.ttls.refresh_token).await
    }

    /// Revokes the tokens a code was exchanged for (on a second use of the code): `true` when
    /// there were some.
    pub async fn revoke_issued_from(&self, code: &str) -> Result<bool, DomainError> {
        let Some(keys) = self.read::<Vec<String>>("issued", code, true).await? else { return Ok(false) };
        for key in &keys {
            self.store.delete(key).await?;
        }
        // And the tokens refreshed from them since.
        let revoked = Self::family_key(&self.family_of(code));
        self.store.put(&revoked, "1", Duration::from_secs(self.ttls.refresh_token)).await?;
        tracing::warn!("an authorization code was used twice: the tokens issued for it are revoked");
        Ok(true)
    }

    /// Issues an access token for `grant`, and a refresh token when `refresh`.
    pub async fn issue(
        &self,
        grant: &Grant,
        refresh: bool,
    ) -> Result<(Zeroizing<String>, Option<Zeroizing<String>>), DomainError> {
        let access = secret()?;
        self.put("access", &access, grant, self.ttls.access_token).await?;
        let refresh_token = if refresh {
            let r = secret()?;
            self.put("refresh", &r, grant, self.ttls.refresh_token).await?;
            Some(r)
        } else {
            None
        };
        Ok((access, refresh_token))
    }
}
