//! The settings of a community's login (catalog group Login Settings): which factors it offers
//! (MFA, FIDO, passwordless, LiveID selfie, Orion), first-time enrollment, Windows MFA and
//! password reset. Each is a [`Setting`] with the defaults a community has until an administrator
//! sets it; the factor flows read them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DomainError;
use super::config::Setting;

/// Refuses a value outside `range`, naming the field.
pub(crate) fn within(field: &str, value: u64, range: std::ops::RangeInclusive<u64>) -> Result<(), DomainError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!("{field} must be from {} to {}", range.start(), range.end())))
    }
}

/// Refuses a text longer than `max` characters, naming the field.
pub(crate) fn at_most(field: &str, value: &str, max: usize) -> Result<(), DomainError> {
    if value.chars().count() <= max {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!("{field} must be at most {max} characters")))
    }
}

/// Refuses what is neither empty nor an `http(s)://` URL, naming the field.
pub(crate) fn url_or_empty(field: &str, value: &str) -> Result<(), DomainError> {
    let ok = value.is_empty()
        || ((value.starts_with("https://") || value.starts_with("http://"))
            && value.len() <= 2048
            && !value.chars().any(char::is_whitespace));
    if ok { Ok(()) } else { Err(DomainError::Invalid(format!("{field} must be an http(s) URL"))) }
}

/// Refuses a value not in `allowed`, naming the field and the allowed values.
pub(crate) fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), DomainError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(DomainError::Invalid(format!("{field} must be one of {}", allowed.join(", "))))
    }
}

/// FIDO (WebAuthn) authenticators. Default: all allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FidoSettings {
    pub fido_disabled: bool,
    pub fido_platform_authenticator_disabled: bool,
    pub fido_security_key_disabled: bool,
}

impl Setting for FidoSettings {
    const KIND: &'static str = "fido_settings";
    const REQUIRED: &'static [&'static str] =
        &["fido_disabled", "fido_platform_authenticator_disabled", "fido_security_key_disabled"];
}

/// The factors a user may enroll at first login.
pub const ENROLLABLE_FACTORS: [&str; 9] = [
    "mobile",
    "landline",
    "smartphone",
    "email",
    "hardware_token",
    "security_key",
    "platform_authenticator",
    "user_pin",
    "behavior_auth",
];

/// Enrollment at a user's first login. Default: off, no factors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstTimeEnrollment {
    pub first_time_login_enrollment: bool,
    /// Each once, of `mobile`, `landline`, `smartphone`, `email`, `hardware_token`,
    /// `security_key`, `platform_authenticator`, `user_pin`, `behavior_auth`.
    pub allowed_factors: Vec<String>,
}

impl Setting for FirstTimeEnrollment {
    const KIND: &'static str = "first_time_enrollment_settings";
    const REQUIRED: &'static [&'static str] = &["first_time_login_enrollment"];

    fn validate(&self) -> Result<(), DomainError> {
        for (i, factor) in self.allowed_factors.iter().enumerate() {
            one_of(&format!("allowed_factors[{i}]"), factor, &ENROLLABLE_FACTORS)?;
            if self.allowed_factors[..i].contains(factor) {
                return Err(DomainError::Invalid(format!("allowed_factors[{i}] is listed twice")));
            }
        }
        if self.first_time_login_enrollment && self.allowed_factors.is_empty() {
            return Err(DomainError::Invalid("allowed_factors must name a factor when enrollment is on".into()));
        }
        Ok(())
    }
}

/// LiveID selfie verification. Default: off.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LiveidSelfie {
    pub liveid_selfie_enabled: bool,
}

impl Setting for LiveidSelfie {
    const KIND: &'static str = "liveid_selfie_settings";
    const REQUIRED: &'static [&'static str] = &["liveid_selfie_enabled"];
}

/// One-time passcode factors and their lockout. Defaults: email passcodes shown, the others
/// not; prompt "Enter the passcode"; lockout on after 5 wrong passcodes, for 15 minutes; a
/// hardware token's first use may be 10 steps ahead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct MfaSettings {
    pub show_otp_email: bool,
    pub show_otp_phone: bool,
    pub show_otp_voice: bool,
    pub show_otp_hardware: bool,
    /// At most 256 characters.
    pub otp_prompt_text: String,
    pub accountLockEnabled: bool,
    /// 1 to 100.
    pub otpMaxAttempts: u64,
    /// 1 to 10080 (a week).
    pub lockDurationMinutes: u64,
    pub onespan_domain: String,
    /// Empty or an http(s) URL.
    pub onespan_url: String,
    pub self_enroll_phone_allowed: bool,
    /// 0 to 1000 steps.
    pub sync_window_for_first_usage: u64,
}

impl Default for MfaSettings {
    fn default() -> Self {
        Self {
            show_otp_email: true,
            show_otp_phone: false,
            show_otp_voice: false,
            show_otp_hardware: false,
            otp_prompt_text: "Enter the passcode".into(),
            accountLockEnabled: true,
            otpMaxAttempts: 5,
            lockDurationMinutes: 15,
            onespan_domain: String::new(),
            onespan_url: String::new(),
            self_enroll_phone_allowed: false,
            sync_window_for_first_usage: 10,
        }
    }
}

impl Setting for MfaSettings {
    const KIND: &'static str = "mfa_settings";
    const REQUIRED: &'static [&'static str] =
        &["show_otp_email", "show_otp_phone", "show_otp_voice", "show_otp_hardware"];

    fn validate(&self) -> Result<(), DomainError> {
        at_most("otp_prompt_text", &self.otp_prompt_text, 256)?;
        within("otpMaxAttempts", self.otpMaxAttempts, 1..=100)?;
        within("lockDurationMinutes", self.lockDurationMinutes, 1..=10_080)?;
        within("sync_window_for_first_usage", self.sync_window_for_first_usage, 0..=1000)?;
        at_most("onespan_domain", &self.onespan_domain, 253)?;
        url_or_empty("onespan_url", &self.onespan_url)
    }
}

/// The Orion authenticator. Default: off, waiting 1500 ms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrionSettings {
    pub orion_authenticator_enabled: bool,
    /// 0 to 60000.
    pub orion_authenticator_wait_time_ms: u64,
}

impl Default for OrionSettings {
    fn default() -> Self {
        Self { orion_authenticator_enabled: false, orion_authenticator_wait_time_ms: 1500 }
    }
}

impl Setting for OrionSettings {
    const KIND: &'static str = "orion_settings";
    const REQUIRED: &'static [&'static str] = &["orion_authenticator_enabled"];

    fn validate(&self) -> Result<(), DomainError> {
        within("orion_authenticator_wait_time_ms", self.orion_authenticator_wait_time_ms, 0..=60_000)
    }
}

/// The authentication methods of the passwordless login.
pub const PWDLESS_METHODS: [&str; 4] = ["Fingerprint", "Face", "Pin", "None"];
/// What happens when a person passes `personsPerAccount`.
pub const PERSON_LIMIT_RULES: [&str; 2] = ["cleanup", "block"];

/// The passwordless (mobile app) login. Defaults: fingerprint then PIN, self-onboarding on, 5
/// accounts per person, 1 person per account (`cleanup` of the oldest), QR and push on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct PwdlessSettings {
    /// `Fingerprint`, `Face`, `Pin` or `None`.
    pub primaryMethod: String,
    /// `Fingerprint`, `Face`, `Pin` or `None`.
    pub secondaryMethod: String,
    pub selfOnBoard: bool,
    pub selfOnBoardFromUserProfile: bool,
    /// 1 to 100.
    pub accountsPerPerson: u64,
    /// 1 to 100.
    pub personsPerAccount: u64,
    /// `cleanup` or `block`.
    pub personLimitRule: String,
    pub passwordless_disabled: bool,
    pub qr_disabled: bool,
    pub push_disabled: bool,
    pub push_number_challenge_enabled: bool,
}

impl Default for PwdlessSettings {
    fn default() -> Self {
        Self {
            primaryMethod: "Fingerprint".into(),
            secondaryMethod: "Pin".into(),
            selfOnBoard: true,
            selfOnBoardFromUserProfile: true,
            accountsPerPerson: 5,
            personsPerAccount: 1,
            personLimitRule: "cleanup".into(),
            passwordless_disabled: false,
            qr_disabled: false,
            push_disabled: false,
            push_number_challenge_enabled: false,
        }
    }
}

impl Setting for PwdlessSettings {
    const KIND: &'static str = "pwdless_settings";
    const REQUIRED: &'static [&'static str] = &[
        "primaryMethod",
        "selfOnBoard",
        "selfOnBoardFromUserProfile",
        "accountsPerPerson",
        "personsPerAccount",
        "personLimitRule",
        "passwordless_disabled",
        "qr_disabled",
        "push_disabled",
    ];

    fn validate(&self) -> Result<(), DomainError> {
        one_of("primaryMethod", &self.primaryMethod, &PWDLESS_METHODS)?;
        one_of("secondaryMethod", &self.secondaryMethod, &PWDLESS_METHODS)?;
        within("accountsPerPerson", self.accountsPerPerson, 1..=100)?;
        within("personsPerAccount", self.personsPerAccount, 1..=100)?;
        one_of("personLimitRule", &self.personLimitRule, &PERSON_LIMIT_RULES)
    }
}

/// The factors a Windows login may enroll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowsEnrollments {
    pub behavior_auth: bool,
    pub user_pin: bool,
}

/// Windows MFA. Defaults: PIN and typing pattern enrollable, fallback on after 4 attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct WindowsMfaSettings {
    pub allowed_enrollments: WindowsEnrollments,
    pub enableFallbackAuth: bool,
    /// 1 to 20.
    pub maxAuthAttemptsBeforeFallback: u64,
}

impl Default for WindowsMfaSettings {
    fn default() -> Self {
        Self {
            allowed_enrollments: WindowsEnrollments { behavior_auth: true, user_pin: true },
            enableFallbackAuth: true,
            maxAuthAttemptsBeforeFallback: 4,
        }
    }
}

impl Setting for WindowsMfaSettings {
    const KIND: &'static str = "windows_mfa_settings";
    const REQUIRED: &'static [&'static str] = &["allowed_enrollments"];

    fn validate(&self) -> Result<(), DomainError> {
        within("maxAuthAttemptsBeforeFallback", self.maxAuthAttemptsBeforeFallback, 1..=20)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::config::apply;

    fn given(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn a_write_keeps_what_it_does_not_give_and_checks_the_rest() {
        let current = MfaSettings::default();
        let required = json!({"show_otp_email": false, "show_otp_phone": true, "show_otp_voice": false, "show_otp_hardware": true});
        let mut body = given(required.clone());
        body.insert("otpMaxAttempts".into(), json!(3));
        let set = apply(&current, body).unwrap();
        assert_eq!((set.show_otp_phone, set.otpMaxAttempts, set.lockDurationMinutes), (true, 3, 15));

        let e = apply(&current, given(json!({"show_otp_email": true}))).unwrap_err().to_string();
        assert_eq!(e, "show_otp_phone is required");
        let mut bad = given(required.clone());
        bad.insert("otpMaxAttempts".into(), json!(0));
        assert_eq!(apply(&current, bad).unwrap_err().to_string(), "otpMaxAttempts must be from 1 to 100");
        let mut typed = given(required.clone());
        typed.insert("otpMaxAttempts".into(), json!("three"));
        let e = apply(&current, typed).unwrap_err().to_string();
        assert!(e.contains("otpMaxAttempts") && !e.contains("three"), "{e}");
        let mut unknown = given(required);
        unknown.insert("show_otp_fax".into(), json!(true));
        assert!(apply(&current, unknown).is_err());
    }

    #[test]
    fn enumerations_are_checked() {
        let mut p = PwdlessSettings::default();
        assert!(p.validate().is_ok());
        p.primaryMethod = "Retina".into();
        assert_eq!(p.validate().unwrap_err().to_string(), "primaryMethod must be one of Fingerprint, Face, Pin, None");
        let e = FirstTimeEnrollment {
            first_time_login_enrollment: true,
            allowed_factors: vec!["mobile".into(), "mobile".into()],
        };
        assert_eq!(e.validate().unwrap_err().to_string(), "allowed_factors[1] is listed twice");
        let none = FirstTimeEnrollment { first_time_login_enrollment: true, allowed_factors: vec![] };
        assert!(none.validate().is_err());
        assert!(url_or_empty("onespan_url", "javascript:alert(1)").is_err());
    }
}
