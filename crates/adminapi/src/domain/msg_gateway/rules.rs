//! The rules of a gateway's fields ([`GatewayFields`], as a create or an update gives them),
//! per channel and provider type; a refusal names the field and what it must be, never a value.

use std::str::FromStr as _;

use serde::Deserialize;

use super::{Channel, Gateway, Security};
use crate::domain::DomainError;

/// The provider types of each channel.
pub const EMAIL_TYPES: &[&str] = &["smtp", "aws"];
/// The provider types of SMS.
pub const SMS_TYPES: &[&str] = &["http", "twilio", "coalesce", "gupshup", "aws", "sandesh"];
/// The provider types of voice.
pub const VOICE_TYPES: &[&str] = &["http", "twilio"];

/// A flag given as a boolean or as the text `"true"` / `"false"` (the spec's form).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Flag {
    Bool(bool),
    Text(String),
}

/// A port given as a number or as text (the spec's form).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Port {
    Number(u64),
    Text(String),
}

/// The fields of a create or an update, beyond the ids.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GatewayFields {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub channels: Option<Vec<Channel>>,
    pub protocol: Option<String>,
    pub auth: Option<Flag>,
    pub name: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub service_url: Option<String>,
    pub sender_email: Option<String>,
    pub sender_phone: Option<String>,
    pub port: Option<Port>,
    pub smstemplateid: Option<String>,
    pub entity_id: Option<String>,
    pub auth_token_request_url: Option<String>,
    pub auth_client_id: Option<String>,
    pub auth_client_secret: Option<String>,
    pub auth_grant_type: Option<String>,
    pub auth_scope: Option<String>,
    pub principal_entity_id: Option<String>,
    pub dlt_template_id: Option<String>,
    pub aws_region: Option<String>,
    pub app_category: Option<String>,
    pub gst_flag: Option<String>,
    pub msg_type: Option<String>,
    pub otp_delimiter: Option<String>,
    pub timeout_value: Option<u64>,
}

impl std::fmt::Debug for GatewayFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayFields")
            .field("kind", &self.kind)
            .field("channels", &self.channels)
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("auth_client_secret", &self.auth_client_secret.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::Invalid(message.into())
}

/// A given text field: trimmed, non-empty, at most 500 characters, no control character.
fn text(field: &str, value: Option<&String>) -> Result<Option<String>, DomainError> {
    let Some(v) = value.map(|v| v.trim()).filter(|v| !v.is_empty()) else { return Ok(None) };
    if v.chars().count() > 500 || v.chars().any(char::is_control) {
        return Err(invalid(format!("{field} must be at most 500 printable characters")));
    }
    Ok(Some(v.to_owned()))
}

fn required(field: &str, value: Option<&String>, why: &str) -> Result<String, DomainError> {
    text(field, value)?.ok_or_else(|| invalid(format!("{field} is required{why}")))
}

fn http_url(field: &str, value: &str) -> Result<(), DomainError> {
    match reqwest::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => Err(invalid(format!("{field} must be an http(s) URL"))),
    }
}

/// What the fields make: the gateway's settings (on `base`, which gives the ids and times)
/// and its credentials as given (`None`: not given).
pub struct Parsed {
    pub gateway: Gateway,
    pub password: Option<String>,
    pub client_secret: Option<String>,
}

/// Checks `f` and makes the gateway's settings on `base` (whose ids and times are kept).
/// `has_password` / `has_client_secret`: whether the gateway already holds one (an update may
/// leave them out to keep them).
pub fn parse(
    f: &GatewayFields,
    base: Gateway,
    has_password: bool,
    has_client_secret: bool,
) -> Result<Parsed, DomainError> {
    let channels = f.channels.clone().unwrap_or_default();
    if channels.is_empty() {
        return Err(invalid("channels must hold one or more of email, sms, voice"));
    }
    let mut seen = Vec::new();
    for c in &channels {
        if seen.contains(c) {
            return Err(invalid("channels must not repeat a channel"));
        }
        seen.push(*c);
    }
    let email = channels.contains(&Channel::Email);
    if email && channels.len() > 1 {
        return Err(invalid("channels: an email gateway serves email only"));
    }
    let kind = required("type", f.kind.as_ref(), "")?.to_ascii_lowercase();
    for c in &channels {
        let allowed = match c {
            Channel::Email => EMAIL_TYPES,
            Channel::Sms => SMS_TYPES,
            Channel::Voice => VOICE_TYPES,
        };
        if !allowed.contains(&kind.as_str()) {
            return Err(invalid(format!("type must be one of {} for {}", allowed.join(", "), c.as_str())));
        }
    }
    let auth = match &f.auth {
        None => true,
        Some(Flag::Bool(b)) => *b,
        Some(Flag::Text(t)) if t.eq_ignore_ascii_case("true") => true,
        Some(Flag::Text(t)) if t.eq_ignore_ascii_case("false") => false,
        Some(Flag::Text(_)) => return Err(invalid("auth must be true or false")),
    };
    let name = kit::ids::name("name", f.name.as_deref().unwrap_or_default())?;
    let service_url = required("serviceUrl", f.service_url.as_ref(), "")?;
    let username = text("username", f.username.as_ref())?;
    let password = text("password", f.password.as_ref())?;
    if auth {
        if username.is_none() {
            return Err(invalid("username is required when auth is true"));
        }
        if password.is_none() && !has_password {
            return Err(invalid("password is required when auth is true"));
        }
    }
    let mut g = Gateway {
        kind: kind.clone(),
        channels,
        auth,
        name,
        username,
        service_url,
        protocol: None,
        port: None,
        sender_email: text("senderEmail", f.sender_email.as_ref())?,
        sender_phone: text("senderPhone", f.sender_phone.as_ref())?,
        smstemplateid: text("smstemplateid", f.smstemplateid.as_ref())?,
        entity_id: text("entityId", f.entity_id.as_ref())?,
        auth_token_request_url: text("authTokenRequestUrl", f.auth_token_request_url.as_ref())?,
        auth_client_id: text("authClientId", f.auth_client_id.as_ref())?,
        auth_grant_type: text("authGrantType", f.auth_grant_type.as_ref())?,
        auth_scope: text("authScope", f.auth_scope.as_ref())?,
        principal_entity_id: text("principalEntityId", f.principal_entity_id.as_ref())?,
        dlt_template_id: text("dltTemplateId", f.dlt_template_id.as_ref())?,
        aws_region: text("awsRegion", f.aws_region.as_ref())?,
        app_category: text("appCategory", f.app_category.as_ref())?,
        gst_flag: text("gstFlag", f.gst_flag.as_ref())?,
        msg_type: text("msgType", f.msg_type.as_ref())?,
        otp_delimiter: None,
        timeout_value: None,
        ..base
    };
    if let Some(d) = f.otp_delimiter.as_ref().filter(|d| !d.is_empty()) {
        if d.chars().count() > 10 || d.chars().any(char::is_control) {
            return Err(invalid("otpDelimiter must be at most 10 printable characters"));
        }
        g.otp_delimiter = Some(d.clone());
    }
    if let Some(t) = f.timeout_value {
        if !(1..=120).contains(&t) {
            return Err(invalid("timeoutValue must be from 1 to 120 seconds"));
        }
        g.timeout_value = Some(t);
    }
    let client_secret = text("authClientSecret", f.auth_client_secret.as_ref())?;
    if email {
        email_rules(f, &mut g)?;
    } else {
        phone_rules(&g, client_secret.is_some() || has_client_secret)?;
    }
    if kind == "aws" && g.aws_region.is_none() {
        return Err(invalid("awsRegion is required for an aws gateway"));
    }
    Ok(Parsed { gateway: g, password, client_secret })
}

fn email_rules(f: &GatewayFields, g: &mut Gateway) -> Result<(), DomainError> {
    let sender = required("senderEmail", f.sender_email.as_ref(), " for an email gateway")?;
    if lettre::Address::from_str(&sender).is_err() {
        return Err(invalid("senderEmail must be an email address"));
    }
    let host = g.service_url.as_str();
    let host_ok = host.len() <= 253 && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    if g.kind == "smtp" && !host_ok {
        return Err(invalid("serviceUrl must be the SMTP server's host name for an smtp gateway"));
    }
    let protocol = text("protocol", f.protocol.as_ref())?.unwrap_or_else(|| "smtp".to_owned()).to_ascii_lowercase();
    let security = Security::parse(&protocol).ok_or_else(|| {
        invalid("protocol must be smtp (STARTTLS; TLS on port 465), smtps (TLS) or smtp-insecure (no TLS)")
    })?;
    let port = match &f.port {
        None => security.default_port(),
        Some(Port::Number(n)) => u16::try_from(*n).ok().filter(|p| *p > 0).ok_or_else(port_error)?,
        Some(Port::Text(t)) => t.trim().parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(port_error)?,
    };
    g.protocol = Some(protocol);
    g.port = Some(port.to_string());
    Ok(())
}

fn port_error() -> DomainError {
    invalid("port must be a number from 1 to 65535")
}

fn phone_rules(g: &Gateway, has_client_secret: bool) -> Result<(), DomainError> {
    let phone =
        g.sender_phone.as_deref().ok_or_else(|| invalid("senderPhone is required for an sms or voice gateway"))?;
    if phone.len() > 20 || !phone.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+') {
        return Err(invalid("senderPhone must be a phone number or a sender id (letters, digits, '+'; at most 20)"));
    }
    if g.kind == "http" || g.kind == "twilio" {
        http_url("serviceUrl", &g.service_url)?;
    }
    if g.channels.contains(&Channel::Sms) {
        for (field, value) in [("smstemplateid", &g.smstemplateid), ("entityId", &g.entity_id)] {
            if value.is_none() {
                return Err(invalid(format!("{field} is required for an sms gateway")));
            }
        }
    }
    let needs: &[(&str, bool)] = match g.kind.as_str() {
        "coalesce" => &[
            ("authTokenRequestUrl", g.auth_token_request_url.is_some()),
            ("authClientId", g.auth_client_id.is_some()),
            ("authClientSecret", has_client_secret),
            ("authGrantType", g.auth_grant_type.is_some()),
            ("authScope", g.auth_scope.is_some()),
        ],
        "gupshup" => {
            &[("principalEntityId", g.principal_entity_id.is_some()), ("dltTemplateId", g.dlt_template_id.is_some())]
        }
        "sandesh" => &[
            ("appCategory", g.app_category.is_some()),
            ("gstFlag", g.gst_flag.is_some()),
            ("msgType", g.msg_type.is_some()),
        ],
        _ => &[],
    };
    if let Some((field, _)) = needs.iter().find(|(_, given)| !given) {
        return Err(invalid(format!("{field} is required for a {} gateway", g.kind)));
    }
    if let Some(url) = &g.auth_token_request_url {
        http_url("authTokenRequestUrl", url)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn email(extra: serde_json::Value) -> Result<Parsed, DomainError> {
        let mut body = json!({"type": "smtp", "channels": ["email"], "name": "Mail", "username": "u", "password": "p",
            "serviceUrl": "smtp.example.com", "senderEmail": "noreply@example.com"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let fields: GatewayFields = serde_json::from_value(body).unwrap();
        parse(&fields, Gateway::default(), false, false)
    }

    #[test]
    fn the_protocol_and_the_port_decide_the_smtp_security() {
        for (extra, security, port) in [
            (json!({}), Security::StartTls, "587"),
            (json!({"port": "465"}), Security::Tls, "465"),
            (json!({"protocol": "SMTP", "port": 465}), Security::Tls, "465"),
            (json!({"protocol": "smtps"}), Security::Tls, "465"),
            (json!({"protocol": "smtps", "port": "2465"}), Security::Tls, "2465"),
            (json!({"protocol": "smtp", "port": "25"}), Security::StartTls, "25"),
            (json!({"protocol": "smtp-insecure"}), Security::None, "25"),
        ] {
            let g = email(extra.clone()).unwrap().gateway;
            assert_eq!((Security::of(&g), g.port.as_deref()), (security, Some(port)), "{extra}");
        }
        assert!(email(json!({"port": 0})).is_err() && email(json!({"port": "x"})).is_err());
    }

    #[test]
    fn credentials_are_required_with_auth_unless_kept() {
        let mut fields: GatewayFields = serde_json::from_value(json!({"type": "smtp", "channels": ["email"],
            "name": "Mail", "username": "u", "serviceUrl": "smtp.example.com", "senderEmail": "a@example.com"}))
        .unwrap();
        let missing = parse(&fields, Gateway::default(), false, false).err().unwrap();
        assert_eq!(missing.to_string(), "password is required when auth is true");
        assert!(parse(&fields, Gateway::default(), true, false).unwrap().password.is_none(), "kept");
        fields.auth = Some(Flag::Text("false".into()));
        fields.username = None;
        assert!(!parse(&fields, Gateway::default(), false, false).unwrap().gateway.auth);
        let debug = format!("{:?}", GatewayFields { password: Some("hunter2".into()), ..GatewayFields::default() });
        assert!(!debug.contains("hunter2"), "{debug}");
    }
}
