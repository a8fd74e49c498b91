//! The community as an OpenID Connect relying party of its `oidc` external IdP: the
//! authorization code flow with PKCE (S256), `state` and `nonce`. The login starts with a
//! pending login kept in the durable ephemeral store under its `state` (single use); the IdP's
//! code is exchanged at its token endpoint with the client's credentials (`client_secret_post`,
//! or none for a public client) and the PKCE verifier; the ID token is verified with the IdP's
//! JWKS: signature (the key its `kid` names, RS256 or ES256), `iss` (the IdP's issuer), `aud`
//! (the client id), `exp`, and the `nonce` of the login.

use base64::Engine as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::DomainError;
use crate::domain::identity_providers::Provider;

/// A login sent to the external IdP, waiting for its answer.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub community_id: String,
    /// The external IdP's id.
    pub idp_id: String,
    pub nonce: String,
    /// The PKCE verifier.
    pub verifier: String,
    /// The callback the IdP was asked to send the code to.
    pub redirect_uri: String,
    #[serde(default)]
    pub relay_state: Option<String>,
}

impl std::fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingLogin").field("idp_id", &self.idp_id).finish_non_exhaustive()
    }
}

/// The PKCE S256 challenge of `verifier`.
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// The IdP's endpoints, or the 400 naming what its configuration lacks.
fn endpoint<'a>(value: &'a Option<String>, field: &str) -> Result<&'a str, DomainError> {
    value.as_deref().ok_or_else(|| invalid(format!("the external oidc IdP has no {field}")))
}

/// Where the user agent goes to sign in at `idp`.
pub fn authorization_url(idp: &Provider, state: &str, login: &PendingLogin) -> Result<String, DomainError> {
    let base = endpoint(&idp.authorization_url, "authorizationUrl")?;
    let client_id = endpoint(&idp.client_id, "clientId")?;
    let scopes = idp.scopes.clone().unwrap_or_else(|| vec!["openid".into(), "email".into(), "profile".into()]);
    let challenge = challenge(&login.verifier);
    let scope = scopes.join(" ");
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", login.redirect_uri.as_str()),
        ("scope", scope.as_str()),
        ("state", state),
        ("nonce", login.nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    Ok(super::authorize::with_query(base, &params))
}

/// Why the IdP's answer is refused (a 400 naming the step; never a value of it).
fn refused(step: &str) -> DomainError {
    invalid(format!("the external oidc IdP's answer was refused: {step}"))
}

/// The user an ID token names: its claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `preferred_username`, else `email`, else `sub`.
    pub username: String,
    /// `(claim, [value])` of the string claims.
    pub claims: Vec<(String, Vec<String>)>,
}

/// Exchanges `code` at the IdP's token endpoint and verifies the ID token it answers.
pub async fn complete(
    http: &reqwest::Client,
    idp: &Provider,
    client_secret: Option<&str>,
    code: &str,
    login: &PendingLogin,
    now: i64,
) -> Result<Identity, DomainError> {
    let token_url = endpoint(&idp.token_url, "tokenUrl")?;
    let client_id = endpoint(&idp.client_id, "clientId")?;
    let issuer = endpoint(&idp.issuer, "issuer")?;
    let jwks_url = endpoint(&idp.jwks_url, "jwksUrl")?;
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", login.redirect_uri.as_str()),
        ("client_id", client_id),
        ("code_verifier", login.verifier.as_str()),
    ];
    form.extend(client_secret.map(|s| ("client_secret", s)));
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let unavailable = |what: &str| DomainError::Busy(format!("the external oidc IdP's {what} did not answer"));
    let reply = http
        .post(token_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|_| unavailable("token endpoint"))?;
    if !reply.status().is_success() {
        tracing::info!(status = reply.status().as_u16(), "the external oidc IdP refused the code");
        return Err(refused("its token endpoint refused the code"));
    }
    let tokens: Value = reply.json().await.map_err(|_| refused("its token endpoint did not answer JSON"))?;
    let id_token = tokens["id_token"].as_str().ok_or_else(|| refused("no id_token"))?;
    let header = jsonwebtoken::decode_header(id_token).map_err(|_| refused("the id_token is not a JWT"))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
        return Err(refused("the id_token is signed with neither RS256 nor ES256"));
    }
    let jwks: JwkSet = http
        .get(jwks_url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|_| unavailable("JWKS"))?
        .json()
        .await
        .map_err(|_| refused("its JWKS is not a JWK set"))?;
    let jwk = match header.kid.as_deref() {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| refused("no key of its JWKS signed the id_token"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| refused("its JWKS key cannot be used"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 60;
    let claims = jsonwebtoken::decode::<serde_json::Map<String, Value>>(id_token, &key, &validation)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            refused(match e.kind() {
                K::ExpiredSignature => "the id_token has expired",
                K::InvalidIssuer => "the id_token's iss is not the IdP's issuer",
                K::InvalidAudience => "the id_token's aud is not this client",
                K::InvalidSignature => "the id_token's signature is not the IdP's",
                _ => "the id_token is not valid",
            })
        })?
        .claims;
    if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > now + 300) {
        return Err(refused("the id_token was issued in the future"));
    }
    let nonce = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
    if nonce.len() != login.nonce.len() || !bool::from(nonce.as_bytes().ct_eq(login.nonce.as_bytes())) {
        return Err(refused("the id_token's nonce is not the login's"));
    }
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim).filter(|v| !v.is_empty());
    let username = text("preferred_username").or_else(|| text("email")).or_else(|| text("sub"));
    let username = username.ok_or_else(|| refused("the id_token names no user (sub)"))?.to_owned();
    if username.len() > 256 || username.chars().any(char::is_control) {
        return Err(refused("the id_token's username is not 1 to 256 printable characters"));
    }
    let claims = claims.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), vec![s.to_owned()]))).collect();
    Ok(Identity { username, claims })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636_s256() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn the_authorization_url_carries_pkce_state_and_nonce() {
        let idp = Provider {
            authorization_url: Some("https://idp.example.com/authorize?x=1".into()),
            client_id: Some("c1".into()),
            ..Provider::default()
        };
        let login = PendingLogin {
            community_id: "c".into(),
            idp_id: "i".into(),
            nonce: "n0".into(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            redirect_uri: "https://a.example.com/cb".into(),
            relay_state: None,
        };
        let url = url::Url::parse(&authorization_url(&idp, "s0", &login).unwrap()).unwrap();
        let get = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        assert_eq!(get("x").as_deref(), Some("1"));
        assert_eq!(get("state").as_deref(), Some("s0"));
        assert_eq!(get("nonce").as_deref(), Some("n0"));
        assert_eq!(get("code_challenge").as_deref(), Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert_eq!(get("scope").as_deref(), Some("openid email profile"));
        assert!(
            authorization_url(&Provider::default(), "s", &login).unwrap_err().to_string().contains("authorizationUrl")
        );
    }
}
