//! The rules of an OpenID Connect client's configuration (`oidc_config`): its grant types (the
//! authorization code flow and refresh tokens: the provider serves no other), its exact redirect
//! URIs, its scopes (`openid` among them), the algorithm of its ID tokens and how it
//! authenticates at the token endpoint. A confidential client gets a generated secret, shown
//! once; a public client (`token_endpoint_auth_method: none`) has none and must use PKCE.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::DomainError;

/// The grant types the provider serves.
pub const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token"];
/// The scopes the provider knows (others are refused: the client would get nothing for them).
pub const SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];
/// The ID token algorithms the provider signs with (the discovery document lists them).
pub const ID_TOKEN_ALGORITHMS: &[&str] = &["ES256", "RS256"];
/// How clients authenticate at the token endpoint.
pub const AUTH_METHODS: &[&str] = &["client_secret_basic", "client_secret_post", "none"];
/// The most redirect URIs a client may register.
pub const MAX_REDIRECT_URIS: usize = 20;

/// `oidc_config` as asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OidcConfigInput {
    /// `authorization_code`, and `refresh_token` for refresh tokens.
    pub grant_types: Vec<String>,
    /// The exact URIs the authorization endpoint may redirect to.
    pub redirect_uris: Vec<String>,
    /// The scopes the client may ask for: `openid`, `profile`, `email`, `offline_access`.
    pub scope: Vec<String>,
    /// `ES256` or `RS256`.
    pub id_token_signed_response_alg: String,
    /// `client_secret_basic` (default), `client_secret_post` or `none` (a public client, which
    /// must use PKCE).
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// What a fetched record carries and an update may send back: ignored (the client id is
    /// the provider's).
    #[serde(default)]
    pub client_id: Option<String>,
}

/// A stored `oidc_config` (the secret is never part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OidcConfig {
    pub client_id: String,
    pub grant_types: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub scope: Vec<String>,
    pub id_token_signed_response_alg: String,
    pub token_endpoint_auth_method: String,
}

impl OidcConfig {
    /// Whether the client has no secret (and must use PKCE).
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == "none"
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// A redirect URI: absolute, without a fragment (RFC 6749 3.1.2), http(s) or a private-use
/// scheme of a native app (RFC 8252 7.1, a dotted scheme); plain http only to a loopback host.
pub fn redirect_uri(text: &str) -> Result<String, DomainError> {
    let bad = || {
        invalid(
            "oidc_config.redirect_uris must be absolute URIs without a fragment: https, http to a loopback host, \
             or an app's reverse-domain scheme",
        )
    };
    if text.len() > 2048 || text.trim() != text {
        return Err(bad());
    }
    let url = url::Url::parse(text).map_err(|_| bad())?;
    if url.fragment().is_some() {
        return Err(bad());
    }
    let ok = match url.scheme() {
        "https" => url.host().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        scheme => scheme.contains('.'),
    };
    if ok { Ok(text.to_owned()) } else { Err(bad()) }
}

fn listed(field: &str, values: Vec<String>, allowed: &[&str]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let v = v.trim().to_owned();
        if !allowed.contains(&v.as_str()) {
            return Err(invalid(format!("{field} may hold: {}", allowed.join(", "))));
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    Ok(out)
}

/// The checked `oidc_config` of a request: a new client id, or the kept one of `previous`.
pub fn check(input: OidcConfigInput, previous: Option<&OidcConfig>) -> Result<OidcConfig, DomainError> {
    let grant_types = listed("oidc_config.grant_types", input.grant_types, GRANT_TYPES)?;
    if !grant_types.iter().any(|g| g == "authorization_code") {
        return Err(invalid("oidc_config.grant_types must hold authorization_code"));
    }
    if input.redirect_uris.is_empty() || input.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(invalid(format!("oidc_config.redirect_uris must hold 1 to {MAX_REDIRECT_URIS} URIs")));
    }
    let mut redirect_uris = Vec::new();
    for uri in &input.redirect_uris {
        let uri = redirect_uri(uri)?;
        if !redirect_uris.contains(&uri) {
            redirect_uris.push(uri);
        }
    }
    let scope = listed("oidc_config.scope", input.scope, SCOPES)?;
    if !scope.iter().any(|s| s == "openid") {
        return Err(invalid("oidc_config.scope must hold openid"));
    }
    let alg = input.id_token_signed_response_alg.trim().to_ascii_uppercase();
    if !ID_TOKEN_ALGORITHMS.contains(&alg.as_str()) {
        return Err(invalid(format!(
            "oidc_config.id_token_signed_response_alg must be one of: {} (the algorithms of the community's published keys)",
            ID_TOKEN_ALGORITHMS.join(", ")
        )));
    }
    let method = input.token_endpoint_auth_method.as_deref().map(str::trim).unwrap_or("client_secret_basic");
    if !AUTH_METHODS.contains(&method) {
        return Err(invalid(format!(
            "oidc_config.token_endpoint_auth_method must be one of: {}",
            AUTH_METHODS.join(", ")
        )));
    }
    if let Some(prev) = previous
        && prev.is_public() != (method == "none")
    {
        return Err(invalid(
            "oidc_config.token_endpoint_auth_method cannot change between none and a client secret: delete the \
             service provider and create another",
        ));
    }
    let client_id = previous.map(|p| p.client_id.clone()).unwrap_or_else(new_client_id);
    Ok(OidcConfig {
        client_id,
        grant_types,
        redirect_uris,
        scope,
        id_token_signed_response_alg: alg,
        token_endpoint_auth_method: method.to_owned(),
    })
}

/// A new client id: 32 hex digits.
pub fn new_client_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A new client secret: 32 random bytes, base64url (43 characters).
pub fn new_client_secret() -> Result<String, DomainError> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| DomainError::Busy("the system random number generator failed".into()))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The MAC kept of a client's secret (hex): HMAC-SHA256 under the sealer's MAC subkey, bound to
/// the client id. The secret is 256 random bits, so a keyed hash is as strong as a slow one.
pub fn secret_mac(sealer: &kit::sealer::Sealer, client_id: &str, secret: &str) -> String {
    hex::encode(sealer.mac("oidc-client-secret", &[client_id, secret]))
}

/// Whether `secret` is the client's, against the kept MAC (in constant time).
pub fn secret_matches(sealer: &kit::sealer::Sealer, client_id: &str, secret: &str, kept: &str) -> bool {
    use subtle::ConstantTimeEq as _;
    let mac = secret_mac(sealer, client_id, secret);
    mac.len() == kept.len() && bool::from(mac.as_bytes().ct_eq(kept.as_bytes()))
}
