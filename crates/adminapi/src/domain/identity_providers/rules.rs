//! The rules of an identity provider's fields: what a SAML or an OpenID Connect provider needs
//! (URLs, a PEM certificate that parses, a client id and secret), checked before anything is
//! stored. Messages name the field and what was expected, never its value.

use serde::Deserialize;
use utoipa::ToSchema;
use zeroize::Zeroizing;

use super::Provider;
use crate::domain::DomainError;

/// The provider types, each at most once per community and kind.
pub const TYPES: [&str; 2] = ["saml", "oidc"];
const SAML_ONLY: [&str; 4] = ["entityId", "ssoUrl", "sloUrl", "certificate"];
const OIDC_ONLY: [&str; 7] =
    ["issuer", "clientId", "clientSecret", "authorizationUrl", "tokenUrl", "userinfoUrl", "jwksUrl"];

/// The body of a `PUT` (every required field) or a `PATCH` (the fields to change): the
/// community (default: the session's) and the provider's fields. A field of the other type is
/// refused.
#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderInput {
    pub tenant_id: Option<String>,
    pub community_id: Option<String>,
    /// `saml` or `oidc`: one provider of each type per community.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// 1 to 100 characters.
    pub name: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Whether a user unknown to the community is created at first login (default false).
    pub provision_users: Option<bool>,
    /// The attribute carrying the e-mail address (default: the name id).
    pub email_attribute: Option<String>,
    /// SAML: the provider's entity id (at most 1024 characters).
    pub entity_id: Option<String>,
    /// SAML: where AuthnRequests are sent (http(s) URL).
    pub sso_url: Option<String>,
    /// SAML: where LogoutRequests are sent (http(s) URL, optional).
    pub slo_url: Option<String>,
    /// SAML: the provider's signing certificate (PEM).
    pub certificate: Option<String>,
    /// OIDC: the issuer (http(s) URL).
    pub issuer: Option<String>,
    /// OIDC: 1 to 256 characters.
    pub client_id: Option<String>,
    /// OIDC: 8 to 512 characters; sealed, never answered; required when the provider has none.
    pub client_secret: Option<String>,
    /// OIDC: http(s) URL.
    pub authorization_url: Option<String>,
    /// OIDC: http(s) URL.
    pub token_url: Option<String>,
    /// OIDC: http(s) URL (optional).
    pub userinfo_url: Option<String>,
    /// OIDC: http(s) URL (optional).
    pub jwks_url: Option<String>,
    /// OIDC: the scopes asked (default `openid email profile`); must include `openid`.
    pub scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for ProviderInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderInput")
            .field("kind", &self.kind)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl ProviderInput {
    /// The names of the fields given, as the API spells them.
    fn given(&self) -> Vec<&'static str> {
        let opts: [(&'static str, bool); 11] = [
            ("entityId", self.entity_id.is_some()),
            ("ssoUrl", self.sso_url.is_some()),
            ("sloUrl", self.slo_url.is_some()),
            ("certificate", self.certificate.is_some()),
            ("issuer", self.issuer.is_some()),
            ("clientId", self.client_id.is_some()),
            ("clientSecret", self.client_secret.is_some()),
            ("authorizationUrl", self.authorization_url.is_some()),
            ("tokenUrl", self.token_url.is_some()),
            ("userinfoUrl", self.userinfo_url.is_some()),
            ("jwksUrl", self.jwks_url.is_some()),
        ];
        opts.into_iter().filter(|(_, g)| *g).map(|(n, _)| n).collect()
    }

    /// `self` over `base`: each field given replaces the base's (a `PATCH`).
    pub(super) fn over(self, base: &Provider) -> Self {
        if self.kind.as_ref().is_some_and(|k| *k != base.kind) {
            // Another type: nothing of the old one's fields but the common ones.
            let common = Provider { kind: base.kind.clone(), name: base.name.clone(), ..Provider::default() };
            let kind = self.kind.clone();
            return Self { kind, ..Self { kind: None, ..self }.over(&common) };
        }
        let keep = |given: Option<String>, old: &Option<String>| given.or_else(|| old.clone());
        Self {
            tenant_id: self.tenant_id,
            community_id: self.community_id,
            kind: self.kind.or_else(|| Some(base.kind.clone())),
            name: self.name.or_else(|| Some(base.name.clone())),
            enabled: self.enabled.or(Some(base.enabled)),
            provision_users: self.provision_users.or(Some(base.provision_users)),
            email_attribute: keep(self.email_attribute, &base.email_attribute),
            entity_id: keep(self.entity_id, &base.entity_id),
            sso_url: keep(self.sso_url, &base.sso_url),
            slo_url: keep(self.slo_url, &base.slo_url),
            certificate: keep(self.certificate, &base.certificate),
            issuer: keep(self.issuer, &base.issuer),
            client_id: keep(self.client_id, &base.client_id),
            client_secret: self.client_secret,
            authorization_url: keep(self.authorization_url, &base.authorization_url),
            token_url: keep(self.token_url, &base.token_url),
            userinfo_url: keep(self.userinfo_url, &base.userinfo_url),
            jwks_url: keep(self.jwks_url, &base.jwks_url),
            scopes: self.scopes.or_else(|| base.scopes.clone()),
        }
    }
}

/// A checked input: the provider's fields and the client secret to seal.
pub(super) struct Valid {
    pub provider: Provider,
    pub client_secret: Option<Zeroizing<String>>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

fn sized(field: &str, value: &str, min: usize, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    let n = v.chars().count();
    if n < min || n > max || v.chars().any(char::is_control) {
        return Err(invalid(format!("{field} must be {min} to {max} characters")));
    }
    Ok(v.to_owned())
}

fn required(field: &str, value: Option<&String>, kind: &str) -> Result<String, DomainError> {
    value.ok_or_else(|| invalid(format!("{field} is required for a {kind} provider"))).cloned()
}

fn url(field: &str, value: &str) -> Result<String, DomainError> {
    match reqwest::Url::parse(value.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() && value.len() <= 2048 => {
            Ok(value.trim().to_owned())
        }
        _ => Err(invalid(format!("{field} must be an http(s) URL"))),
    }
}

fn optional_url(field: &str, value: Option<&String>) -> Result<Option<String>, DomainError> {
    value.filter(|v| !v.trim().is_empty()).map(|v| url(field, v)).transpose()
}

/// A PEM certificate that parses as X.509, normalized.
pub fn certificate(field: &str, value: &str) -> Result<String, DomainError> {
    let bad = || invalid(format!("{field} must be a PEM X.509 certificate"));
    let text = value.trim();
    if text.len() > 64 * 1024 {
        return Err(bad());
    }
    let (rest, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes()).map_err(|_| bad())?;
    if pem.label != "CERTIFICATE" || !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(bad());
    }
    pem.parse_x509().map_err(|_| bad())?;
    Ok(text.to_owned())
}

/// Checks a complete input (`has_secret`: whether the provider already holds a client secret)
/// and makes the provider's fields (ids and bookkeeping left default).
pub(super) fn validate(input: ProviderInput, has_secret: bool) -> Result<Valid, DomainError> {
    let kind = input.kind.clone().ok_or_else(|| invalid("type is required"))?;
    if !TYPES.contains(&kind.as_str()) {
        return Err(invalid(format!("type must be one of {}", TYPES.join(", "))));
    }
    let name = sized("name", input.name.as_deref().ok_or_else(|| invalid("name is required"))?, 1, 100)?;
    let other: &[&str] = if kind == "saml" { &OIDC_ONLY } else { &SAML_ONLY };
    if let Some(field) = input.given().into_iter().find(|f| other.contains(f)) {
        return Err(invalid(format!("{field} is not a field of a {kind} provider")));
    }
    let email_attribute =
        input.email_attribute.as_deref().filter(|v| !v.trim().is_empty()).map(|v| sized("emailAttribute", v, 1, 256));
    let mut provider = Provider {
        kind: kind.clone(),
        name,
        enabled: input.enabled.unwrap_or(true),
        provision_users: input.provision_users.unwrap_or(false),
        email_attribute: email_attribute.transpose()?,
        ..Provider::default()
    };
    let mut client_secret = None;
    if kind == "saml" {
        provider.entity_id = Some(sized("entityId", &required("entityId", input.entity_id.as_ref(), &kind)?, 1, 1024)?);
        provider.sso_url = Some(url("ssoUrl", &required("ssoUrl", input.sso_url.as_ref(), &kind)?)?);
        provider.slo_url = optional_url("sloUrl", input.slo_url.as_ref())?;
        provider.certificate =
            Some(certificate("certificate", &required("certificate", input.certificate.as_ref(), &kind)?)?);
    } else {
        provider.issuer = Some(url("issuer", &required("issuer", input.issuer.as_ref(), &kind)?)?);
        provider.client_id = Some(sized("clientId", &required("clientId", input.client_id.as_ref(), &kind)?, 1, 256)?);
        provider.authorization_url =
            Some(url("authorizationUrl", &required("authorizationUrl", input.authorization_url.as_ref(), &kind)?)?);
        provider.token_url = Some(url("tokenUrl", &required("tokenUrl", input.token_url.as_ref(), &kind)?)?);
        provider.userinfo_url = optional_url("userinfoUrl", input.userinfo_url.as_ref())?;
        provider.jwks_url = optional_url("jwksUrl", input.jwks_url.as_ref())?;
        let scopes = input.scopes.unwrap_or_else(|| ["openid", "email", "profile"].map(String::from).to_vec());
        let token = |s: &String| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic() && b != b'"');
        if !scopes.iter().all(token) || !scopes.iter().any(|s| s == "openid") || scopes.len() > 32 {
            return Err(invalid("scopes must be up to 32 scope tokens including openid"));
        }
        provider.scopes = Some(scopes);
        match input.client_secret {
            Some(s) => {
                let n = s.chars().count();
                if !(8..=512).contains(&n) || s.chars().any(char::is_control) {
                    return Err(invalid("clientSecret must be 8 to 512 characters"));
                }
                client_secret = Some(Zeroizing::new(s));
            }
            None if !has_secret => return Err(invalid("clientSecret is required for an oidc provider")),
            None => {}
        }
    }
    Ok(Valid { provider, client_secret })
}
