//! The featured applications of the catalog (`PUT /serviceprovider/{type}`): a SAML service
//! provider made from the application's own SAML metadata (its entity id, its HTTP-POST assertion
//! consumer service, its signing certificate and whether it signs its requests), named as the
//! administrator says, its access URL the catalog's sign-in URL for the customer's `domain`
//! (or `ssoUrl`). The reference also sets the vendor up through the vendor's API with credentials
//! (API tokens, passwords, service account keys); that is not done here, and a request carrying
//! such credentials is refused rather than having them silently dropped.

use saml_rs::constants::{Binding, CertUse};
use saml_rs::metadata::SpMetadata;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::saml::{AttributeInput, MAX_METADATA, NameIdInput, SamlConfigInput};
use super::{ServiceProviderRequest, catalog};
use crate::domain::DomainError;

/// Body of `PUT /serviceprovider/{type}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct FeaturedRequest {
    /// 1 to 100 printable characters.
    pub name: String,
    /// The customer's domain at the vendor (the catalog's `{domain}`).
    #[serde(default)]
    pub domain: Option<String>,
    /// The application's sign-in URL (default: the catalog's for `domain`).
    #[serde(default)]
    pub ssoUrl: Option<String>,
    #[serde(default)]
    pub sloUrl: Option<String>,
    /// The application's SAML service provider metadata (XML, or as JavaScript's `escape()`
    /// encodes it).
    #[serde(default)]
    pub metadata: Option<String>,
    /// Vendor API credentials: refused (see the module).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub clientId: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub clientSecret: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub apiToken: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub username: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub password: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub useExistingCOT: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub COT: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub hostedSP: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub securityToken: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub serviceAccountEmail: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub adminEmail: Option<Value>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub serviceAccountPrivateKey: Option<Value>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// `%XX` and `%uXXXX` decoded (JavaScript's `unescape()`); `None` when malformed.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (hex, len) = match after.strip_prefix('u') {
            Some(u) => (u.get(..4)?, 5),
            None => (after.get(..2)?, 2),
        };
        out.push(char::from_u32(u32::from_str_radix(hex, 16).ok()?)?);
        rest = &after[len..];
    }
    out.push_str(rest);
    Some(out)
}

/// The XML of metadata as stored (as it was sent, or as JavaScript's `escape()` encodes it).
pub fn metadata_xml(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.starts_with('<') { Some(raw.to_owned()) } else { unescape(raw).filter(|x| x.trim_start().starts_with('<')) }
}

/// The `PUT /serviceprovider` request `input` stands for, for the catalog template `template`.
pub fn check(template: &str, input: FeaturedRequest) -> Result<ServiceProviderRequest, DomainError> {
    let item = catalog::item(template).ok_or_else(|| {
        let names: Vec<&str> = catalog::CATALOG.iter().map(|(k, _)| *k).collect();
        invalid(format!("type must be one of: {}", names.join(", ")))
    })?;
    let vendor_fields = [
        ("clientId", &input.clientId),
        ("clientSecret", &input.clientSecret),
        ("apiToken", &input.apiToken),
        ("username", &input.username),
        ("password", &input.password),
        ("useExistingCOT", &input.useExistingCOT),
        ("COT", &input.COT),
        ("hostedSP", &input.hostedSP),
        ("securityToken", &input.securityToken),
        ("serviceAccountEmail", &input.serviceAccountEmail),
        ("adminEmail", &input.adminEmail),
        ("serviceAccountPrivateKey", &input.serviceAccountPrivateKey),
    ];
    if let Some((name, _)) = vendor_fields.iter().find(|(_, v)| v.as_ref().is_some_and(|v| !v.is_null())) {
        return Err(invalid(format!(
            "{name}: the application is not set up through the vendor's API here; send its SAML metadata instead"
        )));
    }
    let raw = input.metadata.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let raw = raw.ok_or_else(|| invalid("metadata (the application's SAML metadata) is required"))?;
    if raw.len() > MAX_METADATA {
        return Err(invalid(format!("metadata must be at most {MAX_METADATA} bytes")));
    }
    let xml = metadata_xml(raw).ok_or_else(|| invalid("metadata must be XML"))?;
    let metadata = SpMetadata::from_xml(&xml).map_err(|_| invalid("metadata is not SAML service provider metadata"))?;
    let entity_id = metadata.get_entity_id().map(str::to_owned).ok_or_else(|| invalid("metadata has no entityID"))?;
    let acs = metadata
        .get_assertion_consumer_service(Binding::Post)
        .ok_or_else(|| invalid("metadata has no HTTP-POST AssertionConsumerService"))?;
    let signing_cert = metadata.get_x509_certificate(CertUse::Signing);
    let access_url = match (input.ssoUrl.as_deref().map(str::trim).filter(|u| !u.is_empty()), input.domain.as_deref()) {
        (Some(url), _) => url.to_owned(),
        (None, Some(domain)) => {
            let domain = domain.trim();
            let ok = !domain.is_empty()
                && domain.len() <= 253
                && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
            if !ok {
                return Err(invalid("domain must be a host name (letters, digits, '-' and '.')"));
            }
            item.sso_url.replace("{domain}", domain)
        }
        (None, None) => return Err(invalid("domain (or ssoUrl) is required")),
    };
    let signs_requests = metadata.is_authn_request_signed() && signing_cert.is_some();
    let config = SamlConfigInput {
        id: None,
        idp_initiated: Some(true),
        access_url,
        entity_id,
        assertion_method: "post".into(),
        assertion_consumer_service_url: acs,
        logout_request_sign_required: false,
        logout_response_sign_required: false,
        auth_request_sign_required: signs_requests,
        assertion_sign_required: true,
        signing_cert,
        signing_algo: None,
        encrypt_assertion: None,
        encryption_cert: None,
        encryption_algorithm: None,
        key_transport_algorithm: None,
        nameid: NameIdInput {
            id: None,
            format: "emailAddress".into(),
            value: "email".into(),
            attribute_type: "identity".into(),
        },
        relay_state: None,
        attributes: Vec::<AttributeInput>::new(),
        metadata: Some(xml),
    };
    Ok(ServiceProviderRequest {
        name: input.name,
        environment: None,
        logo: Some(item.logo.to_owned()).filter(|l| !l.is_empty()),
        sp_type: "saml".into(),
        saml_config: Some(config),
        oidc_config: None,
        wsfed_config: None,
        force_reauthentication: None,
        hide_banner: None,
        hide_mobile_links: None,
        mobile_app_label: None,
        _id: None,
        _community_id: None,
        _v: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_escape_is_undone() {
        assert_eq!(unescape("%3CEntityDescriptor%20a%3D%22b%22/%3E").unwrap(), "<EntityDescriptor a=\"b\"/>");
        assert_eq!(unescape("%u00E9t%E9").unwrap(), "\u{e9}t\u{e9}");
        assert!(unescape("%zz").is_none());
    }
}
