//! Single logout at the community's IdP (its metadata's `SingleLogoutService`): a service
//! provider's `<samlp:LogoutRequest>` (HTTP-Redirect: query, detached signature; HTTP-POST:
//! form, enveloped signature) is checked by `saml-rs` against the provider's registered
//! configuration (issuer; signature with its `signingCert`, required when it has
//! `logoutRequestSignRequired`; `NotOnOrAfter`), then here: `Destination` (this endpoint), a
//! recent `IssueInstant`. Its `SessionIndex`es name the login sessions to end
//! ([`super::Idp::session_index`]). The answer is a `<samlp:LogoutResponse>` signed with the
//! community's key over the HTTP-Redirect binding, for the provider's `SingleLogoutService`
//! when its metadata names one.

use saml_rs::constants::Binding;
use saml_rs::flow::HttpRequest;
use saml_rs::metadata::{Endpoint, IdpMetadataConfig, SpMetadata, SpMetadataConfig};
use saml_rs::{EntitySetting, IdentityProvider, LogoutRequest, ServiceProvider as RawSp};

use super::keys::Credential;
use super::request::{Incoming, MAX_AGE, raw_sp};
use super::response::RSA_SHA256;
use crate::domain::DomainError;
use crate::domain::service_providers::ServiceProvider;
use crate::domain::service_providers::featured::metadata_xml;

/// The community's IdP, as the logout sees it.
#[derive(Debug, Clone)]
pub struct IdpLogout<'a> {
    pub entity_id: &'a str,
    /// The `SingleSignOnService` location.
    pub sso_url: &'a str,
    /// The `SingleLogoutService` location (the request's `Destination`).
    pub slo_url: &'a str,
}

/// A checked logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// Its `ID` (the response's `InResponseTo`).
    pub request_id: String,
    /// The sessions it ends.
    pub session_indexes: Vec<String>,
    pub relay_state: Option<String>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// Checks `incoming` as a logout request of `sp` to `idp` at `now`.
pub fn check(idp: &IdpLogout<'_>, sp: &ServiceProvider, incoming: &Incoming, now: i64) -> Result<Checked, DomainError> {
    let config =
        sp.document.saml_config.as_ref().ok_or_else(|| invalid("the issuer is not a SAML service provider"))?;
    let mut setting = EntitySetting::default();
    setting.want_logout_request_signed = config.logout_request_sign_required;
    let (binding, request) = match incoming {
        Incoming::Redirect { pairs, raw_query } => {
            let signed = pairs.iter().any(|(k, _)| k == "Signature");
            if config.logout_request_sign_required && !signed {
                return Err(invalid("the service provider must sign its LogoutRequest (Signature and SigAlg)"));
            }
            let octet_string = if signed { Incoming::octets(raw_query) } else { None };
            (Binding::Redirect, HttpRequest { query: pairs.clone(), body: Vec::new(), octet_string })
        }
        Incoming::Post { pairs } => (Binding::Post, HttpRequest::post(pairs.clone())),
    };
    let sp_meta = raw_sp(config)?.metadata;
    let flow = saml_rs::logout::parse_logout_request(&setting, &sp_meta, binding, &request).map_err(|_| {
        tracing::debug!("LogoutRequest refused by the SAML parser (format, issuer, signature or NotOnOrAfter)");
        invalid("the LogoutRequest is not valid for this service provider (format, issuer, signature or expiry)")
    })?;
    let logout = LogoutRequest::try_from(flow).map_err(|_| invalid("the LogoutRequest lacks ID or IssueInstant"))?;
    if let Some(destination) = logout.destination()
        && destination.as_str() != idp.slo_url
    {
        return Err(invalid("Destination is not this community's single logout endpoint"));
    }
    let issued =
        time::OffsetDateTime::parse(logout.issue_instant().as_str(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| invalid("the LogoutRequest's IssueInstant must be an xs:dateTime in UTC"))?
            .unix_timestamp();
    if (now - issued).abs() > MAX_AGE {
        return Err(invalid("the LogoutRequest's IssueInstant is too old or in the future"));
    }
    let id = logout.id().as_str();
    if id.is_empty() || id.len() > 256 || id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(invalid("the LogoutRequest's ID must be 1 to 256 printable characters"));
    }
    Ok(Checked {
        request_id: id.to_owned(),
        session_indexes: logout.session_indexes().iter().map(|s| s.as_str().to_owned()).collect(),
        relay_state: incoming.relay_state()?,
    })
}

/// The provider's `SingleLogoutService` for the HTTP-Redirect binding, from its metadata.
pub fn sp_slo_url(sp: &ServiceProvider) -> Option<String> {
    let raw = sp.document.saml_config.as_ref()?.metadata.as_deref()?;
    let metadata = SpMetadata::from_xml(&metadata_xml(raw)?).ok()?;
    metadata
        .get_single_logout_service(Binding::Redirect)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
}

fn signing_failed(e: saml_rs::SamlError) -> DomainError {
    DomainError::Store(kit::StoreError::Corrupt(format!("signing a SAML LogoutResponse: {e}")))
}

/// The signed `LogoutResponse` (status Success) to `request`, as the URL of the provider's
/// `SingleLogoutService` `sp_slo_url` carrying it (HTTP-Redirect binding).
pub fn response_url(
    idp: &IdpLogout<'_>,
    credential: &Credential,
    sp: &ServiceProvider,
    sp_slo_url: &str,
    request: &Checked,
) -> Result<String, DomainError> {
    let config =
        sp.document.saml_config.as_ref().ok_or_else(|| invalid("the issuer is not a SAML service provider"))?;
    let mut setting = EntitySetting::default();
    setting.private_key = Some(credential.key_pem.to_string());
    setting.signing_cert = Some(credential.certificate_pem.clone());
    setting.request_signature_algorithm = RSA_SHA256.to_owned();
    let own = IdentityProvider::from_config(
        &IdpMetadataConfig {
            entity_id: idp.entity_id.to_owned(),
            signing_certs: vec![credential.certificate_pem.clone()],
            single_sign_on_service: vec![Endpoint::new(Binding::Redirect, idp.sso_url.to_owned())],
            single_logout_service: vec![Endpoint::new(Binding::Redirect, idp.slo_url.to_owned())],
            ..IdpMetadataConfig::default()
        },
        setting.clone(),
    )
    .map_err(signing_failed)?;
    let target = RawSp::from_config(
        &SpMetadataConfig {
            entity_id: config.entity_id.clone(),
            single_logout_service: vec![Endpoint::new(Binding::Redirect, sp_slo_url.to_owned())],
            assertion_consumer_service: vec![Endpoint::new(
                Binding::Post,
                config.assertion_consumer_service_url.clone(),
            )],
            ..SpMetadataConfig::default()
        },
        EntitySetting::default(),
    )
    .map_err(signing_failed)?;
    let context = saml_rs::logout::create_logout_response(
        &setting,
        &own.metadata,
        &target.metadata,
        Binding::Redirect,
        Some(&request.request_id),
        request.relay_state.as_deref(),
        true,
    )
    .map_err(signing_failed)?;
    Ok(context.context)
}
