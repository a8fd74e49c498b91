//! The signed `<samlp:Response>` of a login: one assertion (issuer, subject with the name id and
//! a bearer confirmation for the assertion consumer service, conditions with the audience and
//! `NotOnOrAfter`, the authentication statement, the provider's attributes), the assertion signed
//! then the response signed (enveloped XML-DSig, RSA-SHA256, exclusive C14N, by `saml-rs`).
//! The XML is written here so that every value is escaped once and the shape is the SAML Web
//! Browser SSO profile's.

use saml_rs::binding::{base64_encode, xml_escape};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::keys::Credential;
use crate::domain::DomainError;

/// The signature algorithm of responses and assertions.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const PASSWORD_PROTECTED: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
const BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

/// What an assertion says.
#[derive(Debug, Clone)]
pub struct Assertion<'a> {
    /// The IdP's entity id.
    pub issuer: &'a str,
    /// The service provider's entity id (the audience).
    pub audience: &'a str,
    /// The assertion consumer service (`Destination`, `Recipient`).
    pub acs_url: &'a str,
    /// The request answered (none for an IdP-initiated login).
    pub in_response_to: Option<&'a str>,
    pub name_id: &'a str,
    /// The name id format's URN.
    pub name_id_format: &'a str,
    /// `(name, values)`.
    pub attributes: &'a [(String, Vec<String>)],
    /// When the user signed in (epoch seconds).
    pub authn_instant: i64,
    /// Now (epoch seconds).
    pub now: i64,
    /// How long the assertion may be used (seconds).
    pub lifetime: i64,
    /// The `SessionIndex` naming the login session (default: the assertion's id).
    pub session_index: Option<&'a str>,
}

fn instant(t: i64) -> Result<String, DomainError> {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| DomainError::Invalid("a time is out of range".into()))
}

/// A new message or assertion id: `_` and 32 hex digits (an xs:ID).
pub fn new_id() -> String {
    format!("_{}", uuid::Uuid::new_v4().simple())
}

/// The unsigned assertion `id` (standalone: it declares its namespace, so that it may be signed
/// alone and embedded, exclusive C14N keeping its signature valid).
pub fn assertion_xml(a: &Assertion<'_>, id: &str) -> Result<String, DomainError> {
    let e = |s: &str| xml_escape(s);
    let now = instant(a.now)?;
    let not_before = instant(a.now.saturating_sub(60))?;
    let not_on_or_after = instant(a.now.saturating_add(a.lifetime))?;
    let authn_instant = instant(a.authn_instant.min(a.now))?;
    let in_response_to = a.in_response_to.map(|i| format!(" InResponseTo=\"{}\"", e(i))).unwrap_or_default();
    let mut attributes = String::new();
    if !a.attributes.is_empty() {
        attributes.push_str("<saml:AttributeStatement>");
        for (name, values) in a.attributes {
            attributes.push_str(&format!("<saml:Attribute Name=\"{}\" NameFormat=\"{BASIC}\">", e(name)));
            for v in values {
                attributes.push_str(&format!("<saml:AttributeValue>{}</saml:AttributeValue>", e(v)));
            }
            attributes.push_str("</saml:Attribute>");
        }
        attributes.push_str("</saml:AttributeStatement>");
    }
    Ok(format!(
        "<saml:Assertion xmlns:saml=\"{ASSERTION}\" ID=\"{id}\" Version=\"2.0\" IssueInstant=\"{now}\">\
         <saml:Issuer>{issuer}</saml:Issuer>\
         <saml:Subject><saml:NameID Format=\"{format}\">{name_id}</saml:NameID>\
         <saml:SubjectConfirmation Method=\"{BEARER}\"><saml:SubjectConfirmationData NotOnOrAfter=\"{not_on_or_after}\" \
         Recipient=\"{acs}\"{in_response_to}/></saml:SubjectConfirmation></saml:Subject>\
         <saml:Conditions NotBefore=\"{not_before}\" NotOnOrAfter=\"{not_on_or_after}\">\
         <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>\
         <saml:AuthnStatement AuthnInstant=\"{authn_instant}\" SessionIndex=\"{session_index}\">\
         <saml:AuthnContext><saml:AuthnContextClassRef>{PASSWORD_PROTECTED}</saml:AuthnContextClassRef>\
         </saml:AuthnContext></saml:AuthnStatement>{attributes}</saml:Assertion>",
        acs = e(a.acs_url),
        issuer = e(a.issuer),
        format = e(a.name_id_format),
        name_id = e(a.name_id),
        audience = e(a.audience),
        session_index = e(a.session_index.unwrap_or(id)),
    ))
}

/// The unsigned response: its id, its assertion's id and the XML.
pub fn render(a: &Assertion<'_>) -> Result<(String, String, String), DomainError> {
    let e = |s: &str| xml_escape(s);
    let (response_id, assertion_id) = (new_id(), new_id());
    let now = instant(a.now)?;
    let in_response_to = a.in_response_to.map(|i| format!(" InResponseTo=\"{}\"", e(i))).unwrap_or_default();
    let assertion = assertion_xml(a, &assertion_id)?;
    let xml = format!(
        "<samlp:Response xmlns:samlp=\"{PROTOCOL}\" xmlns:saml=\"{ASSERTION}\" ID=\"{response_id}\" Version=\"2.0\" \
         IssueInstant=\"{now}\" Destination=\"{acs}\"{in_response_to}>\
         <saml:Issuer>{issuer}</saml:Issuer>\
         <samlp:Status><samlp:StatusCode Value=\"{SUCCESS}\"/></samlp:Status>{assertion}</samlp:Response>",
        acs = e(a.acs_url),
        issuer = e(a.issuer),
    );
    Ok((response_id, assertion_id, xml))
}

/// The standalone assertion signed by `credential`.
pub fn signed_assertion(a: &Assertion<'_>, credential: &Credential) -> Result<String, DomainError> {
    let xml = assertion_xml(a, &new_id())?;
    let key = saml_rs::crypto::keys::load_private_key(&credential.key_pem, None).map_err(signing_failed)?;
    let transforms: [String; 0] = [];
    saml_rs::crypto::construct_saml_signature(
        &xml,
        false,
        &key,
        &credential.certificate_pem,
        RSA_SHA256,
        &transforms,
        None,
    )
    .map_err(signing_failed)
}

fn signing_failed(e: saml_rs::SamlError) -> DomainError {
    DomainError::Store(kit::StoreError::Corrupt(format!("signing a SAML response: {e}")))
}

/// `xml` with its assertion signed, then the response signed, by `credential`.
pub fn sign(xml: &str, credential: &Credential) -> Result<String, DomainError> {
    let key = saml_rs::crypto::keys::load_private_key(&credential.key_pem, None).map_err(signing_failed)?;
    let cert = &credential.certificate_pem;
    let transforms: [String; 0] = [];
    let signed = saml_rs::crypto::construct_saml_signature(xml, false, &key, cert, RSA_SHA256, &transforms, None)
        .map_err(signing_failed)?;
    saml_rs::crypto::construct_saml_signature(&signed, true, &key, cert, RSA_SHA256, &transforms, None)
        .map_err(signing_failed)
}

/// The signed response, base64 (the `SAMLResponse` of the HTTP-POST binding), and its id.
pub fn signed_response(a: &Assertion<'_>, credential: &Credential) -> Result<(String, String), DomainError> {
    let (id, _, xml) = render(a)?;
    Ok((id, base64_encode(sign(&xml, credential)?.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kit::sealer::Sealer;

    #[test]
    fn a_response_is_signed_twice_and_escapes_its_values() {
        let sealer = Sealer::from_key(&[5; 32]);
        let record = super::super::keys::generate(&sealer, "t", "c", "default", 1_700_000_000).unwrap();
        let credential = super::super::keys::open(&sealer, &record).unwrap();
        let attributes = vec![("mail".to_owned(), vec!["a<b>&\"c\"@example.com".to_owned()])];
        let a = Assertion {
            issuer: "https://idp.example.com/metadata",
            audience: "https://sp.example.com",
            acs_url: "https://sp.example.com/acs?x=1&y=2",
            in_response_to: Some("_req1"),
            name_id: "carol@example.com",
            name_id_format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            attributes: &attributes,
            authn_instant: 1_700_000_000,
            now: 1_700_000_010,
            lifetime: 300,
            session_index: Some("_s1"),
        };
        let (_, _, xml) = render(&a).unwrap();
        assert!(xml.contains("a&lt;b&gt;&amp;&quot;c&quot;@example.com"), "{xml}");
        assert!(xml.contains("NotOnOrAfter=\"2023-11-14T22:18:30Z\""), "{xml}");
        assert!(xml.contains("SessionIndex=\"_s1\""), "{xml}");
        let signed = sign(&xml, &credential).unwrap();
        assert_eq!(signed.matches("<ds:SignatureValue>").count(), 2, "{signed}");
        saml_rs::xml::dom::parse(&signed).unwrap();
    }
}
