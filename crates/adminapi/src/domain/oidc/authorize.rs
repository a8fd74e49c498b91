//! The authorization endpoint's rules: which client and redirect URI a request names (errors
//! there are shown to the user, never redirected: the URI is not trusted yet), then the rest of
//! the request (errors redirected to the client with `error` and `state`, RFC 6749 4.1.2.1).

use serde::{Deserialize, Serialize};

use crate::domain::service_providers::ServiceProvider;

/// A checked authorization request, pending until the user signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub tenant_id: String,
    pub community_id: String,
    /// The service provider's id.
    pub sp_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: Vec<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    /// The `S256` challenge, when the client sent one.
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub acr_values: Option<String>,
    /// The client asked for a login made for this request (`prompt=login`), or the service
    /// provider always does (`forceReauthentication`).
    #[serde(default)]
    pub fresh_login: bool,
    /// The oldest login the client accepts, in seconds (`max_age`).
    #[serde(default)]
    pub max_age: Option<i64>,
    /// Epoch seconds.
    pub created_at: i64,
}

impl AuthorizationRequest {
    /// Whether a login made at `auth_time` may complete the request at `now`: after the request
    /// when a fresh login is asked for, within `max_age` when one is given.
    pub fn accepts_login(&self, auth_time: i64, now: i64) -> bool {
        let fresh = !self.fresh_login || auth_time >= self.created_at;
        let recent = self.max_age.is_none_or(|max| now.saturating_sub(auth_time) <= max);
        fresh && recent
    }
}

/// A refusal before the redirect URI is trusted: shown to the user agent (400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unredirectable(pub String);

/// A refusal sent back to the client: the `error` code and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirected {
    pub redirect_uri: String,
    pub error: &'static str,
    pub description: String,
    pub state: Option<String>,
}

impl Redirected {
    /// The URL the user agent is sent to.
    pub fn location(&self) -> String {
        let mut params = vec![("error", self.error), ("error_description", self.description.as_str())];
        if let Some(s) = &self.state {
            params.push(("state", s));
        }
        with_query(&self.redirect_uri, &params)
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Unredirectable(Unredirectable),
    Redirected(Redirected),
}

/// `uri` with `params` added to its query.
pub fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        // Only registered (parsed) URIs get here.
        Err(_) => uri.to_owned(),
    }
}

/// The longest `state`, `nonce` and `acr_values` accepted.
const MAX_PARAM: usize = 512;

/// The one value of `name` in `params` (a repeated parameter is an error, RFC 6749 3.1).
fn single<'a>(params: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, String> {
    let mut found = params.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("{name} must not be repeated"));
    }
    Ok(first)
}

/// Whether `challenge` is a PKCE S256 challenge: 43 base64url characters.
pub fn is_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The client id of a request (to find its service provider), or the refusal.
pub fn client_id(params: &[(String, String)]) -> Result<String, Refusal> {
    let refuse = |m: String| Refusal::Unredirectable(Unredirectable(m));
    match single(params, "client_id").map_err(refuse)? {
        Some(c) if !c.is_empty() && c.len() <= 64 => Ok(c.to_owned()),
        _ => Err(refuse("client_id is required".into())),
    }
}

/// Checks an authorization request of `sp` (the client `client_id` names, of the path's
/// community) at `now`.
pub fn check(params: &[(String, String)], sp: &ServiceProvider, now: i64) -> Result<AuthorizationRequest, Refusal> {
    let unredirectable = |m: &str| Refusal::Unredirectable(Unredirectable(m.to_owned()));
    let Some(client) = sp.document.oidc_config.as_ref() else {
        return Err(unredirectable("client_id is not an OpenID Connect client of this community"));
    };
    let redirect_uri = single(params, "redirect_uri").map_err(|m| unredirectable(&m))?;
    // Exact match with a registered URI (RFC 9700 2.1): no prefix, no pattern.
    let redirect_uri = match redirect_uri {
        Some(u) if client.redirect_uris.iter().any(|r| r == u) => u.to_owned(),
        Some(_) => return Err(unredirectable("redirect_uri is not registered for this client")),
        None => return Err(unredirectable("redirect_uri is required")),
    };
    let state = single(params, "state").ok().flatten().map(str::to_owned);
    let refuse = |error: &'static str, description: &str| {
        Refusal::Redirected(Redirected {
            redirect_uri: redirect_uri.clone(),
            error,
            description: description.to_owned(),
            state: state.clone().filter(|s| s.len() <= MAX_PARAM),
        })
    };
    for name in [
        "response_type",
        "scope",
        "state",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "acr_values",
        "prompt",
        "response_mode",
    ] {
        single(params, name).map_err(|m| refuse("invalid_request", &m))?;
    }
    let get = |name: &str| single(params, name).ok().flatten();
    if state.as_ref().is_some_and(|s| s.len() > MAX_PARAM) {
        return Err(refuse("invalid_request", "state is too long"));
    }
    match get("response_type") {
        Some("code") => {}
        None => return Err(refuse("invalid_request", "response_type is required")),
        Some(_) => {
            return Err(refuse("unsupported_response_type", "only the authorization code flow (code) is served"));
        }
    }
    if get("response_mode").is_some_and(|m| m != "query") {
        return Err(refuse("invalid_request", "response_mode must be query"));
    }
    if !client.grant_types.iter().any(|g| g == "authorization_code") {
        return Err(refuse("unauthorized_client", "the client may not use the authorization code flow"));
    }
    let scope: Vec<String> =
        get("scope").unwrap_or_default().split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if !scope.iter().any(|s| s == "openid") {
        return Err(refuse("invalid_scope", "scope must hold openid"));
    }
    if scope.iter().any(|s| !client.scope.contains(s)) {
        return Err(refuse("invalid_scope", "scope holds a scope the client is not registered for"));
    }
    let challenge = get("code_challenge");
    match (challenge, get("code_challenge_method")) {
        (None, Some(_)) => return Err(refuse("invalid_request", "code_challenge_method without code_challenge")),
        (None, None) if client.is_public() => {
            return Err(refuse("invalid_request", "a public client must send a PKCE code_challenge (S256)"));
        }
        (Some(_), Some(m)) if m != "S256" => {
            return Err(refuse("invalid_request", "code_challenge_method must be S256"));
        }
        // Without a method, RFC 7636 means plain, which is not served.
        (Some(_), None) => return Err(refuse("invalid_request", "code_challenge_method must be S256")),
        (Some(c), _) if !is_challenge(c) => {
            return Err(refuse("invalid_request", "code_challenge must be 43 base64url characters (S256)"));
        }
        _ => {}
    }
    let nonce = get("nonce");
    let acr_values = get("acr_values");
    if nonce.is_some_and(|n| n.len() > MAX_PARAM) || acr_values.is_some_and(|a| a.len() > MAX_PARAM) {
        return Err(refuse("invalid_request", "nonce and acr_values must be at most 512 characters"));
    }
    let prompt: Vec<&str> = get("prompt").unwrap_or_default().split(' ').filter(|p| !p.is_empty()).collect();
    if prompt.contains(&"none") {
        return Err(refuse("login_required", "the user must sign in on the login page"));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(m) => {
            Some(m.parse::<u32>().map_err(|_| refuse("invalid_request", "max_age must be a number of seconds"))?)
        }
    };
    Ok(AuthorizationRequest {
        tenant_id: sp.tenant_id.clone(),
        community_id: sp.community_id.clone(),
        sp_id: sp.id.clone(),
        client_id: client.client_id.clone(),
        redirect_uri,
        scope,
        state,
        nonce: nonce.map(str::to_owned),
        code_challenge: challenge.map(str::to_owned),
        acr_values: acr_values.map(str::to_owned),
        fresh_login: sp.document.force_reauthentication || prompt.contains(&"login"),
        max_age: max_age.map(i64::from),
        created_at: now,
    })
}
