//! The token endpoint's rules (RFC 6749 3.2, 4.1.3, 6): client authentication by secret
//! (`client_secret_basic` or `client_secret_post`) or none for a public client, the code bound
//! to its client, redirect URI and PKCE challenge and used once, refresh tokens replaced at each
//! use, and the ID token (OIDC Core 2, 3.1.3.6). Errors are RFC 6749 5.2's codes.

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use super::{Grant, Provider};
use crate::domain::DomainError;
use crate::domain::service_providers::{ServiceProvider, oidc_client};

/// A refusal of the token endpoint (RFC 6749 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// 400, or 401 for `invalid_client`.
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    /// The client tried HTTP Basic (the 401 then names the scheme).
    pub basic: bool,
}

impl OAuthError {
    /// A 400 `error`.
    pub fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self { status: 400, error, description: description.into(), basic: false }
    }

    fn invalid_client(basic: bool) -> Self {
        Self { status: 401, error: "invalid_client", description: "client authentication failed".into(), basic }
    }

    fn invalid_grant(description: &str) -> Self {
        Self::new("invalid_grant", description)
    }
}

/// A domain failure (a store down) on the way: not the client's doing.
#[derive(Debug)]
pub enum TokenFailure {
    OAuth(OAuthError),
    Domain(DomainError),
}

impl From<OAuthError> for TokenFailure {
    fn from(e: OAuthError) -> Self {
        Self::OAuth(e)
    }
}

impl From<DomainError> for TokenFailure {
    fn from(e: DomainError) -> Self {
        Self::Domain(e)
    }
}

/// How the client presented itself.
pub struct ClientAuth {
    pub client_id: String,
    secret: Option<Zeroizing<String>>,
    basic: bool,
}

impl std::fmt::Debug for ClientAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuth").field("basic", &self.basic).finish_non_exhaustive()
    }
}

/// The one value of `name` in a form (repeated parameters are refused, RFC 6749 3.2).
pub fn single<'a>(form: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, OAuthError> {
    let mut found = form.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(OAuthError::new("invalid_request", format!("{name} must not be repeated")));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// The client's credentials: an HTTP Basic `authorization` (client id and secret, each
/// form-urlencoded, RFC 6749 2.3.1) or `client_id` (and `client_secret`) in the form; not both.
pub fn client_auth(authorization: Option<&str>, form: &[(String, String)]) -> Result<ClientAuth, OAuthError> {
    use base64::Engine as _;
    let in_form = (single(form, "client_id")?, single(form, "client_secret")?);
    if let Some(header) = authorization {
        let (scheme, value) = header.trim().split_once(' ').unwrap_or((header, ""));
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(OAuthError::invalid_client(false));
        }
        if in_form.1.is_some() {
            return Err(OAuthError::new("invalid_request", "use one client authentication method"));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| OAuthError::invalid_client(true))?;
        let decoded = Zeroizing::new(decoded);
        let (id, secret) = decoded.split_once(':').ok_or_else(|| OAuthError::invalid_client(true))?;
        let unescape =
            |s: &str| url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        let id = unescape(id).ok_or_else(|| OAuthError::invalid_client(true))?;
        if in_form.0.is_some_and(|f| f != id) {
            return Err(OAuthError::invalid_client(true));
        }
        let secret = Zeroizing::new(unescape(secret).ok_or_else(|| OAuthError::invalid_client(true))?);
        return Ok(ClientAuth { client_id: id, secret: Some(secret), basic: true });
    }
    let id = in_form.0.ok_or_else(|| OAuthError::invalid_client(false))?;
    Ok(ClientAuth { client_id: id.to_owned(), secret: in_form.1.map(|s| Zeroizing::new(s.to_owned())), basic: false })
}

/// Checks the client's credentials against its registration.
pub fn authenticate(sealer: &kit::sealer::Sealer, sp: &ServiceProvider, auth: &ClientAuth) -> Result<(), OAuthError> {
    let refuse = || OAuthError::invalid_client(auth.basic);
    let client = sp.document.oidc_config.as_ref().ok_or_else(refuse)?;
    if client.is_public() {
        // A public client has no secret; presenting one is a misconfiguration, refused.
        return if auth.secret.is_none() { Ok(()) } else { Err(refuse()) };
    }
    let (Some(secret), Some(kept)) = (&auth.secret, &sp.client_secret_mac) else { return Err(refuse()) };
    if oidc_client::secret_matches(sealer, &client.client_id, secret, kept) { Ok(()) } else { Err(refuse()) }
}

/// Whether `verifier` (RFC 7636 4.1: 43 to 128 unreserved characters) matches the S256
/// `challenge`.
pub fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    use base64::Engine as _;
    use subtle::ConstantTimeEq as _;
    let shaped = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    shaped && computed.len() == challenge.len() && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// A successful token reply (RFC 6749 5.1, OIDC Core 3.1.3.3).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// `Bearer`.
    pub token_type: &'static str,
    /// Seconds.
    pub expires_in: u64,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// The granted scopes, space-separated.
    pub scope: String,
}

impl Provider {
    /// The ID token of `grant`, issued by `issuer` at `now`.
    async fn id_token(
        &self,
        grant: &Grant,
        alg: &str,
        issuer: &str,
        now: i64,
        nonce: bool,
    ) -> Result<String, DomainError> {
        use serde_json::json;
        let mut claims = grant.user_claims();
        claims.insert("iss".into(), json!(issuer));
        claims.insert("aud".into(), json!(grant.client_id));
        claims.insert("azp".into(), json!(grant.client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(i64::try_from(self.ttls.id_token).unwrap_or(3600))));
        claims.insert("auth_time".into(), json!(grant.auth_time));
        if let (true, Some(n)) = (nonce, &grant.nonce) {
            claims.insert("nonce".into(), json!(n));
        }
        if let Some(acr) = &grant.acr {
            claims.insert("acr".into(), json!(acr));
        }
        let signer = self.keys.signer(&grant.tenant_id, &grant.community_id, alg, now).await?;
        signer.sign(&claims)
    }

    async fn reply(
        &self,
        sp: &ServiceProvider,
        grant: &Grant,
        issuer: &str,
        now: i64,
        nonce: bool,
    ) -> Result<TokenResponse, TokenFailure> {
        let client = sp.document.oidc_config.as_ref().ok_or_else(|| OAuthError::invalid_client(false))?;
        let refresh = client.grant_types.iter().any(|g| g == "refresh_token");
        let id_token = self.id_token(grant, &client.id_token_signed_response_alg, issuer, now, nonce).await?;
        let (access, refresh_token) = self.issue(grant, refresh).await?;
        Ok(TokenResponse {
            access_token: access.to_string(),
            token_type: "Bearer",
            expires_in: self.ttls.access_token,
            id_token,
            refresh_token: refresh_token.map(|r| r.to_string()),
            scope: grant.scope.join(" "),
        })
    }

    /// `grant_type=authorization_code` for the authenticated client `sp`.
    pub async fn exchange_code(
        &self,
        sp: &ServiceProvider,
        form: &[(String, String)],
        issuer: &str,
        now: i64,
    ) -> Result<TokenResponse, TokenFailure> {
        let code = single(form, "code")?.ok_or_else(|| OAuthError::new("invalid_request", "code is required"))?;
        let redirect_uri = single(form, "redirect_uri")?;
        let verifier = single(form, "code_verifier")?;
        // Taken first: a code is spent by any attempt, right or wrong.
        let Some(grant) = self.take_code(code).await? else {
            let message = if self.revoke_issued_from(code).await? {
                "the code was already used: the tokens issued for it are revoked"
            } else {
                "the code is unknown, expired or already used"
            };
            return Err(OAuthError::invalid_grant(message).into());
        };
        if Some(grant.client_id.as_str()) != sp.client_id() || grant.community_id != sp.community_id {
            return Err(OAuthError::invalid_grant("the code was issued to another client").into());
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(OAuthError::invalid_grant("redirect_uri is not the one of the authorization request").into());
        }
        match (&grant.code_challenge, verifier) {
            (Some(challenge), Some(v)) if pkce_matches(challenge, v) => {}
            (Some(_), Some(_)) => {
                return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge").into());
            }
            (Some(_), None) => return Err(OAuthError::invalid_grant("code_verifier is required").into()),
            (None, Some(_)) => {
                return Err(OAuthError::invalid_grant(
                    "code_verifier given but the authorization request had no code_challenge",
                )
                .into());
            }
            (None, None) => {}
        }
        let reply = self.reply(sp, &grant, issuer, now, true).await?;
        self.remember_issued(code, &reply.access_token, reply.refresh_token.as_deref()).await?;
        Ok(reply)
    }

    /// `grant_type=refresh_token` for the authenticated client `sp`: a new access token, ID
    /// token and refresh token (the old one is spent), for the same or fewer scopes.
    pub async fn refresh(
        &self,
        sp: &ServiceProvider,
        form: &[(String, String)],
        issuer: &str,
        now: i64,
    ) -> Result<TokenResponse, TokenFailure> {
        let client = sp.document.oidc_config.as_ref().ok_or_else(|| OAuthError::invalid_client(false))?;
        if !client.grant_types.iter().any(|g| g == "refresh_token") {
            return Err(OAuthError::new("unauthorized_client", "the client may not use refresh tokens").into());
        }
        let token = single(form, "refresh_token")?
            .ok_or_else(|| OAuthError::new("invalid_request", "refresh_token is required"))?;
        let asked = single(form, "scope")?;
        let mut grant = self
            .take_refresh(token)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the refresh token is unknown, expired or already used"))?;
        if Some(grant.client_id.as_str()) != sp.client_id() {
            return Err(OAuthError::invalid_grant("the refresh token was issued to another client").into());
        }
        if let Some(asked) = asked {
            let asked: Vec<String> = asked.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
            if asked.iter().any(|s| !grant.scope.contains(s)) {
                return Err(OAuthError::new("invalid_scope", "scope may only narrow the original grant").into());
            }
            grant.scope = asked;
        }
        self.reply(sp, &grant, issuer, now, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_is_rfc_7636s() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", verifier));
        assert!(!pkce_matches(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX"
        ));
        assert!(!pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "short"));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        use base64::Engine as _;
        let header = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("my%20client:s%3Acret"));
        let auth = client_auth(Some(&header), &[]).unwrap();
        assert_eq!(auth.client_id, "my client");
        assert_eq!(auth.secret.as_deref().map(String::as_str), Some("s:cret"));
        let both = [("client_secret".to_owned(), "x".to_owned())];
        assert_eq!(client_auth(Some(&header), &both).unwrap_err().error, "invalid_request");
        assert_eq!(client_auth(None, &[]).unwrap_err().status, 401);
        let twice = [("client_id".to_owned(), "a".to_owned()), ("client_id".to_owned(), "b".to_owned())];
        assert_eq!(client_auth(None, &twice).unwrap_err().error, "invalid_request");
    }
}
