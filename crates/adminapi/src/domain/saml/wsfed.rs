//! WS-Federation passive requestor sign-in (`wa=wsignin1.0`): the `wresult` a relying party gets
//! in a form post, a WS-Trust `RequestSecurityTokenResponse` carrying a SAML 2.0 assertion
//! signed alone by the community's key ([`super::response::signed_assertion`]), the realm as its
//! audience and `AppliesTo`.

use saml_rs::binding::xml_escape;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::domain::DomainError;

/// The only action served.
pub const SIGN_IN: &str = "wsignin1.0";
const TRUST: &str = "http://schemas.xmlsoap.org/ws/2005/02/trust";
const UTILITY: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
const POLICY: &str = "http://schemas.xmlsoap.org/ws/2004/09/policy";
const ADDRESSING: &str = "http://www.w3.org/2005/08/addressing";
const SAML2_TOKEN: &str = "urn:oasis:names:tc:SAML:2.0:assertion";

fn instant(t: i64) -> Result<String, DomainError> {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .ok_or_else(|| DomainError::Invalid("a time is out of range".into()))
}

/// The `wresult` for `realm`: `assertion` (signed) wrapped in a token response valid from `now`
/// for `lifetime` seconds.
pub fn wresult(realm: &str, assertion: &str, now: i64, lifetime: i64) -> Result<String, DomainError> {
    Ok(format!(
        "<t:RequestSecurityTokenResponse xmlns:t=\"{TRUST}\">\
         <t:Lifetime><wsu:Created xmlns:wsu=\"{UTILITY}\">{created}</wsu:Created>\
         <wsu:Expires xmlns:wsu=\"{UTILITY}\">{expires}</wsu:Expires></t:Lifetime>\
         <wsp:AppliesTo xmlns:wsp=\"{POLICY}\"><wsa:EndpointReference xmlns:wsa=\"{ADDRESSING}\">\
         <wsa:Address>{realm}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>\
         <t:RequestedSecurityToken>{assertion}</t:RequestedSecurityToken>\
         <t:TokenType>{SAML2_TOKEN}</t:TokenType>\
         <t:RequestType>http://schemas.xmlsoap.org/ws/2005/02/trust/Issue</t:RequestType>\
         <t:KeyType>http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey</t:KeyType>\
         </t:RequestSecurityTokenResponse>",
        created = instant(now)?,
        expires = instant(now.saturating_add(lifetime))?,
        realm = xml_escape(realm),
    ))
}

/// The longest `wctx` kept (it goes back to the relying party unchanged).
pub const MAX_WCTX: usize = 2048;
