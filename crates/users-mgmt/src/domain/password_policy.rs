//! The password policy of an auth module (`config.passwordPolicy`): its typed rules, the default
//! for a module without one, and the check of a password against it.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

/// `config.passwordPolicy` of a module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordPolicy {
    /// Free text (`Face`, `Fingerprint`, …) kept as given.
    pub authtype: String,
    /// Whether passwords are allowed on the module at all (default true).
    #[serde(default = "yes")]
    pub allowed: bool,
    pub rules: Rules,
    /// The rules in words, as the admin console shows them.
    #[serde(default)]
    pub descriptions: Vec<String>,
}

fn yes() -> bool {
    true
}

/// The rules; each applies only when its `_enabled` flag is set. Numbers may be sent as JSON
/// numbers or numeric strings (the reference's examples show both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct Rules {
    /// Minimum length.
    #[serde(deserialize_with = "count")]
    pub min: u32,
    pub min_enabled: bool,
    /// Minimum number of special characters.
    #[serde(deserialize_with = "count")]
    pub min_special: u32,
    pub min_special_enabled: bool,
    /// Minimum number of digits.
    #[serde(deserialize_with = "count")]
    pub min_numbers: u32,
    pub min_numbers_enabled: bool,
    /// The special characters that count (and, when enabled, the only ones allowed).
    pub special_chars_allowed: String,
    pub special_chars_allowed_enabled: bool,
    /// Minimum number of capital letters.
    #[serde(deserialize_with = "count")]
    pub min_alpha_caps: u32,
    pub min_alpha_caps_enabled: bool,
    /// The password may not contain the username.
    pub noUsername: bool,
    pub noUsername_enabled: bool,
    /// At most this many equal characters in a row.
    #[serde(deserialize_with = "count")]
    pub allowInRow: u32,
    pub allowInRow_enabled: bool,
}

fn count<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error as _;
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => {
            n.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| D::Error::custom("must be a whole number"))
        }
        serde_json::Value::String(s) => s.trim().parse().map_err(|_| D::Error::custom("must be a whole number")),
        _ => Err(D::Error::custom("must be a whole number")),
    }
}

/// The longest password accepted (argon2 hashes anything, but a megabyte password is an attack).
pub const MAX_PASSWORD_CHARS: usize = 256;

impl Default for PasswordPolicy {
    /// A module without a policy: at least 8 characters.
    fn default() -> Self {
        Self {
            authtype: "password".into(),
            allowed: true,
            rules: Rules {
                min: 8,
                min_enabled: true,
                min_special: 0,
                min_special_enabled: false,
                min_numbers: 0,
                min_numbers_enabled: false,
                special_chars_allowed: "!@#$%^&*()-_=+[]{};:,.<>/?~".into(),
                special_chars_allowed_enabled: false,
                min_alpha_caps: 0,
                min_alpha_caps_enabled: false,
                noUsername: true,
                noUsername_enabled: true,
                allowInRow: 0,
                allowInRow_enabled: false,
            },
            descriptions: vec!["At least 8 characters".into(), "Must not contain the username".into()],
        }
    }
}

impl PasswordPolicy {
    /// Checks the rules themselves: limits that no password could meet are refused.
    pub fn validate(&self) -> Result<(), String> {
        let r = &self.rules;
        if r.min_enabled && usize::try_from(r.min).unwrap_or(usize::MAX) > MAX_PASSWORD_CHARS {
            return Err(format!("passwordPolicy.rules.min must be at most {MAX_PASSWORD_CHARS}"));
        }
        if r.min_special_enabled && r.special_chars_allowed.is_empty() {
            return Err(
                "passwordPolicy.rules.special_chars_allowed must list characters when min_special is enabled".into()
            );
        }
        if r.allowInRow_enabled && r.allowInRow == 0 {
            return Err("passwordPolicy.rules.allowInRow must be at least 1 when enabled".into());
        }
        Ok(())
    }

    /// Whether `password` meets the policy for `username`; otherwise every rule it breaks, in
    /// words that never repeat the password.
    pub fn check(&self, password: &str, username: &str) -> Result<(), Vec<String>> {
        let r = &self.rules;
        let mut broken = Vec::new();
        if !self.allowed {
            return Err(vec!["passwords are not allowed on this auth module".into()]);
        }
        let length = password.chars().count();
        if length > MAX_PASSWORD_CHARS {
            broken.push(format!("password must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        if r.min_enabled && length < usize::try_from(r.min).unwrap_or(usize::MAX) {
            broken.push(format!("password must be at least {} characters", r.min));
        }
        if password.chars().any(char::is_whitespace) {
            broken.push("password must not contain spaces".into());
        }
        let is_special = |c: char| {
            if r.special_chars_allowed.is_empty() { !c.is_alphanumeric() } else { r.special_chars_allowed.contains(c) }
        };
        let counted =
            |f: &dyn Fn(char) -> bool| u32::try_from(password.chars().filter(|c| f(*c)).count()).unwrap_or(u32::MAX);
        if r.min_special_enabled && counted(&is_special) < r.min_special {
            broken.push(format!("password must contain at least {} special characters", r.min_special));
        }
        if r.special_chars_allowed_enabled && password.chars().any(|c| !c.is_alphanumeric() && !is_special(c)) {
            broken.push("password may only contain the allowed special characters".into());
        }
        if r.min_numbers_enabled && counted(&|c: char| c.is_ascii_digit()) < r.min_numbers {
            broken.push(format!("password must contain at least {} digits", r.min_numbers));
        }
        if r.min_alpha_caps_enabled && counted(&char::is_uppercase) < r.min_alpha_caps {
            broken.push(format!("password must contain at least {} capital letters", r.min_alpha_caps));
        }
        let username = username.trim().to_lowercase();
        if r.noUsername_enabled && r.noUsername && !username.is_empty() && password.to_lowercase().contains(&username) {
            broken.push("password must not contain the username".into());
        }
        if r.allowInRow_enabled && longest_run(password) > usize::try_from(r.allowInRow).unwrap_or(usize::MAX) {
            broken.push(format!("password must not repeat a character more than {} times in a row", r.allowInRow));
        }
        if broken.is_empty() { Ok(()) } else { Err(broken) }
    }
}

fn longest_run(text: &str) -> usize {
    let (mut best, mut run, mut last) = (0, 0, None);
    for c in text.chars() {
        run = if Some(c) == last { run + 1 } else { 1 };
        last = Some(c);
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PasswordPolicy {
        let mut p = PasswordPolicy::default();
        let r = &mut p.rules;
        r.min = 10;
        (r.min_special, r.min_special_enabled) = (1, true);
        (r.min_numbers, r.min_numbers_enabled) = (2, true);
        (r.min_alpha_caps, r.min_alpha_caps_enabled) = (1, true);
        (r.allowInRow, r.allowInRow_enabled) = (2, true);
        r.special_chars_allowed = "!#".into();
        r.special_chars_allowed_enabled = true;
        p
    }

    #[test]
    fn a_good_password_passes_and_each_rule_is_enforced() {
        let p = strict();
        assert_eq!(p.check("Correct#Horse42", "jane"), Ok(()));
        for (bad, rule) in [
            ("Co#42xyzab", "fine"),
            ("Short#4a2", "at least 10 characters"),
            ("Correct Horse#42", "spaces"),
            ("CorrectHorse42", "special characters"),
            ("Correct$Horse42", "allowed special"),
            ("Correct#Horse4", "2 digits"),
            ("correct#horse42", "capital"),
            ("XJane#Horse42", "username"),
            ("Correct#Hooorse42", "in a row"),
        ] {
            let result = p.check(bad, "jane");
            if rule == "fine" {
                assert_eq!(result, Ok(()), "{bad}");
                continue;
            }
            let broken = result.unwrap_err();
            assert!(broken.iter().any(|b| b.contains(rule)), "{bad}: {broken:?}");
            assert!(broken.iter().all(|b| !b.contains(bad)), "the password is never repeated");
        }
    }

    #[test]
    fn numbers_may_be_strings_and_unknown_rules_are_refused() {
        let mut json = serde_json::to_value(PasswordPolicy::default()).unwrap();
        json["rules"]["min"] = "12".into();
        let p: PasswordPolicy = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(p.rules.min, 12);
        json["rules"]["min"] = "twelve".into();
        assert!(serde_json::from_value::<PasswordPolicy>(json.clone()).is_err());
        json["rules"]["min"] = 8.into();
        json["rules"]["maxAge"] = 3.into();
        assert!(serde_json::from_value::<PasswordPolicy>(json).is_err());
    }

    #[test]
    fn impossible_policies_are_refused() {
        let mut p = PasswordPolicy::default();
        p.rules.min = 10_000;
        assert!(p.validate().is_err());
        let mut p = PasswordPolicy::default();
        (p.rules.allowInRow, p.rules.allowInRow_enabled) = (0, true);
        assert!(p.validate().is_err());
    }
}
