//! The rules of a WS-Federation relying party's configuration (`wsfed_config`; the reference
//! documents no fields for it, so these are the ones a passive requestor needs): the realm
//! (`wtrealm`) the relying party names itself by, the URL its tokens are posted to (`wreply`,
//! which must match exactly), the token type and the name id claim.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::saml::http_url;
use crate::domain::DomainError;

/// The token types a WS-Fed sign-in may answer.
pub const TOKEN_TYPES: &[&str] = &["SAML11", "SAML20"];

/// `wsfed_config` as asked for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WsfedConfigInput {
    /// The relying party's realm (`wtrealm`): a URI.
    pub realm: String,
    /// Where tokens are posted (`wreply`): an absolute http(s) URL.
    pub reply_url: String,
    /// `SAML11` or `SAML20` (default `SAML20`).
    #[serde(default)]
    pub token_type: Option<String>,
    /// The user attribute sent as the name identifier (default `email`).
    #[serde(default)]
    pub name_id_attribute: Option<String>,
}

/// A stored `wsfed_config`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WsfedConfig {
    pub realm: String,
    pub reply_url: String,
    pub token_type: String,
    pub name_id_attribute: String,
}

/// The checked `wsfed_config` of a request.
pub fn check(input: WsfedConfigInput) -> Result<WsfedConfig, DomainError> {
    let realm = input.realm.trim();
    if realm.is_empty() || realm.len() > 1024 || url::Url::parse(realm).is_err() {
        return Err(DomainError::Invalid("wsfed_config.realm must be a URI of at most 1024 characters".into()));
    }
    let reply_url = http_url("wsfed_config.replyUrl", &input.reply_url)?;
    let token_type = match input.token_type.as_deref().map(str::trim) {
        None | Some("") => "SAML20".to_owned(),
        Some(t) => TOKEN_TYPES
            .iter()
            .find(|k| k.eq_ignore_ascii_case(t))
            .map(|k| (*k).to_owned())
            .ok_or_else(|| DomainError::Invalid("wsfed_config.tokenType must be one of: SAML11, SAML20".into()))?,
    };
    let name_id_attribute = input.name_id_attribute.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let name_id_attribute = name_id_attribute.unwrap_or_else(|| "email".to_owned());
    if name_id_attribute.len() > 256 || name_id_attribute.chars().any(char::is_control) {
        return Err(DomainError::Invalid(
            "wsfed_config.nameIdAttribute must be at most 256 printable characters".into(),
        ));
    }
    Ok(WsfedConfig { realm: realm.to_owned(), reply_url, token_type, name_id_attribute })
}
