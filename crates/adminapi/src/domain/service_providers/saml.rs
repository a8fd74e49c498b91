//! The rules of a SAML service provider's configuration (`saml_config`): its entity id and
//! assertion consumer service, which messages must be signed, its certificates (X.509, PEM or
//! base64 DER), the algorithms (from fixed lists of XML-DSig and XML-Enc URIs), the name id and
//! the attributes sent in assertions. An update keeps the `_id` of the configuration, of its
//! name id and of the attributes it sends back.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::DomainError;
use crate::domain::ids;

/// The signature algorithms, by the spec's short name and their XML-DSig URI.
pub const SIGNING_ALGORITHMS: &[(&str, &str)] = &[
    ("RSA_SHA256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"),
    ("RSA_SHA1", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
];
/// The block encryption algorithms an assertion may be encrypted with.
pub const ENCRYPTION_ALGORITHMS: &[&str] = &[
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
];
/// The key transport algorithms (RSA PKCS#1 v1.5 is refused: it is open to padding oracles).
pub const KEY_TRANSPORT_ALGORITHMS: &[&str] =
    &["http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", "http://www.w3.org/2009/xmlenc11#rsa-oaep"];
/// The name id formats, by short name (the full URNs are accepted too).
pub const NAME_ID_FORMATS: &[(&str, &str)] = &[
    ("unspecified", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"),
    ("emailAddress", "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"),
    ("X509SubjectName", "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"),
    ("WindowsDomainQualifiedName", "urn:oasis:names:tc:SAML:1.1:nameid-format:WindowsDomainQualifiedName"),
    ("persistent", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
    ("transient", "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"),
    ("kerberos", "urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos"),
    ("entity", "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"),
];
/// Where an attribute's value comes from.
pub const ATTRIBUTE_TYPES: &[&str] = &["session", "ledger", "identity"];
/// How an attribute's value is given (`value_type`).
pub const VALUE_TYPES: &[&str] = &["static", "null", "default"];
/// The bindings an assertion may be sent with (`assertionMethod`).
pub const ASSERTION_METHODS: &[&str] = &["post", "redirect"];
/// The most attributes a provider may receive.
pub const MAX_ATTRIBUTES: usize = 100;
/// The largest metadata document, in bytes.
pub const MAX_METADATA: usize = 512 * 1024;

/// A SAML name id as asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NameIdInput {
    #[serde(default, rename = "_id")]
    pub id: Option<String>,
    pub format: String,
    pub value: String,
    pub attribute_type: String,
}

/// An attribute as asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeInput {
    #[serde(default, rename = "_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub uuid: Option<String>,
    pub claim_name: String,
    pub attribute_name: String,
    pub attribute_type: String,
    #[serde(default)]
    pub value_type: Option<String>,
    /// Anything (a string, number, object…); required when `value_type` is `static` or `default`.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub value: Option<Value>,
}

/// `saml_config` as asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SamlConfigInput {
    #[serde(default, rename = "_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub idp_initiated: Option<bool>,
    pub access_url: String,
    pub entity_id: String,
    pub assertion_method: String,
    #[serde(rename = "assertionConsumerServiceURL")]
    pub assertion_consumer_service_url: String,
    pub logout_request_sign_required: bool,
    pub logout_response_sign_required: bool,
    pub auth_request_sign_required: bool,
    pub assertion_sign_required: bool,
    #[serde(default)]
    pub signing_cert: Option<String>,
    #[serde(default)]
    pub signing_algo: Option<String>,
    #[serde(default)]
    pub encrypt_assertion: Option<bool>,
    #[serde(default)]
    pub encryption_cert: Option<String>,
    #[serde(default)]
    pub encryption_algorithm: Option<String>,
    #[serde(default)]
    pub key_transport_algorithm: Option<String>,
    pub nameid: NameIdInput,
    #[serde(default)]
    pub relay_state: Option<String>,
    #[serde(default)]
    pub attributes: Vec<AttributeInput>,
    /// The provider's metadata (XML, as JavaScript's `escape()` encodes it or as it is).
    #[serde(default)]
    pub metadata: Option<String>,
}

/// A stored name id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NameId {
    #[serde(rename = "_id")]
    pub id: String,
    pub format: String,
    pub value: String,
    pub attribute_type: String,
}

/// A stored attribute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Attribute {
    #[serde(rename = "_id")]
    pub id: String,
    pub uuid: String,
    pub claim_name: String,
    pub attribute_name: String,
    pub attribute_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub value: Option<Value>,
}

/// A stored `saml_config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SamlConfig {
    #[serde(rename = "_id")]
    pub id: String,
    pub access_url: String,
    pub entity_id: String,
    pub assertion_method: String,
    #[serde(rename = "assertionConsumerServiceURL")]
    pub assertion_consumer_service_url: String,
    pub logout_request_sign_required: bool,
    pub logout_response_sign_required: bool,
    pub auth_request_sign_required: bool,
    pub assertion_sign_required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_cert: Option<String>,
    /// The XML-DSig URI.
    pub signing_algo: String,
    pub encrypt_assertion: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_cert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_algorithm: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_transport_algorithm: Option<String>,
    pub idp_initiated: bool,
    pub relay_state: String,
    pub nameid: NameId,
    pub attributes: Vec<Attribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

fn invalid(message: String) -> DomainError {
    DomainError::Invalid(message)
}

/// An absolute http(s) URL, or the 400 naming `field`.
pub fn http_url(field: &str, text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    let ok = text.len() <= 2048
        && url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if ok { Ok(text.to_owned()) } else { Err(invalid(format!("{field} must be an absolute http(s) URL"))) }
}

/// The URI the spec's examples use for RSA-SHA256 (in the 2000/09 namespace, where XML-DSig
/// 1.0 never defined it) read as the real one.
fn dsig_alias(uri: &str) -> &str {
    if uri == "http://www.w3.org/2000/09/xmldsig#rsa-sha256" { SIGNING_ALGORITHMS[0].1 } else { uri }
}

/// The GCM URIs the spec's examples put in the XML-Enc 1.0 namespace, read as XML-Enc 1.1's.
fn xmlenc_alias(uri: &str) -> String {
    uri.replace("http://www.w3.org/2001/04/xmlenc#aes128-gcm", ENCRYPTION_ALGORITHMS[2])
        .replace("http://www.w3.org/2001/04/xmlenc#aes256-gcm", ENCRYPTION_ALGORITHMS[3])
}

/// An entity id: a URI (URL or URN), at most 1024 characters (SAML core 8.3.6).
fn entity_id(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    let ok =
        !text.is_empty() && text.len() <= 1024 && url::Url::parse(text).is_ok() && !text.contains(char::is_whitespace);
    if ok { Ok(text.to_owned()) } else { Err(invalid("entityId must be a URI of at most 1024 characters".into())) }
}

/// One of `allowed`, or the 400 listing them.
fn one_of(field: &str, text: &str, allowed: &[&str]) -> Result<String, DomainError> {
    let text = text.trim();
    match allowed.iter().find(|a| a.eq_ignore_ascii_case(text)) {
        Some(a) => Ok((*a).to_owned()),
        None => Err(invalid(format!("{field} must be one of: {}", allowed.join(", ")))),
    }
}

/// An X.509 certificate, PEM or base64 DER, or the 400 naming `field`. Kept as given (trimmed).
pub fn certificate(field: &str, text: &str) -> Result<String, DomainError> {
    use base64::Engine as _;
    let text = text.trim();
    let bad = || invalid(format!("{field} must be an X.509 certificate (PEM or base64 DER)"));
    let der = if text.starts_with("-----BEGIN") {
        let (_, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes()).map_err(|_| bad())?;
        pem.contents
    } else {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(compact).map_err(|_| bad())?
    };
    x509_parser::parse_x509_certificate(&der).map_err(|_| bad())?;
    Ok(text.to_owned())
}

/// A kept `_id` when it is an id, else a new one.
fn id_or_new(given: Option<&str>) -> String {
    given.filter(|id| ids::is_object_id(id)).map(str::to_ascii_lowercase).unwrap_or_else(ids::new_object_id)
}

fn name_id_format(text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    NAME_ID_FORMATS
        .iter()
        .find(|(short, urn)| short.eq_ignore_ascii_case(text) || *urn == text)
        .map(|(short, _)| (*short).to_owned())
        .ok_or_else(|| {
            let names: Vec<&str> = NAME_ID_FORMATS.iter().map(|(s, _)| *s).collect();
            invalid(format!("saml_config.nameid.format must be one of: {}", names.join(", ")))
        })
}

fn attribute(i: usize, a: AttributeInput, previous: &[Attribute]) -> Result<Attribute, DomainError> {
    let field = |name: &str| format!("saml_config.attributes[{i}].{name}");
    let required = |name: &str, v: &str| {
        let v = v.trim();
        if v.is_empty() || v.chars().count() > 256 {
            Err(invalid(format!("{} must be 1 to 256 characters", field(name))))
        } else {
            Ok(v.to_owned())
        }
    };
    let claim_name = required("claim_name", &a.claim_name)?;
    let attribute_name = required("attribute_name", &a.attribute_name)?;
    let attribute_type = one_of(&field("attribute_type"), &a.attribute_type, ATTRIBUTE_TYPES)?;
    let value_type = a.value_type.as_deref().map(|v| one_of(&field("value_type"), v, VALUE_TYPES)).transpose()?;
    let value = match value_type.as_deref() {
        Some("null") => None,
        Some(kind) => match a.value {
            None | Some(Value::Null) => {
                return Err(invalid(format!("{} is required when value_type is {kind}", field("value"))));
            }
            v => v,
        },
        None => a.value.filter(|v| !v.is_null()),
    };
    if value.as_ref().is_some_and(|v| v.to_string().len() > 4096) {
        return Err(invalid(format!("{} must be at most 4096 bytes as JSON", field("value"))));
    }
    // An attribute sent back keeps its ids; a new one gets its own.
    let kept = a.id.as_deref().and_then(|id| previous.iter().find(|p| p.id.eq_ignore_ascii_case(id)));
    let (id, uuid) = match kept {
        Some(p) => (p.id.clone(), p.uuid.clone()),
        None => (ids::new_object_id(), uuid::Uuid::new_v4().to_string()),
    };
    Ok(Attribute { id, uuid, claim_name, attribute_name, attribute_type, value_type, value })
}

fn optional(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// The checked `saml_config` of a request; `previous` is the stored one an update replaces.
pub fn check(input: SamlConfigInput, previous: Option<&SamlConfig>) -> Result<SamlConfig, DomainError> {
    let access_url = http_url("saml_config.accessUrl", &input.access_url)?;
    let entity_id = entity_id(&input.entity_id)?;
    let assertion_method = one_of("saml_config.assertionMethod", &input.assertion_method, ASSERTION_METHODS)?;
    let acs = http_url("saml_config.assertionConsumerServiceURL", &input.assertion_consumer_service_url)?;
    let signing_cert = optional(input.signing_cert).map(|c| certificate("saml_config.signingCert", &c)).transpose()?;
    let needs_signing_cert =
        input.auth_request_sign_required || input.logout_request_sign_required || input.logout_response_sign_required;
    if needs_signing_cert && signing_cert.is_none() {
        return Err(invalid(
            "saml_config.signingCert is required when the provider's requests or responses must be signed".into(),
        ));
    }
    let signing_algo = match optional(input.signing_algo) {
        None => SIGNING_ALGORITHMS[0].1.to_owned(),
        Some(given) => SIGNING_ALGORITHMS
            .iter()
            .find(|(short, uri)| short.eq_ignore_ascii_case(&given) || *uri == given || *uri == dsig_alias(&given))
            .map(|(_, uri)| (*uri).to_owned())
            .ok_or_else(|| invalid("saml_config.signingAlgo must be one of: RSA_SHA1, RSA_SHA256".into()))?,
    };
    let encrypt_assertion = input.encrypt_assertion.unwrap_or(false);
    let encryption_cert =
        optional(input.encryption_cert).map(|c| certificate("saml_config.encryptionCert", &c)).transpose()?;
    if encrypt_assertion && encryption_cert.is_none() {
        return Err(invalid("saml_config.encryptionCert is required when encryptAssertion is true".into()));
    }
    let encryption_algorithm = optional(input.encryption_algorithm)
        .map(|a| one_of("saml_config.encryptionAlgorithm", &xmlenc_alias(&a), ENCRYPTION_ALGORITHMS))
        .transpose()?
        .or_else(|| encrypt_assertion.then(|| ENCRYPTION_ALGORITHMS[3].to_owned()));
    let key_transport_algorithm = optional(input.key_transport_algorithm)
        .map(|a| one_of("saml_config.keyTransportAlgorithm", &a, KEY_TRANSPORT_ALGORITHMS))
        .transpose()?
        .or_else(|| encrypt_assertion.then(|| KEY_TRANSPORT_ALGORITHMS[0].to_owned()));
    let relay_state = input.relay_state.map(|r| r.trim().to_owned()).unwrap_or_default();
    let relay_state =
        if relay_state.is_empty() { relay_state } else { http_url("saml_config.relayState", &relay_state)? };
    let nameid = NameId {
        id: previous.map(|p| p.nameid.id.clone()).unwrap_or_else(|| id_or_new(input.nameid.id.as_deref())),
        format: name_id_format(&input.nameid.format)?,
        value: {
            let v = input.nameid.value.trim();
            if v.is_empty() || v.chars().count() > 256 {
                return Err(invalid("saml_config.nameid.value must be 1 to 256 characters".into()));
            }
            v.to_owned()
        },
        attribute_type: one_of("saml_config.nameid.attribute_type", &input.nameid.attribute_type, ATTRIBUTE_TYPES)?,
    };
    if input.attributes.len() > MAX_ATTRIBUTES {
        return Err(invalid(format!("saml_config.attributes must hold at most {MAX_ATTRIBUTES} attributes")));
    }
    let before = previous.map(|p| p.attributes.as_slice()).unwrap_or_default();
    let attributes = input
        .attributes
        .into_iter()
        .enumerate()
        .map(|(i, a)| attribute(i, a, before))
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = optional(input.metadata);
    if metadata.as_ref().is_some_and(|m| m.len() > MAX_METADATA) {
        return Err(invalid(format!("saml_config.metadata must be at most {MAX_METADATA} bytes")));
    }
    Ok(SamlConfig {
        id: previous.map(|p| p.id.clone()).unwrap_or_else(|| id_or_new(input.id.as_deref())),
        access_url,
        entity_id,
        assertion_method,
        assertion_consumer_service_url: acs,
        logout_request_sign_required: input.logout_request_sign_required,
        logout_response_sign_required: input.logout_response_sign_required,
        auth_request_sign_required: input.auth_request_sign_required,
        assertion_sign_required: input.assertion_sign_required,
        signing_cert,
        signing_algo,
        encrypt_assertion,
        encryption_cert,
        encryption_algorithm,
        key_transport_algorithm,
        idp_initiated: input.idp_initiated.unwrap_or(false),
        relay_state,
        nameid,
        attributes,
        metadata,
    })
}
