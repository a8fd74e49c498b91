//! An SP-initiated `AuthnRequest` checked for one of the community's SAML service providers:
//! decoded (HTTP-Redirect: base64 and DEFLATE; HTTP-POST: base64), its issuer read to find the
//! provider, then parsed and verified by `saml-rs` against the provider's configuration (the
//! signature against its registered certificate when it requires signed requests: the detached
//! query signature of HTTP-Redirect over the octets as received, the enveloped XML signature of
//! HTTP-POST). The requested assertion consumer service must be the registered one, the binding
//! HTTP-POST, the request recent.

use saml_rs::constants::Binding;
use saml_rs::flow::HttpRequest;
use saml_rs::metadata::{Endpoint, IdpMetadataConfig, SpMetadataConfig};
use saml_rs::{EntitySetting, IdentityProvider, ServiceProvider as RawSp};
use serde::{Deserialize, Serialize};

use crate::domain::DomainError;
use crate::domain::service_providers::{SamlConfig, ServiceProvider};

/// The largest encoded `SAMLRequest` accepted, in bytes.
pub const MAX_ENCODED: usize = 64 * 1024;
/// The largest decoded request, in bytes.
const MAX_DECODED: usize = 256 * 1024;
/// The longest `RelayState` (SAML bindings 3.4.3 and 3.5.3: 80 bytes; some providers send
/// more, so up to 1 KiB is taken).
pub const MAX_RELAY_STATE: usize = 1024;
/// How far a request's `IssueInstant` may be from now (seconds).
pub const MAX_AGE: i64 = 600;

/// How an `AuthnRequest` arrived.
#[derive(Debug, Clone)]
pub enum Incoming {
    /// HTTP-Redirect: the query's pairs (decoded) and the query string as received (for the
    /// detached signature).
    Redirect { pairs: Vec<(String, String)>, raw_query: String },
    /// HTTP-POST: the form's pairs.
    Post { pairs: Vec<(String, String)> },
}

impl Incoming {
    fn pairs(&self) -> &[(String, String)] {
        match self {
            Self::Redirect { pairs, .. } | Self::Post { pairs } => pairs,
        }
    }

    /// The one value of `name` (a repeated parameter is refused).
    pub fn single(&self, name: &str) -> Result<Option<&str>, DomainError> {
        let mut found = self.pairs().iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
        let first = found.next();
        if found.next().is_some() {
            return Err(DomainError::Invalid(format!("{name} must not be repeated")));
        }
        Ok(first)
    }

    /// The relay state, checked.
    pub fn relay_state(&self) -> Result<Option<String>, DomainError> {
        match self.single("RelayState")? {
            Some(r) if r.len() > MAX_RELAY_STATE => {
                Err(DomainError::Invalid(format!("RelayState must be at most {MAX_RELAY_STATE} bytes")))
            }
            Some(r) if r.chars().any(char::is_control) => {
                Err(DomainError::Invalid("RelayState must not hold control characters".into()))
            }
            Some(r) if !r.is_empty() => Ok(Some(r.to_owned())),
            _ => Ok(None),
        }
    }

    /// The encoded request.
    fn saml_request(&self) -> Result<&str, DomainError> {
        match self.single("SAMLRequest")? {
            Some(r) if !r.is_empty() && r.len() <= MAX_ENCODED => Ok(r),
            Some(r) if !r.is_empty() => {
                Err(DomainError::Invalid(format!("SAMLRequest must be at most {MAX_ENCODED} bytes")))
            }
            _ => Err(DomainError::Invalid("SAMLRequest is required".into())),
        }
    }

    /// The signed octets of HTTP-Redirect (SAML bindings 3.4.4.1): `SAMLRequest`, `RelayState`
    /// when present and `SigAlg`, as URL-encoded in the query received.
    pub(crate) fn octets(raw_query: &str) -> Option<String> {
        let raw = |name: &str| raw_query.split('&').find(|p| p.split('=').next() == Some(name)).map(str::to_owned);
        let parts: Vec<String> =
            [raw("SAMLRequest")?].into_iter().chain(raw("RelayState")).chain([raw("SigAlg")?]).collect();
        Some(parts.join("&"))
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// The decoded XML of a request.
fn decode(incoming: &Incoming) -> Result<String, DomainError> {
    let encoded: String = incoming.saml_request()?.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = saml_rs::binding::base64_decode_with_limit(&encoded, MAX_DECODED)
        .map_err(|_| invalid("SAMLRequest must be base64"))?;
    let xml = match incoming {
        Incoming::Redirect { .. } => saml_rs::binding::deflate_raw_decode_with_limit(&bytes, MAX_DECODED)
            .map_err(|_| invalid("SAMLRequest must be DEFLATE-compressed (HTTP-Redirect binding)"))?,
        Incoming::Post { .. } => bytes,
    };
    String::from_utf8(xml).map_err(|_| invalid("SAMLRequest must be UTF-8 XML"))
}

/// The issuer (the service provider's entity id) an `AuthnRequest` names, before any check.
pub fn issuer(incoming: &Incoming) -> Result<String, DomainError> {
    issuer_of(incoming, "AuthnRequest")
}

/// The issuer a request whose element is `kind` (`AuthnRequest`, `LogoutRequest`) names,
/// before any check.
pub fn issuer_of(incoming: &Incoming, kind: &str) -> Result<String, DomainError> {
    let xml = decode(incoming)?;
    let doc = saml_rs::xml::dom::parse(&xml).map_err(|_| invalid("SAMLRequest is not well-formed XML"))?;
    if doc.root.local_name != kind {
        return Err(invalid(format!("SAMLRequest must be a samlp:{kind}")));
    }
    let issuer = doc.root.children.iter().find(|c| c.local_name == "Issuer").map(|c| c.text.trim().to_owned());
    issuer.filter(|i| !i.is_empty() && i.len() <= 1024).ok_or_else(|| invalid(format!("the {kind} has no Issuer")))
}

/// A checked request, pending until the user signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub tenant_id: String,
    pub community_id: String,
    pub community_name: String,
    /// The service provider's id.
    pub sp_id: String,
    /// The request's `ID` (the response's `InResponseTo`).
    pub request_id: String,
    /// The IdP's entity id the request reached.
    pub idp_entity_id: String,
    /// Where the response goes (the registered assertion consumer service).
    pub acs_url: String,
    #[serde(default)]
    pub relay_state: Option<String>,
    /// The provider asked for a fresh login (`ForceAuthn`), or always does.
    #[serde(default)]
    pub force_authn: bool,
    /// Epoch seconds.
    pub created_at: i64,
}

/// The IdP a request reached.
#[derive(Debug, Clone)]
pub struct IdpEndpoints {
    pub entity_id: String,
    /// The `SingleSignOnService` location.
    pub sso_url: String,
}

/// The `saml-rs` view of the provider, as its registered configuration describes it.
pub fn raw_sp(config: &SamlConfig) -> Result<RawSp, DomainError> {
    let metadata = SpMetadataConfig {
        entity_id: config.entity_id.clone(),
        signing_certs: config.signing_cert.iter().cloned().collect(),
        authn_requests_signed: config.auth_request_sign_required,
        want_assertions_signed: true,
        assertion_consumer_service: vec![Endpoint::new(Binding::Post, config.assertion_consumer_service_url.clone())],
        ..SpMetadataConfig::default()
    };
    RawSp::from_config(&metadata, EntitySetting::default())
        .map_err(|_| invalid("the service provider's SAML configuration cannot be used (entityId, signingCert)"))
}

/// Checks `incoming` as a request of `sp` (whose issuer it names) to `idp` at `now`.
pub fn check(
    idp: &IdpEndpoints,
    sp: &ServiceProvider,
    community_name: &str,
    incoming: &Incoming,
    force_authn: bool,
    now: i64,
) -> Result<PendingRequest, DomainError> {
    let config =
        sp.document.saml_config.as_ref().ok_or_else(|| invalid("the issuer is not a SAML service provider"))?;
    let raw_idp = IdentityProvider::from_config(
        &IdpMetadataConfig {
            entity_id: idp.entity_id.clone(),
            want_authn_requests_signed: config.auth_request_sign_required,
            single_sign_on_service: vec![
                Endpoint::new(Binding::Redirect, idp.sso_url.clone()),
                Endpoint::new(Binding::Post, idp.sso_url.clone()),
            ],
            ..IdpMetadataConfig::default()
        },
        EntitySetting::default(),
    )
    .map_err(|_| invalid("the community's SAML IdP cannot be described"))?;
    let (binding, request) = match incoming {
        Incoming::Redirect { pairs, raw_query } => {
            let signed = pairs.iter().any(|(k, _)| k == "Signature");
            if config.auth_request_sign_required && !signed {
                return Err(invalid("the service provider must sign its AuthnRequest (Signature and SigAlg)"));
            }
            let octet_string = if signed { Incoming::octets(raw_query) } else { None };
            (Binding::Redirect, HttpRequest { query: pairs.clone(), body: Vec::new(), octet_string })
        }
        Incoming::Post { pairs } => (Binding::Post, HttpRequest::post(pairs.clone())),
    };
    // saml-rs's error text may quote the request: not logged.
    let flow = raw_idp.parse_login_request(&raw_sp(config)?, binding, &request).map_err(|_| {
        tracing::debug!("AuthnRequest refused by the SAML parser (format, issuer or signature)");
        invalid("the AuthnRequest is not valid for this service provider (format, issuer or signature)")
    })?;
    let authn =
        saml_rs::AuthnRequest::try_from(flow).map_err(|_| invalid("the AuthnRequest lacks ID or IssueInstant"))?;
    if let Some(acs) = authn.acs_url()
        && acs.as_str() != config.assertion_consumer_service_url
    {
        return Err(invalid("AssertionConsumerServiceURL is not the one registered for the service provider"));
    }
    if authn.protocol_binding().is_some_and(|b| b.as_binding() != Binding::Post) {
        return Err(invalid("ProtocolBinding must be HTTP-POST"));
    }
    if let Some(destination) = authn.destination()
        && !destination_matches(destination.as_str(), community_name)
    {
        return Err(invalid("Destination is not this community's SSO endpoint"));
    }
    let issued =
        time::OffsetDateTime::parse(authn.issue_instant().as_str(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| invalid("the AuthnRequest's IssueInstant must be an xs:dateTime in UTC"))?
            .unix_timestamp();
    if (now - issued).abs() > MAX_AGE {
        return Err(invalid("the AuthnRequest's IssueInstant is too old or in the future"));
    }
    let id = authn.id().as_str();
    if id.is_empty() || id.len() > 256 || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("the AuthnRequest's ID must be 1 to 256 printable characters"));
    }
    let requested_fresh = authn.force_authn() == Some(saml_rs::model::ForceAuthn::Required);
    Ok(PendingRequest {
        tenant_id: sp.tenant_id.clone(),
        community_id: sp.community_id.clone(),
        community_name: community_name.to_owned(),
        sp_id: sp.id.clone(),
        request_id: id.to_owned(),
        idp_entity_id: idp.entity_id.clone(),
        acs_url: config.assertion_consumer_service_url.clone(),
        relay_state: incoming.relay_state()?,
        force_authn: force_authn || requested_fresh || sp.document.force_reauthentication,
        created_at: now,
    })
}

/// Whether `destination` is the SSO endpoint of the community `name` (whatever the host the
/// provider knows adminapi by).
fn destination_matches(destination: &str, name: &str) -> bool {
    url::Url::parse(destination).is_ok_and(|u| {
        let segments: Vec<String> = u
            .path_segments()
            .map(|s| {
                s.map(|p| url::form_urlencoded::parse(p.as_bytes()).map(|(k, _)| k.into_owned()).collect()).collect()
            })
            .unwrap_or_default();
        segments.len() >= 3
            && segments[segments.len() - 3..] == ["community".to_owned(), name.to_owned(), "sso".to_owned()]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_octets_are_taken_as_received_in_the_binding_order() {
        let q = "SigAlg=http%3A%2F%2Fa&Signature=x&SAMLRequest=abc%2B&RelayState=r%20s";
        assert_eq!(Incoming::octets(q).unwrap(), "SAMLRequest=abc%2B&RelayState=r%20s&SigAlg=http%3A%2F%2Fa");
        assert_eq!(Incoming::octets("SAMLRequest=a&SigAlg=b").unwrap(), "SAMLRequest=a&SigAlg=b");
        assert!(Incoming::octets("SAMLRequest=a").is_none());
    }

    #[test]
    fn a_destination_names_the_community_sso_endpoint() {
        assert!(destination_matches("https://idp.example.com/adminapi/community/default/sso", "default"));
        assert!(destination_matches("http://127.0.0.1:9/community/default/sso?x=1", "default"));
        assert!(!destination_matches("https://idp.example.com/community/other/sso", "default"));
        assert!(!destination_matches("not a url", "default"));
    }
}
