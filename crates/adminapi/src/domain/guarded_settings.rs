//! The settings that come with secrets: password reset (whose self-service reset may call a
//! user profile API with a credential) and the community's SAML identity provider (signing and
//! encryption keys). The settings themselves are ordinary [`Setting`]s; their secrets are never
//! part of them: a write hands them over beside the setting, they are kept sealed in a kind of
//! their own ([`SealedSecrets`]), and no endpoint returns them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DomainError;
use super::config::Setting;
use super::login_settings::{at_most, one_of, url_or_empty};
use super::scripts::transform::decode_script;

/// The credential of a user profile API: written, never read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub token: String,
}

/// How the self-service reset reaches the user profile API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileApi {
    /// An http(s) URL; `{username}` in it is replaced by the user's name.
    pub url: String,
    /// `GET` or `POST`.
    #[serde(rename = "type")]
    pub method: String,
    /// `none`, `basic` or `bearer`.
    pub auth: String,
    /// Write-only: kept sealed beside the setting, never returned.
    #[serde(default, skip_serializing)]
    pub credential: Option<Credential>,
}

impl Default for ProfileApi {
    fn default() -> Self {
        Self { url: String::new(), method: "GET".into(), auth: "none".into(), credential: None }
    }
}

/// The user profile API of the self-service reset, and the script that maps its answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct UserProfileApi {
    pub enabled: bool,
    #[serde(default)]
    pub provider: String,
    #[serde(default)]
    pub api: ProfileApi,
    /// Base64 of the JavaScript that maps the API's answer to `{firstname, lastname, dob…}`
    /// (`domain::scripts::transform`); at most 64 KiB.
    #[serde(default)]
    pub transformationB64: String,
}

/// Identity proofing in the self-service reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ViaIdproofing {
    #[serde(default)]
    pub enabled: bool,
}

/// The self-service password reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct Sspr {
    pub enabled: bool,
    #[serde(default)]
    pub via_idproofing: ViaIdproofing,
    #[serde(default)]
    pub dvcId: String,
    #[serde(default)]
    pub otp: String,
    #[serde(default)]
    pub user_profile_api: UserProfileApi,
}

/// The input methods of the reset page.
pub const INPUT_METHODS: [&str; 3] = ["username", "email", "phone"];

/// Password reset. Defaults: by username, administrators may reset by email with a one-time
/// passcode, mobile reset on, no self-service reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// `username`, `email` or `phone`.
    pub default_input_method: String,
    pub adminx_via_email_enabled: bool,
    pub adminx_require_otp: bool,
    pub mobile_enabled: bool,
    pub sspr: Sspr,
}

impl Default for PasswordReset {
    fn default() -> Self {
        Self {
            default_input_method: "username".into(),
            adminx_via_email_enabled: true,
            adminx_require_otp: true,
            mobile_enabled: true,
            sspr: Sspr::default(),
        }
    }
}

impl Setting for PasswordReset {
    const KIND: &'static str = "password_reset";
    const REQUIRED: &'static [&'static str] = &["default_input_method"];

    fn validate(&self) -> Result<(), DomainError> {
        one_of("default_input_method", &self.default_input_method, &INPUT_METHODS)?;
        at_most("sspr.dvcId", &self.sspr.dvcId, 256)?;
        let profile = &self.sspr.user_profile_api;
        at_most("sspr.user_profile_api.provider", &profile.provider, 256)?;
        url_or_empty("sspr.user_profile_api.api.url", &profile.api.url)?;
        one_of("sspr.user_profile_api.api.type", &profile.api.method, &["GET", "POST"])?;
        one_of("sspr.user_profile_api.api.auth", &profile.api.auth, &["none", "basic", "bearer"])?;
        if profile.enabled && profile.api.url.is_empty() {
            return Err(DomainError::Invalid("sspr.user_profile_api.api.url is required when enabled".into()));
        }
        if profile.transformationB64.is_empty() {
            return Ok(());
        }
        decode_script("sspr.user_profile_api.transformationB64", &profile.transformationB64).map(|_| ())
    }
}

/// The SAML bindings an identity provider offers.
pub const SAML_BINDINGS: [&str; 2] = ["HTTP-Redirect", "HTTP-POST"];

/// The community's SAML identity provider. Its private keys are written beside it and kept
/// sealed; replies say whether each is set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct IdpConfig {
    /// A PEM certificate.
    pub signingCert: String,
    /// A PEM certificate.
    pub encryptionCert: String,
    /// At most 1024 characters.
    pub entityId: String,
    pub authnRequestsSigned: bool,
    /// Each once, of `HTTP-Redirect`, `HTTP-POST`.
    pub sso_bindings: Vec<String>,
    /// Each once, of `HTTP-Redirect`, `HTTP-POST`.
    pub slo_bindings: Vec<String>,
    #[serde(default)]
    pub identifier: String,
}

/// Refuses what is not one PEM block of `label`s (`CERTIFICATE`, `PRIVATE KEY`…), naming the field.
pub fn pem(field: &str, value: &str, labels: &[&str]) -> Result<(), DomainError> {
    let text = value.trim();
    let ok = labels.iter().any(|label| {
        let (begin, end) = (format!("-----BEGIN {label}-----"), format!("-----END {label}-----"));
        text.starts_with(&begin)
            && text.ends_with(&end)
            && text.len() <= 64 * 1024
            && text[begin.len()..text.len() - end.len()]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r' | b' '))
    });
    if ok { Ok(()) } else { Err(DomainError::Invalid(format!("{field} must be a PEM {}", labels[0]))) }
}

impl Setting for IdpConfig {
    const KIND: &'static str = "idp_config";
    const REQUIRED: &'static [&'static str] =
        &["signingCert", "encryptionCert", "entityId", "authnRequestsSigned", "sso_bindings", "slo_bindings"];

    fn validate(&self) -> Result<(), DomainError> {
        pem("signingCert", &self.signingCert, &["CERTIFICATE"])?;
        pem("encryptionCert", &self.encryptionCert, &["CERTIFICATE"])?;
        if self.entityId.trim().is_empty() {
            return Err(DomainError::Invalid("entityId is required".into()));
        }
        at_most("entityId", &self.entityId, 1024)?;
        at_most("identifier", &self.identifier, 256)?;
        for (field, list) in [("sso_bindings", &self.sso_bindings), ("slo_bindings", &self.slo_bindings)] {
            for (i, binding) in list.iter().enumerate() {
                one_of(&format!("{field}[{i}]"), binding, &SAML_BINDINGS)?;
                if list[..i].contains(binding) {
                    return Err(DomainError::Invalid(format!("{field}[{i}] is listed twice")));
                }
            }
        }
        if self.sso_bindings.is_empty() {
            return Err(DomainError::Invalid("sso_bindings must name a binding".into()));
        }
        Ok(())
    }
}

/// The private key labels an identity provider's keys may have.
pub const KEY_LABELS: [&str; 3] = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

/// The sealed credential of the password reset's user profile API (JSON of a [`Credential`]).
/// Never returned by any endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetSecrets {
    #[serde(default)]
    pub credential: String,
}

impl Setting for PasswordResetSecrets {
    const KIND: &'static str = "password_reset_secrets";
}

/// The sealed private keys of the identity provider (PEM). Never returned by any endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpSecrets {
    #[serde(default)]
    pub signing_key: String,
    #[serde(default)]
    pub encryption_key: String,
}

impl Setting for IdpSecrets {
    const KIND: &'static str = "idp_config_secrets";
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;

    #[test]
    fn the_reset_and_the_identity_provider_are_checked() {
        let mut reset = PasswordReset::default();
        assert!(reset.validate().is_ok());
        reset.sspr.user_profile_api.enabled = true;
        assert_eq!(reset.validate().unwrap_err().to_string(), "sspr.user_profile_api.api.url is required when enabled");
        reset.sspr.user_profile_api.api.url = "https://hr.example.com/users/{username}".into();
        reset.sspr.user_profile_api.transformationB64 = "not base64!".into();
        assert!(reset.validate().is_err());
        reset.sspr.user_profile_api.transformationB64 = base64::engine::general_purpose::STANDARD.encode("profile");
        assert!(reset.validate().is_ok());
        let json =
            serde_json::to_value(&ProfileApi { credential: Some(Credential::default()), ..ProfileApi::default() });
        assert!(json.unwrap().get("credential").is_none(), "a credential is never serialized");

        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        let mut idp = IdpConfig {
            signingCert: cert.into(),
            encryptionCert: cert.into(),
            entityId: "https://idp.example.com".into(),
            authnRequestsSigned: true,
            sso_bindings: vec!["HTTP-POST".into()],
            slo_bindings: vec![],
            identifier: String::new(),
        };
        assert!(idp.validate().is_ok());
        idp.slo_bindings = vec!["SOAP".into()];
        assert_eq!(idp.validate().unwrap_err().to_string(), "slo_bindings[0] must be one of HTTP-Redirect, HTTP-POST");
        idp.slo_bindings = vec![];
        idp.signingCert = "-----BEGIN CERTIFICATE-----\n<script>\n-----END CERTIFICATE-----".into();
        assert_eq!(idp.validate().unwrap_err().to_string(), "signingCert must be a PEM CERTIFICATE");
        assert!(
            pem("signingKey", "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----", &KEY_LABELS)
                .is_ok()
        );
    }
}
