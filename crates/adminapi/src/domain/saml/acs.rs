//! The community as a SAML service provider of its external IdP (the External Idp group's
//! `saml` provider): the IdP's `<samlp:Response>` at the community's assertion consumer service.
//! A response must answer an AuthnRequest made here (`POST /saml/samlRequest/generate`): its
//! `InResponseTo` is read first, before any check, only to find which request and so which IdP
//! it claims to answer; then `saml-rs` verifies it against that IdP's configuration: the
//! signature with the IdP's registered certificate (the assertion must be signed), the issuer,
//! `Destination` and the bearer `Recipient` (this ACS), the audience (the community's entity id),
//! `InResponseTo` and the time window. The route takes the request once, so a replayed response
//! is refused.

use saml_rs::constants::Binding;
use saml_rs::flow::HttpRequest;
use saml_rs::metadata::{Endpoint, IdpMetadataConfig, SpMetadataConfig};
use saml_rs::{EntitySetting, IdentityProvider, SamlError, ServiceProvider as RawSp, SsoSession};

use crate::domain::DomainError;

/// The largest encoded `SAMLResponse` accepted, in bytes.
pub const MAX_ENCODED: usize = 256 * 1024;
/// The largest decoded response, in bytes.
const MAX_DECODED: usize = 256 * 1024;

/// The community as the service provider.
#[derive(Debug, Clone)]
pub struct Consumer<'a> {
    /// The community's entity id (the audience the IdP must name).
    pub entity_id: &'a str,
    /// This assertion consumer service (the `Destination` and `Recipient`).
    pub acs_url: &'a str,
}

/// The external IdP, as registered.
#[derive(Debug, Clone)]
pub struct ExternalIdp<'a> {
    pub entity_id: &'a str,
    pub sso_url: &'a str,
    /// Its signing certificate (PEM).
    pub certificate_pem: &'a str,
}

/// What a verified response says of the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The subject's `NameID`.
    pub name_id: String,
    /// `(name, values)` of the attribute statement.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Verified {
    /// The first value of the attribute `name` (compared without case), if any.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.first())
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// The response's `InResponseTo`, read before any check (to find the request it claims to
/// answer): `None` for an unsolicited response.
pub fn in_response_to(encoded: &str) -> Result<Option<String>, DomainError> {
    if encoded.len() > MAX_ENCODED {
        return Err(invalid(format!("SAMLResponse must be at most {MAX_ENCODED} bytes")));
    }
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = saml_rs::binding::base64_decode_with_limit(&compact, MAX_DECODED)
        .map_err(|_| invalid("SAMLResponse must be base64"))?;
    let xml = String::from_utf8(bytes).map_err(|_| invalid("SAMLResponse must be UTF-8 XML"))?;
    let doc = saml_rs::xml::dom::parse(&xml).map_err(|_| invalid("SAMLResponse is not well-formed XML"))?;
    if doc.root.local_name != "Response" {
        return Err(invalid("SAMLResponse must be a samlp:Response"));
    }
    Ok(doc.root.attr("InResponseTo").map(str::trim).filter(|i| !i.is_empty()).map(str::to_owned))
}

/// Why `saml-rs` refused a response, in words that quote nothing from it.
fn refusal(e: &SamlError) -> DomainError {
    use SamlError as E;
    let why = match e {
        E::AudienceMismatch { .. } | E::UnmatchAudience => "its audience is not this community",
        E::TimeWindowInvalid { .. } | E::ExpiredSession | E::SubjectConfirmationInvalid { .. } => {
            "it has expired or is not valid yet (NotBefore, NotOnOrAfter)"
        }
        E::InResponseToMismatch { .. } | E::InvalidInResponseTo => "it does not answer the request it names",
        E::IssuerMismatch { .. } | E::UnmatchIssuer => "its issuer is not the external IdP",
        E::DestinationMismatch { .. } | E::UnmatchDestination => "its destination is not this ACS",
        E::StatusNotSuccess { .. } | E::FailedStatus { .. } | E::UndefinedStatus => {
            "the IdP did not sign the user in (its status is not Success)"
        }
        E::SignatureMissing
        | E::AssertionSignatureRequired
        | E::SignatureVerification { .. }
        | E::ReferenceResolution { .. }
        | E::SignedReferenceMismatch
        | E::NoTrustedCertificate
        | E::CertificateMismatch
        | E::UnmatchCertificate
        | E::FailedToVerifySignature
        | E::PotentialWrappingAttack => "its signature is missing or is not the external IdP's",
        _ => "it is not a valid SAML response for this community",
    };
    invalid(format!("the SAMLResponse was refused: {why}"))
}

/// Verifies the response `encoded` (the HTTP-POST binding's base64 `SAMLResponse`) of `idp` to
/// the request `request_id`, for `consumer`, now.
pub fn verify(
    consumer: &Consumer<'_>,
    idp: &ExternalIdp<'_>,
    encoded: &str,
    request_id: &str,
) -> Result<Verified, DomainError> {
    let sp = RawSp::from_config(
        &SpMetadataConfig {
            entity_id: consumer.entity_id.to_owned(),
            want_assertions_signed: true,
            assertion_consumer_service: vec![Endpoint::new(Binding::Post, consumer.acs_url.to_owned())],
            ..SpMetadataConfig::default()
        },
        EntitySetting::default(),
    )
    .map_err(|_| invalid("the community cannot be described as a SAML service provider"))?;
    let raw_idp = IdentityProvider::from_config(
        &IdpMetadataConfig {
            entity_id: idp.entity_id.to_owned(),
            signing_certs: vec![idp.certificate_pem.to_owned()],
            single_sign_on_service: vec![Endpoint::new(Binding::Post, idp.sso_url.to_owned())],
            ..IdpMetadataConfig::default()
        },
        EntitySetting::default(),
    )
    .map_err(|_| invalid("the external IdP's configuration cannot be used (entityId, certificate)"))?;
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let request = HttpRequest::post(vec![("SAMLResponse".to_owned(), compact)]);
    let flow = sp.parse_login_response_with_request_id(&raw_idp, Binding::Post, &request, request_id).map_err(|e| {
        // saml-rs's text may quote the response: only the kind is logged.
        tracing::info!(kind = %kind_of(&e), "SAML response from an external IdP refused");
        refusal(&e)
    })?;
    let session = SsoSession::try_from(flow).map_err(|e| refusal(&e))?;
    let name_id = session.name_id().value().trim().to_owned();
    if name_id.is_empty() || name_id.len() > 256 || name_id.chars().any(char::is_control) {
        return Err(invalid("the SAMLResponse's NameID must be 1 to 256 printable characters"));
    }
    let attributes = session
        .attributes()
        .as_slice()
        .iter()
        .map(|a| (a.name().to_owned(), a.values().iter().map(|v| v.as_str().to_owned()).collect()))
        .collect();
    Ok(Verified { name_id, attributes })
}

/// The variant name of `e` (its `Debug` up to the first field), which carries no value.
fn kind_of(e: &SamlError) -> String {
    let debug = format!("{e:?}");
    debug.split(|c: char| !c.is_ascii_alphanumeric()).next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use saml_rs::binding::base64_encode;

    #[test]
    fn in_response_to_is_read_from_the_response_element_only() {
        let xml = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\" \
                   InResponseTo=\" _req1 \"/>";
        assert_eq!(in_response_to(&base64_encode(xml.as_bytes())).unwrap().as_deref(), Some("_req1"));
        let unsolicited = "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\"/>";
        assert_eq!(in_response_to(&base64_encode(unsolicited.as_bytes())).unwrap(), None);
        let other = "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" InResponseTo=\"x\"/>";
        assert!(in_response_to(&base64_encode(other.as_bytes())).unwrap_err().to_string().contains("samlp:Response"));
        assert!(in_response_to("%%%").unwrap_err().to_string().contains("base64"));
        assert!(in_response_to(&base64_encode(b"<a")).unwrap_err().to_string().contains("well-formed"));
    }

    #[test]
    fn refusals_name_the_check_not_the_value() {
        let e = SamlError::AudienceMismatch { expected: "https://secret.example".into() };
        let text = refusal(&e).to_string();
        assert!(text.contains("audience") && !text.contains("secret"), "{text}");
        assert!(refusal(&SamlError::SignatureMissing).to_string().contains("signature"));
        assert_eq!(kind_of(&e), "AudienceMismatch");
    }

    #[test]
    fn attributes_are_found_without_case_and_blank_values_are_none() {
        let v = Verified {
            name_id: "n".into(),
            attributes: vec![("Mail".into(), vec!["a@example.com".into()]), ("sn".into(), vec![" ".into()])],
        };
        assert_eq!(v.attribute("mail"), Some("a@example.com"));
        assert_eq!(v.attribute("sn"), None);
        assert_eq!(v.attribute("givenName"), None);
    }
}
