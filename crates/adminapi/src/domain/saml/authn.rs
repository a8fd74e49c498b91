//! The community as a SAML service provider of an external IdP (the External Idp group's `saml`
//! provider): the `<samlp:AuthnRequest>` that `POST /saml/samlRequest/generate` makes for the
//! IdP's SSO URL, asking for the HTTP-POST binding to the community's ACS, signed (enveloped
//! XML-DSig, RSA-SHA256, exclusive C14N) with the community's SAML key. Its id is remembered in
//! the durable ephemeral store ([`super::Idp::remember_sent`]) so that a response answers a
//! request made here, once.

use saml_rs::binding::{base64_encode, xml_escape};

use super::keys::Credential;
use super::response::{RSA_SHA256, new_id};
use crate::domain::DomainError;

const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// What a request says.
#[derive(Debug, Clone)]
pub struct AuthnRequest<'a> {
    /// The community's entity id.
    pub issuer: &'a str,
    /// The IdP's SSO URL.
    pub destination: &'a str,
    /// The community's assertion consumer service.
    pub acs_url: &'a str,
    /// Now (epoch seconds).
    pub now: i64,
}

fn signing_failed(e: saml_rs::SamlError) -> DomainError {
    DomainError::Store(kit::StoreError::Corrupt(format!("signing a SAML AuthnRequest: {e}")))
}

/// The unsigned request `id`.
pub fn xml(r: &AuthnRequest<'_>, id: &str) -> Result<String, DomainError> {
    let instant = time::OffsetDateTime::from_unix_timestamp(r.now)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .ok_or_else(|| DomainError::Invalid("a time is out of range".into()))?;
    Ok(format!(
        "<samlp:AuthnRequest xmlns:samlp=\"{PROTOCOL}\" xmlns:saml=\"{ASSERTION}\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{instant}\" Destination=\"{}\" ProtocolBinding=\"{POST}\" \
         AssertionConsumerServiceURL=\"{}\"><saml:Issuer>{}</saml:Issuer>\
         <samlp:NameIDPolicy Format=\"{UNSPECIFIED}\" AllowCreate=\"true\"/></samlp:AuthnRequest>",
        xml_escape(r.destination),
        xml_escape(r.acs_url),
        xml_escape(r.issuer),
    ))
}

/// The signed request, base64 (the `SAMLRequest` of the HTTP-POST binding), and its id.
pub fn signed(r: &AuthnRequest<'_>, credential: &Credential) -> Result<(String, String), DomainError> {
    let id = new_id();
    let unsigned = xml(r, &id)?;
    let key = saml_rs::crypto::keys::load_private_key(&credential.key_pem, None).map_err(signing_failed)?;
    let transforms: [String; 0] = [];
    let xml = saml_rs::crypto::construct_saml_signature(
        &unsigned,
        true,
        &key,
        &credential.certificate_pem,
        RSA_SHA256,
        &transforms,
        None,
    )
    .map_err(signing_failed)?;
    Ok((id, base64_encode(xml.as_bytes())))
}
